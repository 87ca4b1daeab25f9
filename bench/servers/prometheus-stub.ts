/**
 * A Prometheus-compatible endpoint that answers at once (or after a delay the runner sets, to stand in
 * for a Prometheus across a network), in its own process: `/api/v1/query` (GET or
 * POST form) returns a one-series vector whose value the runner sets (`setValue`), `/api/v1/format_query`
 * echoes the query (policy syntax checks). It counts requests, so a benchmark can tell how many queries
 * the service really sent.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveIpc } from '../lib/ipc.js';

let value = Number(process.env.STUB_VALUE ?? 0.01);
let delayMs = 0;
let requests = 0;
const byPath = new Map<string, number>();
const distinctQueries = new Set<string>();

async function readForm(req: IncomingMessage, url: URL): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
  for (const [key, v] of url.searchParams) if (!form.has(key)) form.set(key, v);
  return form;
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://stub');
  requests++;
  byPath.set(url.pathname, (byPath.get(url.pathname) ?? 0) + 1);
  readForm(req, url).then(
    (form) => {
      const query = form.get('query') ?? '';
      let body: unknown;
      if (url.pathname === '/api/v1/query') {
        distinctQueries.add(query);
        const time = form.has('time') ? Number(form.get('time')) : Date.now() / 1000;
        body = { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [time, String(value)] }] } };
      } else if (url.pathname === '/api/v1/format_query') {
        body = { status: 'success', data: query };
      } else {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'error', errorType: 'not_found', error: `no ${url.pathname} here` }));
        return;
      }
      const text = JSON.stringify(body);
      const answer = () => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      };
      if (delayMs > 0) setTimeout(answer, delayMs);
      else answer();
    },
    () => {
      res.writeHead(400);
      res.end();
    },
  );
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo; // TCP server: an AddressInfo
  serveIpc(
    {
      /** Sets the value every query returns from now on; answers the instant it took effect. */
      setValue: (args) => {
        value = (args as { value: number }).value;
        return { at: Date.now() };
      },
      /** Answers every later request after this many milliseconds (0: at once). */
      setDelay: (args) => {
        delayMs = (args as { ms: number }).ms;
        return true;
      },
      stats: () => ({ requests, byPath: Object.fromEntries(byPath), distinctQueries: distinctQueries.size }),
      stop: () => {
        server.closeAllConnections();
        server.close();
        setTimeout(() => process.exit(0), 20);
        return true;
      },
    },
    { url: `http://127.0.0.1:${port}` },
  );
});
