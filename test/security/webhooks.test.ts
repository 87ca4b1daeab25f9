/**
 * What the service will call. Issue 14: any operator's inline policy made the service POST to any URL
 * (loopback ports, [::ffff:127.0.0.1], decimal IPs, link-local metadata), echoed 200 characters of the
 * answer, read the body in full (two 150 MB answers took the process from 577 MB to 1.41 GB RSS) and
 * accepted a timeout of 24 days. Real servers on loopback; only name resolution is given per test, so a
 * name can resolve to the addresses an attacker would use.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LookupAddress } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressRefusal, WEBHOOK_LIMITS, WebhookClient, WebhookError } from '../../services/promoter/src/adapters/webhook/webhook-client.js';

/** A resolver that answers every name with the given addresses (what a hostile DNS record would do). */
function resolvingTo(...addresses: string[]): typeof dnsLookup {
  return ((_hostname: string, _options: unknown, callback: (error: null, addresses: LookupAddress[]) => void) => {
    callback(
      null,
      addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
    );
  }) as unknown as typeof dnsLookup;
}

describe('webhook calls', () => {
  let server: Server;
  let port: number;
  let calls = 0;
  let bytesSent = 0;
  let receivedHeaders: Record<string, unknown> = {};
  const hangingResponses: ServerResponse[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      calls += 1;
      receivedHeaders = request.headers;
      request.resume();
      if (request.url?.startsWith('/huge')) {
        // 150 MB, written as the client reads it (so the server itself never holds it all).
        const chunk = Buffer.alloc(1024 * 1024, 'x');
        let left = 150;
        response.writeHead(500);
        const pump = () => {
          while (left > 0) {
            left -= 1;
            bytesSent += chunk.length;
            if (!response.write(chunk)) return void response.once('drain', pump);
          }
          response.end();
        };
        response.on('error', () => undefined);
        pump();
        return;
      }
      if (request.url?.startsWith('/limit-then-hang')) {
        // Exactly the read limit, then silence with the connection open: a client that reads no more than
        // the limit has its answer now; one that wants more waits for bytes that never come.
        response.writeHead(500);
        response.write(Buffer.alloc(WEBHOOK_LIMITS.maxBodyBytes, 'y'));
        hangingResponses.push(response);
        return;
      }
      if (request.url?.startsWith('/noisy')) {
        response.writeHead(500).end(`\u0000\u001b[31m<script>alert(1)</script>\r\nFAILED ${'detail '.repeat(500)}`);
        return;
      }
      response.writeHead(200).end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => {
    for (const response of hangingResponses) response.destroy();
    return new Promise((resolve) => server.close(resolve));
  });

  const post = (client: WebhookClient, url: string, headers: Record<string, string> = {}) =>
    client.post({ url, payload: { check: 'x' }, headers, timeoutMs: 5_000, retries: 0 });

  it('calls nothing when the operator allowed nothing', async () => {
    const before = calls;
    await expect(post(new WebhookClient(), `http://127.0.0.1:${port}/run`)).rejects.toThrow(/no webhook URL is allowed \(the operator sets PROMOTER_WEBHOOK_ALLOWED_URLS\)/);
    expect(calls).toBe(before);
  });

  it.each([
    ['another port', (p: number) => `http://hooks.test:${p + 1}/hooks/run`],
    ['another path', (p: number) => `http://hooks.test:${p}/admin`],
    ['the loopback address', (p: number) => `http://127.0.0.1:${p}/hooks/run`],
    ['IPv4-mapped IPv6', (p: number) => `http://[::ffff:127.0.0.1]:${p}/hooks/run`],
    ['a decimal IP', (p: number) => `http://2130706433:${p}/hooks/run`],
    ['the metadata address', () => 'http://169.254.169.254/latest/meta-data/'],
    ['credentials in the URL', (p: number) => `http://user:pw@hooks.test:${p}/hooks/run`],
  ])('refuses a URL outside the allow-list: %s', async (_name, url) => {
    const client = new WebhookClient({ allowedUrls: [`http://hooks.test:${port}/hooks/`], lookup: resolvingTo('127.0.0.1') });
    const before = calls;
    await expect(post(client, url(port))).rejects.toThrow(/refused: (the URL matches no entry|a webhook URL must not hold credentials)/);
    expect(calls).toBe(before);
  });

  it('calls an allowed URL, the operator having named the loopback address itself', async () => {
    const client = new WebhookClient({ allowedUrls: [`http://127.0.0.1:${port}/hooks/`] });
    expect(await post(client, `http://127.0.0.1:${port}/hooks/run`)).toMatchObject({ status: 200, body: 'ok', attempts: 1 });
  });

  it.each([
    ['loopback', ['127.0.0.1']],
    ['loopback among public addresses', ['93.184.216.34', '127.0.0.2']],
    ['IPv6 loopback', ['::1']],
    ['IPv4-mapped loopback', ['::ffff:127.0.0.1']],
    ['link-local metadata', ['169.254.169.254']],
    ['IPv6 link-local', ['fe80::1']],
    ['NAT64 of the metadata address', ['64:ff9b::a9fe:a9fe']],
    ['the unspecified address', ['0.0.0.0']],
  ])('refuses a name that resolves to %s, checked after DNS on the connection', async (_name, addresses) => {
    const client = new WebhookClient({ allowedUrls: [`http://hooks.test:${port}/`], lookup: resolvingTo(...addresses) });
    const before = calls;
    await expect(post(client, `http://hooks.test:${port}/run`)).rejects.toThrow(/refused: hooks\.test resolves to/);
    expect(calls).toBe(before);
  });

  it('judges addresses in every notation', () => {
    expect(addressRefusal('127.0.0.1')).toMatch(/loopback/);
    expect(addressRefusal('0:0:0:0:0:ffff:7f00:1')).toMatch(/loopback/);
    expect(addressRefusal('::ffff:a9fe:a9fe')).toMatch(/link-local/);
    expect(addressRefusal('fd00:ec2::254')).toMatch(/metadata/);
    expect(addressRefusal('100.100.100.200')).toMatch(/metadata/);
    expect(addressRefusal('10.0.0.5')).toBeUndefined(); // in-cluster services: the allow-list decides
    expect(addressRefusal('2001:db8::1')).toBeUndefined();
  });

  it('reads at most 64 KB of an answer: a 150 MB body neither fills memory nor the record', async () => {
    const client = new WebhookClient({ allowedUrls: [`http://127.0.0.1:${port}/`] });
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const answers = await Promise.all([post(client, `http://127.0.0.1:${port}/huge/1`), post(client, `http://127.0.0.1:${port}/huge/2`)]);
    clearInterval(sampler);
    console.log(`two 150 MB webhook answers: RSS ${(rssBefore / 2 ** 20).toFixed(0)} MB -> peak ${(peak / 2 ** 20).toFixed(0)} MB; server wrote ${(bytesSent / 2 ** 20).toFixed(1)} MB before the client hung up`);
    for (const answer of answers) {
      expect(answer.status).toBe(500);
      expect(answer.body.length).toBeLessThanOrEqual(200);
    }
    // The client hung up long before the end. What the server could write is the limit plus the kernel's
    // socket buffers (a few MB each on loopback); a 100 MB limit lets it write ~200 MB.
    expect(bytesSent).toBeLessThan(48 * 2 ** 20);
    // Memory bound, not timing: with the 64 KB limit the peak grows by a few MB; a 100 MB limit grew it by
    // ~370 MB (the issue 26 review's mutant).
    expect(peak - rssBefore).toBeLessThan(128 * 2 ** 20);
  });

  it('stops reading at the limit: an answer of exactly 64 KB that then hangs is recorded at once', async () => {
    const client = new WebhookClient({ allowedUrls: [`http://127.0.0.1:${port}/`] });
    // A client that wanted one byte more would wait for the (never-sent) rest until this timeout.
    const answer = await client.post({ url: `http://127.0.0.1:${port}/limit-then-hang`, payload: {}, timeoutMs: 3_000, retries: 0 });
    expect(WEBHOOK_LIMITS.maxBodyBytes).toBe(64 * 1024);
    expect(answer.status).toBe(500);
    expect(answer.body).toMatch(/^y+…$/);
  });

  it('keeps only a short, sanitised excerpt of an answer', async () => {
    const client = new WebhookClient({ allowedUrls: [`http://127.0.0.1:${port}/`] });
    const answer = await post(client, `http://127.0.0.1:${port}/noisy`);
    expect(answer.body.length).toBeLessThanOrEqual(200);
    expect(answer.body).not.toMatch(/[\u0000-\u001f\u007f]/);
    expect(answer.body.startsWith('[31m<script>alert(1)</script> FAILED detail')).toBe(true);
  });

  it('caps the timeout and the retries whatever the policy says', async () => {
    const hanging = createServer(() => undefined);
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/`;
    try {
      const client = new WebhookClient({ allowedUrls: [url], maxTimeoutMs: 200, baseDelayMs: 1 });
      const error = await client.post({ url, payload: {}, timeoutMs: 24 * 24 * 3600 * 1000, retries: 10 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WebhookError);
      expect((error as WebhookError).message).toBe(`webhook ${url} failed after 4 attempts: no answer within 200 ms`);
    } finally {
      hanging.closeAllConnections();
      await new Promise((resolve) => hanging.close(resolve));
    }
  });

  it('sends a header value from a PROMOTER_WEBHOOK_SECRET_* variable, and refuses any other variable', async () => {
    const client = new WebhookClient({ allowedUrls: [`http://127.0.0.1:${port}/`], secrets: { PROMOTER_WEBHOOK_SECRET_CI: 'from-a-secret' } });
    await post(client, `http://127.0.0.1:${port}/run`, { 'x-api-key': '${env:PROMOTER_WEBHOOK_SECRET_CI}' });
    expect(receivedHeaders['x-api-key']).toBe('from-a-secret');
    await expect(post(client, `http://127.0.0.1:${port}/run`, { 'x-api-key': '${env:DATABASE_URL}' })).rejects.toThrow(/references DATABASE_URL, which is not set/);
    await expect(post(client, `http://127.0.0.1:${port}/run`, { 'x-api-key': '${env:PROMOTER_WEBHOOK_SECRET_NOPE}' })).rejects.toThrow(/not set/);
  });
});
