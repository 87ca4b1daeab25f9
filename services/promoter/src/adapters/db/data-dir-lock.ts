/**
 * An exclusive lock on the embedded (PGlite) data folder. PGlite has no lock of its own: two processes on
 * one folder both start, both acknowledge writes, and one overwrites the other's on disk. So the folder
 * holds `promoter.lock` with the holder's pid and host, created atomically (`wx`) before PGlite opens the
 * folder, and removed when the database closes or the process exits.
 *
 * A lock left by a process that died (SIGKILL, crash, power loss) is taken over when its holder is known
 * to be gone: same host and the pid is not running (or is our own pid: a restarted container is pid 1
 * again). The takeover runs under a second atomic marker (`mkdir`), so two starters that both see the same
 * stale lock cannot both take it. A lock held from another host cannot be checked and is never taken.
 */
import { mkdirSync, readFileSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';

export const LOCK_FILE = 'promoter.lock';

export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
}

export interface DataDirLock {
  readonly path: string;
  /** Removes the lock file if it is still ours; safe to call more than once. */
  release(): void;
}

/** Thrown when another live process (or one that cannot be checked) holds the folder. */
export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder | undefined,
    detail: string,
  ) {
    super(detail);
    this.name = 'DataDirLockedError';
  }
}

// A takeover marker older than this was left by a starter that died mid-takeover (it takes microseconds).
const STALE_TAKEOVER_MS = 30_000;

// Locks this process holds: our own pid in a lock file is stale only if we did not write it.
const heldHere = new Set<string>();

export function lockDataDir(dataDir: string): DataDirLock {
  const folder = resolve(dataDir);
  const path = join(folder, LOCK_FILE);
  const me: LockHolder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  const content = `${JSON.stringify(me)}\n`;
  if (heldHere.has(path)) throw lockedError(folder, readHolder(path));
  if (!tryCreate(path, content)) {
    const holder = readHolder(path);
    if (holder === 'gone') {
      // Released between our attempt and the read: try once more, atomically as before.
      if (!tryCreate(path, content)) throw lockedError(folder, readHolder(path));
    } else if (isStale(holder)) {
      takeOver(folder, path, holder, content);
    } else {
      throw lockedError(folder, holder);
    }
  }
  heldHere.add(path);
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    heldHere.delete(path);
    process.removeListener('exit', release);
    const current = readHolder(path);
    // Never remove a lock that is no longer ours (deleted by hand and taken by another process).
    if (current !== 'gone' && current !== undefined && current.pid === me.pid && current.host === me.host && current.startedAt === me.startedAt) {
      try {
        unlinkSync(path);
      } catch {
        // Already gone: nothing to release.
      }
    }
  };
  // Backstop for an exit that skips close() (process.exit in a fatal path); SIGKILL leaves a stale lock,
  // which the next start takes over.
  process.on('exit', release);
  return { path, release };
}

function tryCreate(path: string, content: string): boolean {
  try {
    writeFileSync(path, content, { flag: 'wx', mode: 0o644 });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** The lock's holder; `undefined` when the file is unreadable or not ours to parse; 'gone' when absent. */
function readHolder(path: string): LockHolder | undefined | 'gone' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockHolder>;
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string') {
      return { pid: parsed.pid, host: parsed.host, startedAt: String(parsed.startedAt ?? '') };
    }
  } catch {
    // A half-written or foreign file: treated as held (not ours to judge), the message says how to fix.
  }
  return undefined;
}

function isStale(holder: LockHolder | undefined): holder is LockHolder {
  if (!holder || holder.host !== hostname()) return false;
  // Our own pid in a file this process did not write (checked by the caller) was written by an earlier
  // life of this pid: a container restarted as pid 1 on the same volume.
  if (holder.pid === process.pid) return true;
  return !isRunning(holder.pid);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user, so it is running.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function takeOver(folder: string, path: string, stale: LockHolder, content: string): void {
  const marker = `${path}.takeover`;
  try {
    mkdirSync(marker);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const age = Date.now() - statSync(marker).mtimeMs;
    if (age < STALE_TAKEOVER_MS) {
      throw new DataDirLockedError(folder, stale, `data folder ${folder} is being taken over by another process starting now; try again in a moment`);
    }
    // Left by a starter that died mid-takeover: replace it (still atomic: rmdir then mkdir fails for a racer).
    rmdirSync(marker);
    mkdirSync(marker);
  }
  try {
    // Re-read under the marker: only take over the very lock we judged stale.
    const current = readHolder(path);
    if (current !== 'gone') {
      if (!current || current.pid !== stale.pid || current.host !== stale.host || current.startedAt !== stale.startedAt) {
        throw lockedError(folder, current);
      }
      unlinkSync(path);
    }
    if (!tryCreate(path, content)) throw lockedError(folder, readHolder(path));
  } finally {
    rmdirSync(marker);
  }
}

function lockedError(folder: string, holder: LockHolder | undefined | 'gone'): DataDirLockedError {
  const lockPath = join(folder, LOCK_FILE);
  if (holder === undefined || holder === 'gone') {
    return new DataDirLockedError(
      folder,
      undefined,
      `data folder ${folder} is locked by ${lockPath}, which cannot be read; if no promoter uses this folder, delete that file and start again`,
    );
  }
  const who = `pid ${holder.pid} on host ${holder.host} (since ${holder.startedAt})`;
  const fix =
    holder.host === hostname()
      ? `stop that process (kill ${holder.pid}) or give this one another PROMOTER_DATA_DIR`
      : `stop the promoter on ${holder.host} or give this one another PROMOTER_DATA_DIR; if that host no longer runs it, delete ${lockPath}`;
  return new DataDirLockedError(folder, holder, `data folder ${folder} is in use by another promoter: ${who}; ${fix}`);
}
