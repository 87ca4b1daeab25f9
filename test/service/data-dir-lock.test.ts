/**
 * The embedded data folder is held by one process at a time: real service processes on one folder, a
 * stale lock from a dead pid, and a lock from another host.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataDirLockedError, LOCK_FILE, lockDataDir } from '../../services/promoter/src/adapters/db/data-dir-lock.js';
import { migratedDataDir } from '../fixtures/database.js';
import { startServiceProcess, type ServiceProcess } from '../fixtures/process.js';

const folders: string[] = [];
const running: ServiceProcess[] = [];
function tempFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'promoter-lock-'));
  folders.push(folder);
  return folder;
}

afterEach(async () => {
  for (const service of running.splice(0)) await service.stop('SIGKILL');
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** A pid that certainly ran on this host and is no longer running. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('data folder lock, two real processes', () => {
  it('refuses a second service on the same folder, naming the holder, and frees the folder on a graceful stop', async () => {
    const dataDir = await migratedDataDir(tempFolder());
    const first = await startServiceProcess({ PROMOTER_DATA_DIR: dataDir });
    running.push(first);
    const holder = JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8')) as { pid: number; host: string };
    expect(holder).toMatchObject({ pid: first.child.pid, host: hostname() });

    const second = startServiceProcess({ PROMOTER_DATA_DIR: dataDir });
    const failure = await second.then(
      () => undefined,
      (error: unknown) => String(error),
    );
    expect(failure).toContain('service exited with 1 before listening');
    expect(failure).toContain(`data folder ${dataDir} is in use by another promoter: pid ${first.child.pid} on host ${hostname()}`);
    expect(failure).toContain(`kill ${first.child.pid}`);
    // The first one still serves and still holds the folder.
    expect((await fetch(`${first.url}/readyz`)).status).toBe(200);
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(true);

    expect(await first.stop('SIGTERM')).toBe(0);
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
    const third = await startServiceProcess({ PROMOTER_DATA_DIR: dataDir });
    running.push(third);
    expect((await fetch(`${third.url}/readyz`)).status).toBe(200);
  });

  it('takes over the lock of a process that was killed', async () => {
    const dataDir = await migratedDataDir(tempFolder());
    const first = await startServiceProcess({ PROMOTER_DATA_DIR: dataDir });
    const killedPid = first.child.pid;
    await first.stop('SIGKILL');
    expect(JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: killedPid });

    const next = await startServiceProcess({ PROMOTER_DATA_DIR: dataDir });
    running.push(next);
    expect(JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: next.child.pid });
  });
});

describe('data folder lock, in process', () => {
  it('takes over a stale lock from a dead pid on this host, and releases only its own lock', () => {
    const dataDir = tempFolder();
    const stalePid = deadPid();
    writeFileSync(join(dataDir, LOCK_FILE), JSON.stringify({ pid: stalePid, host: hostname(), startedAt: 'earlier' }));
    const lock = lockDataDir(dataDir);
    expect(JSON.parse(readFileSync(lock.path, 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
    expect(existsSync(`${lock.path}.takeover`)).toBe(false);
    // Held by us now: a second attempt (another opener in this process) is refused.
    expect(() => lockDataDir(dataDir)).toThrow(DataDirLockedError);
    lock.release();
    expect(existsSync(lock.path)).toBe(false);
  });

  it('leaves a lock file that is no longer its own when it releases', () => {
    const dataDir = tempFolder();
    const lock = lockDataDir(dataDir);
    // Deleted by hand and taken by another process meanwhile.
    const other = JSON.stringify({ pid: deadPid(), host: 'other-host', startedAt: 'later' });
    writeFileSync(lock.path, other);
    lock.release();
    lock.release();
    expect(readFileSync(lock.path, 'utf8')).toBe(other);
  });

  it('never takes a lock held from another host, and says how to fix it', () => {
    const dataDir = tempFolder();
    writeFileSync(join(dataDir, LOCK_FILE), JSON.stringify({ pid: deadPid(), host: 'other-host', startedAt: 'earlier' }));
    expect(() => lockDataDir(dataDir)).toThrow(/in use by another promoter: pid \d+ on host other-host .*if that host no longer runs it, delete .*promoter\.lock/);
  });

  it('refuses while another starter is taking over the same stale lock', () => {
    const dataDir = tempFolder();
    writeFileSync(join(dataDir, LOCK_FILE), JSON.stringify({ pid: deadPid(), host: hostname(), startedAt: 'earlier' }));
    const marker = join(dataDir, `${LOCK_FILE}.takeover`);
    spawnSync('mkdir', [marker]);
    expect(() => lockDataDir(dataDir)).toThrow(/being taken over by another process/);
  });

  it('refuses an unreadable lock file rather than guessing', () => {
    const dataDir = tempFolder();
    writeFileSync(join(dataDir, LOCK_FILE), 'garbage');
    expect(() => lockDataDir(dataDir)).toThrow(/cannot be read; if no promoter uses this folder, delete that file/);
  });
});
