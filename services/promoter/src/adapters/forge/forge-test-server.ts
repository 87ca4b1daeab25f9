/**
 * For the forge adapters' tests only: a loopback `node:http` server that answers from a route table with
 * the bodies the forges document, and records every request it got. Not the fake forge (packages/), which
 * keeps state; this one says exactly what a test tells it to, including the misbehaviours (a hang, a body
 * too large, a redirect) a real forge or a proxy in front of one can show.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  /** The path as sent, still percent-encoded. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** The parsed JSON body, if any. */
  readonly body: unknown;
}

export interface Reply {
  readonly status: number;
  /** Sent as JSON. */
  readonly json?: unknown;
  /** Sent as is (for bodies that are not JSON). */
  readonly raw?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Never answer (a forge that hangs). */
  readonly hang?: boolean;
  /** Send the status and headers, then nothing more (a body announced but never sent). */
  readonly headersOnly?: boolean;
  /** Send this many bytes of JSON-looking filler in 64 KiB chunks, without a Content-Length. */
  readonly streamBytes?: number;
}

/** Keyed by `METHOD /path` (the encoded path, without the query). */
export type Routes = Readonly<Record<string, Reply | ((request: RecordedRequest) => Reply)>>;

export interface ForgeTestServer {
  readonly url: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startForgeTestServer(routes: Routes): Promise<ForgeTestServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://forge.test');
      const text = Buffer.concat(chunks).toString('utf8');
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: text === '' ? undefined : (JSON.parse(text) as unknown),
      };
      requests.push(recorded);
      const route = routes[`${recorded.method} ${recorded.path}`];
      const reply = typeof route === 'function' ? route(recorded) : (route ?? { status: 404, json: { message: 'Not Found' } });
      send(res, reply);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: ServerResponse, reply: Reply): void {
  if (reply.hang === true) return;
  const headers: Record<string, string> = { ...reply.headers };
  if (reply.headersOnly === true) {
    res.writeHead(reply.status, headers);
    res.flushHeaders();
    return;
  }
  if (reply.streamBytes !== undefined) {
    res.writeHead(reply.status, { 'content-type': 'application/json', ...headers });
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let left = reply.streamBytes;
    const pump = (): void => {
      while (left > 0) {
        left -= chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    res.on('error', () => undefined);
    pump();
    return;
  }
  const body = reply.json !== undefined ? JSON.stringify(reply.json) : (reply.raw ?? '');
  if (reply.json !== undefined) headers['content-type'] ??= 'application/json; charset=utf-8';
  res.writeHead(reply.status, headers);
  res.end(body);
}
