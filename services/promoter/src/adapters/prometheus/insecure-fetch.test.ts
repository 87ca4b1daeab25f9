import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusClient } from './prometheus-client.js';

// A real HTTPS server with a throwaway self-signed certificate: the only honest test of skipping
// verification. Needs the openssl binary: outside CI a machine without it skips, saying why; in CI
// (.ci/run installs it) the suite runs and fails at start-up, so a missing install step cannot pass as green.
function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const opensslPresent = hasOpenssl();

const skipSuite = !opensslPresent && !process.env.CI;
if (skipSuite) console.warn('[insecure-fetch.test] skipping the self-signed HTTPS tests: no openssl binary on the PATH');

describe.skipIf(skipSuite)('insecureSkipTlsVerify (self-signed HTTPS server)', () => {
  let server: Server;
  let baseUrl = '';
  const dir = mkdtempSync(join(tmpdir(), 'promoter-tls-'));

  beforeAll(async () => {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        res.setHeader('Content-Type', 'application/json');
        const query = new URLSearchParams(body).get('query') ?? '';
        if (query === 'slow') return; // never answers: the client's timeout must fire
        res.end(JSON.stringify({ status: 'success', data: { resultType: 'string', result: [1, `${req.headers['authorization']}|${query}`] } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`; // listening on TCP: AddressInfo
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('is refused by default (certificate not trusted)', async () => {
    const client = new PrometheusClient({ baseUrl, retries: 0 });
    await expect(client.queryInstant('up')).rejects.toMatchObject({ kind: 'network' });
  });

  it('works with insecureSkipTlsVerify, sending headers and the form body', async () => {
    const client = new PrometheusClient({
      baseUrl,
      retries: 0,
      insecureSkipTlsVerify: true,
      auth: { type: 'bearer', token: 't' },
    });
    const result = await client.queryInstant('sum(up)');
    expect(result.result).toEqual({ time: 1, value: 'Bearer t|sum(up)' });
  });

  it('times out through the node:https path too', async () => {
    const client = new PrometheusClient({ baseUrl, retries: 0, timeoutMs: 100, insecureSkipTlsVerify: true });
    await expect(client.queryInstant('slow')).rejects.toMatchObject({ kind: 'timeout' });
  });
});
