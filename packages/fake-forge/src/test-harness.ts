/** Shared set-up for the fake forge's own tests: a forge per test, an HTTP helper, and a real git client. */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect } from 'vitest';
import { DEFAULT_USER, startFakeForge, type FakeForge, type ForgeKind } from './index.js';

export const REPO = 'acme/deploy';

export interface Reply {
  readonly status: number;
  readonly body: any; // any: arbitrary forge JSON, whose shape is what each test asserts field by field
  readonly headers: Headers;
}

export interface Harness {
  forge: FakeForge;
  /** Calls the API as `login` (default `promoter`) with the forge's usual auth header. */
  call: (method: string, path: string, body?: unknown, login?: string) => Promise<Reply>;
}

/** Registers hooks that start a forge of `kind` with users alice and bob and repository acme/deploy (main: app.yaml). */
export function useFakeForge(kind: ForgeKind): Harness {
  const harness = {} as Harness; // filled in by beforeEach, before any test reads it
  beforeEach(async () => {
    harness.forge = await startFakeForge({ kind, users: [{ login: 'alice', name: 'Alice' }, { login: 'bob', name: 'Bob' }] });
    await harness.forge.createRepository(REPO, { 'app.yaml': 'image: web:1\n', 'other.yaml': 'a: 1\n' });
    harness.call = async (method, path, body, login = DEFAULT_USER) => {
      const token = harness.forge.tokenOf(login);
      const auth: Record<string, string> = kind === 'github' ? { Authorization: `Bearer ${token}` } : { 'PRIVATE-TOKEN': token };
      const response = await fetch(`${harness.forge.apiUrl}${path}`, {
        method,
        headers: { ...auth, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: text === '' ? undefined : parse(text), headers: response.headers };
    };
  });
  afterEach(async () => {
    const errors = harness.forge.internalErrors;
    await harness.forge.close();
    expect(errors, 'the fake answered 500 for a bug of its own').toEqual([]);
  });
  return harness;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Runs the real git client; returns its exit code and everything it printed. */
export function gitClient(args: readonly string[], cwd?: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const identity = ['-c', 'user.name=Tester', '-c', 'user.email=tester@example.com'];
    // The machine's git config stays out; no credential prompt may hang a test.
    const env = { PATH: process.env.PATH, HOME: tmpdir(), GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
    execFile(
      'git',
      [...identity, ...args],
      { cwd, env, timeout: 20_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

/** Clones over HTTP with `login`'s token, edits a file, commits, pushes `refspec`; returns the push. */
export async function cloneEditPush(forge: FakeForge, refspec: string, login = DEFAULT_USER): Promise<{ code: number; output: string }> {
  const work = await mkdtemp(join(tmpdir(), 'fake-forge-client-'));
  try {
    const clone = await gitClient(['clone', '--quiet', forge.gitUrlWithToken(REPO, login), work]);
    if (clone.code !== 0) throw new Error(`clone failed: ${clone.output}`);
    await writeFile(join(work, 'app.yaml'), 'image: web:direct\n');
    await gitClient(['commit', '--quiet', '-am', 'direct change'], work);
    return await gitClient(['push', 'origin', refspec], work);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Commits a change on promoter/p1 (as another engineer) and opens a pull (merge) request from it into main
 * through the API; returns its number (GitHub `number`, GitLab `iid`) and the head commit.
 */
export async function openPromotion(harness: Harness, files: Record<string, string> = { 'app.yaml': 'image: web:2\n' }): Promise<{ number: number; head: string }> {
  const head = await harness.forge.commit(REPO, files, 'promote web:2', 'promoter/p1');
  const created =
    harness.forge.kind === 'github'
      ? await harness.call('POST', `/repos/${REPO}/pulls`, { title: 'Promote web:2', head: 'promoter/p1', base: 'main', body: 'Promotion p1' })
      : await harness.call('POST', `/projects/${encodeURIComponent(REPO)}/merge_requests`, { source_branch: 'promoter/p1', target_branch: 'main', title: 'Promote web:2', description: 'Promotion p1' });
  expect(created.status).toBe(201);
  return { number: harness.forge.kind === 'github' ? created.body.number : created.body.iid, head };
}
