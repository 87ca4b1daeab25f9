/** One attempt on the wire, against loopback servers: redirects are not followed, answers are read only up to the limit, a hang times out. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../../services/promoter/src/notifications/delivery-policy.js';
import { send } from '../../services/promoter/src/notifications/http-send.js';
import { DEFAULT_DELIVERY } from '../../services/promoter/src/notifications/sinks-config.js';

describe('sending one attempt', () => {
  let server: Server;
  let base: string;
  const hits: string[] = [];
  beforeAll(async () => {
    server = createServer((request, response) => {
      hits.push(request.url ?? '');
      request.resume();
      if (request.url === '/redirect') response.writeHead(302, { location: '/target' }).end();
      else if (request.url === '/huge') {
        response.writeHead(200, { 'content-type': 'text/plain' });
        // An endless answer: only the first bytes are read, then the stream is cancelled.
        const chunk = 'x'.repeat(16 * 1024);
        const write = () => {
          while (response.write(chunk)) {
            /* fill the buffer */
          }
          response.once('drain', write);
        };
        write();
      } else if (request.url === '/hang') {
        // never answers
      } else response.writeHead(200).end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const request = { headers: { 'content-type': 'application/json' }, body: '{}' };

  it('does not follow a redirect, and a 3xx is final', async () => {
    const result = await send(`${base}/redirect`, request, 2_000, 1024);
    expect(result).toMatchObject({ status: 302, error: 'redirect (HTTP 302) not followed' });
    expect(hits).not.toContain('/target');
    expect(decide(result, 1, 0, DEFAULT_DELIVERY, new Date()).kind).toBe('dead');
  });

  it('reads an answer only up to the limit', async () => {
    const result = await send(`${base}/huge`, request, 5_000, 1000);
    expect(result.status).toBe(200);
    expect(result.body?.length).toBe(1000);
  });

  it('gives up on a receiver that does not answer, and says so without the URL', async () => {
    const result = await send(`${base}/hang`, request, 300, 1024);
    expect(result).toEqual({ error: 'no answer within 300 ms' });
    const refused = await send('http://127.0.0.1:9/', request, 2_000, 1024);
    expect(refused.error).toMatch(/^connection failed/);
    expect(refused.error).not.toContain('127.0.0.1');
    expect(decide(refused, 1, 0, DEFAULT_DELIVERY, new Date()).kind).toBe('retry');
  });
});
