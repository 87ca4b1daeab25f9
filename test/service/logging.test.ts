/** Logs: pretty lines on a terminal (a real pseudo-terminal from `script`), JSON lines otherwise. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { migratedDataDir } from '../fixtures/database.js';
import { startServiceProcess } from '../fixtures/process.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});
function tempFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'promoter-log-'));
  folders.push(folder);
  return folder;
}

describe('log format', () => {
  it('writes JSON lines when stdout is a pipe', async () => {
    const service = await startServiceProcess({ PROMOTER_DATA_DIR: await migratedDataDir(tempFolder()) });
    try {
      const line = service.output().split('\n').find((l) => l.includes('Server listening at'));
      expect(JSON.parse(line ?? '')).toMatchObject({ level: 30, msg: expect.stringContaining('Server listening at') });
    } finally {
      expect(await service.stop('SIGTERM')).toBe(0);
    }
  });

  it('writes pretty lines when stdout is a terminal', async () => {
    const command = `exec node --import tsx services/promoter/src/main.ts`;
    // `script` gives the service a pseudo-terminal as stdout, as a person's shell would.
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PORT: '0', HOST: '127.0.0.1', PROMOTER_DATA_DIR: await migratedDataDir(tempFolder()), TERM: 'dumb' },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      await expect.poll(() => output.includes('promoter ready'), { timeout: 60_000, interval: 100 }).toBe(true);
      const plain = output.replace(/\u001b\[[0-9;]*m/g, '');
      expect(plain).toMatch(/\[\d\d:\d\d:\d\d\.\d{3}\] INFO: Server listening at http:\/\/127\.0\.0\.1:\d+/);
      expect(plain).not.toContain('{"level":');
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});
