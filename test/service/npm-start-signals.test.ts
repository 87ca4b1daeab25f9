/**
 * `npm start` as a supervisor runs it: one pid, signalled alone (not its process group). The service must
 * shut down gracefully: npm's script runs `exec node --import tsx …`, so the shell is replaced by the
 * service and npm's forwarded signal reaches it (the tsx CLI or a non-exec shell would leave it running).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../services/promoter/src/adapters/db/data-dir-lock.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm start and signals', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s to the pid npm start returned stops the service gracefully', async (signal) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'promoter-npm-start-'));
    folders.push(dataDir);
    const npm = spawn('npm', ['start'], {
      cwd: ROOT,
      // Its own process group, so nothing but our signal to its one pid reaches it.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PORT: '0', HOST: '127.0.0.1', PROMOTER_DATA_DIR: dataDir },
    });
    let output = '';
    npm.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    npm.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => npm.once('exit', (code, sig) => resolve({ code, signal: sig })));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const poll = setInterval(() => {
          const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
          if (match?.[1]) {
            clearInterval(poll);
            resolve(match[1]);
          }
        }, 50);
        void exited.then(() => {
          clearInterval(poll);
          reject(new Error(`npm start exited before listening:\n${output}`));
        });
      });
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      const servicePid = (JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8')) as { pid: number }).pid;
      expect(servicePid).not.toBe(npm.pid);

      npm.kill(signal);
      const exit = await exited;
      // The service logged a graceful shutdown for this signal and released the folder (done in close()).
      await expect.poll(() => isRunning(servicePid), { timeout: 15_000 }).toBe(false);
      expect(output).toContain(`"signal":"${signal}","msg":"shutting down"`);
      expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
      await expect(fetch(`${url}/readyz`)).rejects.toThrow();
      expect(exit.code === 0 || exit.signal === signal).toBe(true);
    } finally {
      if (npm.pid && isRunning(npm.pid)) process.kill(-npm.pid, 'SIGKILL');
    }
  });
});
