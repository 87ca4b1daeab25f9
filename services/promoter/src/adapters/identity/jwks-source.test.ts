import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { JWKS_COOLDOWN_MS, JwksSource, JwksUnavailableError, MAX_JWKS_DOCUMENT_BYTES } from './jwks-source.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** An issuer answering each path with what `answer` says; counts requests per path. */
async function issuer(answer: (path: string, base: string) => { status: number; body: string; headers?: Record<string, string> }) {
  const counts: Record<string, number> = {};
  server = createServer((request, response) => {
    const path = request.url ?? '';
    counts[path] = (counts[path] ?? 0) + 1;
    const { status, body, headers } = answer(path, base);
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(body);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, counts };
}

async function publicJwk(kid: string): Promise<JWK> {
  const { publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { ...(await exportJWK(publicKey)), kid, alg: 'ES256' };
}

const header = (kid: string) => ({ alg: 'ES256', kid });
const token = { payload: '', signature: '' };

describe('JwksSource', () => {
  it('finds the keys through discovery, caches them, and refetches for an unknown key only after the cool-down', async () => {
    let keys = [await publicJwk('a')];
    const { base, counts } = await issuer((path, url) =>
      path === '/.well-known/openid-configuration' ? { status: 200, body: JSON.stringify({ issuer: url, jwks_uri: `${url}/keys` }) } : { status: 200, body: JSON.stringify({ keys }) },
    );
    let now = 1_000_000;
    const source = new JwksSource({ issuer: base, jwksUrl: undefined, now: () => now });
    await source.resolve(header('a'), token);
    await source.resolve(header('a'), token);
    expect(counts).toEqual({ '/.well-known/openid-configuration': 1, '/keys': 1 });
    keys = [await publicJwk('b')];
    now += JWKS_COOLDOWN_MS - 1;
    await expect(source.resolve(header('b'), token)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
    expect(counts['/keys']).toBe(1);
    now += 2;
    await source.resolve(header('b'), token);
    expect(counts['/keys']).toBe(2);
    expect(source.fetches).toBe(2);
  });

  it('refuses a discovery document of another issuer', async () => {
    const { base } = await issuer(() => ({ status: 200, body: JSON.stringify({ issuer: 'https://evil.example.com', jwks_uri: 'https://evil.example.com/keys' }) }));
    const source = new JwksSource({ issuer: base, jwksUrl: undefined });
    await expect(source.resolve(header('a'), token)).rejects.toThrow(/names the issuer "https:\/\/evil.example.com"/);
  });

  it('does not follow a redirect, and reads no more than the size bound', async () => {
    const { base } = await issuer((path) =>
      path === '/redirect' ? { status: 302, body: '', headers: { location: 'http://169.254.169.254/keys' } } : { status: 200, body: JSON.stringify({ keys: [], pad: 'x'.repeat(MAX_JWKS_DOCUMENT_BYTES) }) },
    );
    const redirected = new JwksSource({ issuer: base, jwksUrl: `${base}/redirect` });
    await expect(redirected.resolve(header('a'), token)).rejects.toThrow(new JwksUnavailableError(`its key set at ${base}/redirect answered 302 (redirects are not followed)`));
    const big = new JwksSource({ issuer: base, jwksUrl: `${base}/big` });
    await expect(big.resolve(header('a'), token)).rejects.toThrow(`is larger than ${MAX_JWKS_DOCUMENT_BYTES} bytes`);
  });

  it('refuses a key set that is no JSON object or has no keys list', async () => {
    const { base } = await issuer((path) => (path === '/text' ? { status: 200, body: 'hello' } : { status: 200, body: JSON.stringify({ nokeys: true }) }));
    await expect(new JwksSource({ issuer: base, jwksUrl: `${base}/text` }).resolve(header('a'), token)).rejects.toThrow('is not a JSON object');
    await expect(new JwksSource({ issuer: base, jwksUrl: `${base}/none` }).resolve(header('a'), token)).rejects.toThrow('has no keys list');
  });
});
