/**
 * Shared set-up of the GitOps tests: a configured GitDelivery over the test git server, a capturing logger,
 * and a proxy in front of the git server that can hold the answer to a push (for crash tests).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { pollUntil } from '@promoter/fake-kube';
import { GitDelivery, parseGitConfig, type GitLogger, type RepositoryContentLimits } from '../../services/promoter/src/adapters/git/index.js';

export const MANIFEST = `# zai-proxy in production
apiVersion: apps/v1
kind: Deployment
metadata:
  name: zai-proxy
  namespace: mcp
spec:
  replicas: 3
  template:
    spec:
      containers:
        - name: proxy
          image: ronaldraygun/zai-proxy:1.2.0 # promoted by promoter
        - name: sidecar
          image: envoyproxy/envoy:v1.30.1
`;

export interface CapturedLogger extends GitLogger {
  readonly lines: string[];
}

export function captureLogger(): CapturedLogger {
  const lines: string[] = [];
  const push = (level: string) => (object: object, message: string) => lines.push(`${level} ${JSON.stringify(object)} ${message}`);
  return { lines, debug: push('debug'), info: push('info'), warn: push('warn') };
}

export interface DeliverySetup {
  readonly delivery: GitDelivery;
  readonly cacheDir: string;
  readonly logger: CapturedLogger;
}

/**
 * A GitDelivery configured with `repositories` (YAML entries without author, which is added), through the
 * same parser the service uses. `tokenFile` entries are written from `tokens`.
 */
export async function makeDelivery(
  repositories: ReadonlyArray<Record<string, unknown>>,
  options: { cacheDir?: string; timeoutSeconds?: number; pushAttempts?: number; gitBinary?: string; environment?: Record<string, string>; limits?: Partial<RepositoryContentLimits> } = {},
): Promise<DeliverySetup> {
  const cacheDir = options.cacheDir ?? (await mkdtemp(join(tmpdir(), 'promoter-git-cache-')));
  const text = JSON.stringify({
    cacheDir,
    ...(options.timeoutSeconds ? { timeoutSeconds: options.timeoutSeconds } : {}),
    ...(options.pushAttempts ? { pushAttempts: options.pushAttempts } : {}),
    repositories: repositories.map((r) => ({ branch: 'main', author: { name: 'Promoter Bot', email: 'promoter@example.com' }, ...r })),
  });
  const logger = captureLogger();
  const config = parseGitConfig(text, 'test-config.json', { cacheDir });
  const delivery = new GitDelivery({
    config,
    logger,
    environment: options.environment ?? {},
    ...(options.gitBinary ? { gitBinary: options.gitBinary } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
  });
  return { delivery, cacheDir, logger };
}

export async function writeTokenFile(token: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'promoter-token-'));
  const path = join(dir, 'token');
  await writeFile(path, `${token}\n`, { mode: 0o600 });
  return path;
}

/** What the hold switch needs of the git server (test/fixtures/git-server.ts). */
export interface UpstreamGitServer {
  readonly url: string;
}

export interface PushHoldingProxy {
  /** The repository's URL through the proxy. */
  httpUrl(name: string): string;
  /**
   * Arms the switch for the next push (`POST .../git-receive-pack`): the request goes to the git server,
   * which runs receive-pack to the end (the pack is stored and the branch updated: the push has landed),
   * and then the proxy keeps the answer, runs `whenLanded` (awaited), and drops the connection without
   * ever answering. The pusher cannot know that its push landed, as when it dies at that moment.
   */
  holdNextPush(whenLanded: () => Promise<unknown> | unknown): void;
  /** Pushes held so far. */
  readonly held: number;
  close(): Promise<void>;
}

/** A transparent HTTP proxy to `upstream`, with the hold switch for pushes. */
export async function startPushHoldingProxy(upstream: UpstreamGitServer): Promise<PushHoldingProxy> {
  const target = new URL(upstream.url);
  let armed: (() => Promise<unknown> | unknown) | undefined;
  let held = 0;
  const server: Server = createServer((req, res) => {
    const isPush = req.method === 'POST' && (req.url ?? '').split('?')[0]?.endsWith('/git-receive-pack') === true;
    const hold = isPush ? armed : undefined;
    if (hold) armed = undefined;
    const forward = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer: IncomingMessage) => {
        if (!hold) {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          return;
        }
        // Read the whole answer: it ends when http-backend (and receive-pack) exited, refs updated.
        answer.resume();
        answer.once('end', () => {
          held += 1;
          void Promise.resolve()
            .then(hold)
            .finally(() => res.socket?.destroy());
        });
      },
    );
    forward.once('error', () => res.socket?.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo; // a TCP listener
  return {
    httpUrl: (name) => `http://127.0.0.1:${port}/${name}.git`,
    holdNextPush: (whenLanded) => {
      armed = whenLanded;
    },
    get held() {
      return held;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Calls `probe` every 50 ms until it returns something, and returns that; fails after `timeoutMs`. */
export function poll<T>(probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  return pollUntil(probe, { timeoutMs, intervalMs: 50 });
}

/** What a path becomes in `commitEntries`: a regular file, a symbolic link, a submodule (gitlink) or nothing. */
export type TreeEntry = { readonly file: string } | { readonly link: string } | { readonly submodule: string } | { readonly remove: true };

/**
 * Commits entries the git server's `commit` cannot make (symbolic links, submodules, removals) to a bare
 * repository, as someone with push access would, and returns the commit.
 */
export async function commitEntries(bare: string, entries: Readonly<Record<string, TreeEntry>>, message: string, branch = 'main'): Promise<string> {
  const git = async (args: string[], cwd?: string) =>
    (
      await promisify(execFile)('git', args, {
        cwd,
        env: { PATH: process.env.PATH, HOME: tmpdir(), GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 'Pusher', GIT_AUTHOR_EMAIL: 'pusher@example.com', GIT_COMMITTER_NAME: 'Pusher', GIT_COMMITTER_EMAIL: 'pusher@example.com' },
      })
    ).stdout;
  const work = await mkdtemp(join(tmpdir(), 'promoter-pusher-'));
  try {
    await git(['clone', '--quiet', '--branch', branch, bare, work]);
    for (const [path, entry] of Object.entries(entries)) {
      const full = join(work, path);
      await rm(full, { recursive: true, force: true });
      await git(['rm', '-r', '--cached', '--quiet', '--ignore-unmatch', '--', path], work);
      if ('remove' in entry) continue;
      if ('submodule' in entry) {
        await git(['update-index', '--add', '--cacheinfo', `160000,${entry.submodule},${path}`], work);
        continue;
      }
      await mkdir(dirname(full), { recursive: true });
      if ('link' in entry) await symlink(entry.link, full);
      else await writeFile(full, entry.file);
      await git(['add', '--', path], work);
    }
    await git(['commit', '--quiet', '-m', message], work);
    await git(['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`], work);
    return (await git(['rev-parse', 'HEAD'], work)).trim();
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
