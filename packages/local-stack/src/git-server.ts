/**
 * A real Git server on loopback for the demo and the tests: a small Node HTTP server in front of `git http-backend` (CGI),
 * with Basic auth (the password must be the token), bare repositories it creates and seeds itself, and
 * the same repositories over `file://`. Nothing of git is mocked: clients clone, fetch and push with the
 * smart HTTP protocol (v2), gzip-compressed request bodies included.
 *
 * @example
 * const server = await startGitServer({ token: 's3cret' });
 * await server.createRepository('deploy', { 'app.yaml': manifest });
 * // clone server.httpUrl('deploy') with user any, password s3cret
 * server.beforeNext({ method: 'GET', query: 'service=git-receive-pack' }, () => server.commit('deploy', { 'other.txt': 'x' }, 'race'));
 * await server.close();
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { createGunzip } from 'node:zlib';

const run = promisify(execFile);

export interface GitServerOptions {
  /** When set, every request needs Basic auth with this password (any user name). */
  readonly token?: string;
  /**
   * Instead of one token, decides each Basic-auth pair (a fake forge gives every user a token of their own).
   * Takes precedence over `token`.
   */
  readonly authenticate?: (user: string, password: string) => boolean;
}

export interface GitRequestLog {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly status: number;
  /** The Basic-auth user name, when credentials were sent (never the password). */
  readonly user: string | undefined;
  readonly gzip: boolean;
}

export interface RequestMatch {
  readonly method?: string;
  /** A substring of the query string, e.g. `service=git-receive-pack`. */
  readonly query?: string;
  /** A substring of the path, e.g. `/git-receive-pack`. */
  readonly path?: string;
}

/** What a seeded file's content is, or a function of its current content (for `commit`). */
export type FileEdit = string | ((current: string) => string);

export class GitServer {
  readonly root: string;
  readonly requests: GitRequestLog[] = [];
  readonly #server: Server;
  readonly #authenticate: ((user: string, password: string) => boolean) | undefined;
  readonly #scratch: string;
  readonly #hooks: { match: RequestMatch; action: () => Promise<unknown> | unknown }[] = [];
  #port = 0;

  private constructor(root: string, scratch: string, options: GitServerOptions) {
    this.root = root;
    this.#scratch = scratch;
    const { token, authenticate } = options;
    this.#authenticate = authenticate ?? (token === undefined ? undefined : (_user, password) => password === token);
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  static async start(options: GitServerOptions = {}): Promise<GitServer> {
    const base = await mkdtemp(join(tmpdir(), 'git-server-'));
    await mkdir(join(base, 'repos'));
    await mkdir(join(base, 'scratch'));
    const server = new GitServer(join(base, 'repos'), join(base, 'scratch'), options);
    await new Promise<void>((resolve) => server.#server.listen(0, '127.0.0.1', resolve));
    server.#port = (server.#server.address() as AddressInfo).port;
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  httpUrl(name: string): string {
    return `${this.url}/${name}.git`;
  }

  fileUrl(name: string): string {
    return `file://${this.barePath(name)}`;
  }

  barePath(name: string): string {
    return join(this.root, `${name}.git`);
  }

  /** Creates a bare repository whose branch has one commit with these files. */
  async createRepository(name: string, files: Readonly<Record<string, string>>, branch = 'main'): Promise<string> {
    await git(['init', '--quiet', '--bare', '--initial-branch', branch, this.barePath(name)]);
    await git(['config', 'http.receivepack', 'true'], this.barePath(name));
    await this.commit(name, files, 'initial commit', branch);
    return this.barePath(name);
  }

  /**
   * Commits to the bare repository from a clone of its own, as another engineer (or CI) would, and
   * returns the new commit. Used to simulate concurrent pushes and hand edits.
   */
  async commit(name: string, files: Readonly<Record<string, FileEdit>>, message: string, branch = 'main'): Promise<string> {
    const work = await mkdtemp(join(this.#scratch, 'clone-'));
    try {
      const empty = (await git(['ls-remote', '--heads', this.barePath(name), branch])).trim() === '';
      if (empty) {
        await git(['init', '--quiet', '--initial-branch', branch, work]);
        await git(['remote', 'add', 'origin', this.barePath(name)], work);
      } else {
        await git(['clone', '--quiet', '--branch', branch, this.barePath(name), work]);
      }
      for (const [path, edit] of Object.entries(files)) {
        const full = join(work, path);
        await mkdir(dirname(full), { recursive: true });
        const current = await readFile(full, 'utf8').catch(() => '');
        await writeFile(full, typeof edit === 'function' ? edit(current) : edit);
      }
      await git(['add', '--all'], work);
      await git(['commit', '--quiet', '--allow-empty', '-m', message], work);
      await git(['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`], work);
      return (await git(['rev-parse', 'HEAD'], work)).trim();
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  /** Runs git against the bare repository (log, show, for-each-ref...) and returns stdout. */
  git(name: string, args: readonly string[]): Promise<string> {
    return git(args, this.barePath(name));
  }

  /** Commit subjects on the branch, newest first. */
  async subjects(name: string, branch = 'main'): Promise<string[]> {
    return (await this.git(name, ['log', '--format=%s', branch])).split('\n').filter((line) => line !== '');
  }

  async readFile(name: string, path: string, ref = 'main'): Promise<string> {
    return this.git(name, ['show', `${ref}:${path}`]);
  }

  /** Runs `action` (awaited) before the next request that matches, then serves the request. */
  beforeNext(match: RequestMatch, action: () => Promise<unknown> | unknown): void {
    this.#hooks.push({ match, action });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.closeAllConnections();
      this.#server.close(() => resolve());
    });
    await rm(dirname(this.root), { recursive: true, force: true });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const gzip = (req.headers['content-encoding'] ?? '').toLowerCase() === 'gzip';
    const user = basicUser(req.headers.authorization);
    const log = (status: number) => this.requests.push({ method, path: url.pathname, query: url.search.slice(1), status, user: user?.name, gzip });

    if (this.#authenticate !== undefined && (user === undefined || !this.#authenticate(user.name, user.password))) {
      log(401);
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"', 'Content-Type': 'text/plain' });
      res.end('authentication required\n');
      return;
    }
    const hookIndex = this.#hooks.findIndex(({ match }) => matches(match, method, url));
    if (hookIndex >= 0) {
      const [hook] = this.#hooks.splice(hookIndex, 1);
      await hook?.action();
    }

    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: this.#scratch,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_PROJECT_ROOT: this.root,
      GIT_HTTP_EXPORT_ALL: '1',
      REMOTE_USER: user?.name ?? 'anonymous',
      REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
      REQUEST_METHOD: method,
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      ...(req.headers['git-protocol'] ? { HTTP_GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
      // A gunzipped body has another length: leave it unset and http-backend reads to the end.
      ...(!gzip && req.headers['content-length'] ? { CONTENT_LENGTH: req.headers['content-length'] } : {}),
    };
    const cgi = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    cgi.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    cgi.stdin.on('error', () => undefined);
    (gzip ? req.pipe(createGunzip()) : req).pipe(cgi.stdin);

    let head = Buffer.alloc(0);
    let headersSent = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (headersSent) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = headerEnd(head);
      if (end === undefined) return;
      const { status, headers } = parseCgiHeaders(head.subarray(0, end.at).toString('latin1'));
      log(status);
      res.writeHead(status, headers);
      headersSent = true;
      res.write(head.subarray(end.at + end.length));
    });
    cgi.once('close', (code) => {
      if (!headersSent) {
        log(500);
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(`http-backend exited ${code}: ${stderr}`);
        return;
      }
      res.end();
    });
  }
}

export function startGitServer(options?: GitServerOptions): Promise<GitServer> {
  return GitServer.start(options);
}

/** git for the fixture itself, isolated from the machine's config like the adapter. */
async function git(args: readonly string[], cwd?: string): Promise<string> {
  const { stdout } = await run('git', args as string[], {
    cwd,
    env: {
      PATH: process.env.PATH,
      HOME: tmpdir(),
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_AUTHOR_NAME: 'Another Engineer',
      GIT_AUTHOR_EMAIL: 'another@example.com',
      GIT_COMMITTER_NAME: 'Another Engineer',
      GIT_COMMITTER_EMAIL: 'another@example.com',
      LC_ALL: 'C',
    },
    maxBuffer: 64 * 1024 * 1024,
    timeout: 30_000,
  });
  return stdout;
}

function basicUser(header: string | undefined): { name: string; password: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { name: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function matches(match: RequestMatch, method: string, url: URL): boolean {
  return (
    (match.method === undefined || match.method === method) &&
    (match.query === undefined || url.search.includes(match.query)) &&
    (match.path === undefined || url.pathname.includes(match.path))
  );
}

function headerEnd(buffer: Buffer): { at: number; length: number } | undefined {
  const crlf = buffer.indexOf('\r\n\r\n');
  const lf = buffer.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { at: crlf, length: 4 };
  if (lf >= 0) return { at: lf, length: 2 };
  return undefined;
}

function parseCgiHeaders(text: string): { status: number; headers: Record<string, string> } {
  let status = 200;
  const headers: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 200;
    else headers[name] = value;
  }
  return { status, headers };
}
