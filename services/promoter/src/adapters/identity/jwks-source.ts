/**
 * An issuer's signing keys, fetched from its JWKS (found through its OpenID discovery document unless the
 * operator names the URL), cached, and fetched again when a token names a key the cache does not hold (a key
 * rotation), at most once per cool-down so tokens with made-up key ids cannot make the service hammer the
 * issuer.
 *
 * Everything read from the issuer is bounded: 5 s per request, 256 KiB per document, at most 100 keys, no
 * redirects (a JWKS is served where the issuer says, not wherever a redirect points), and the discovery
 * document's `issuer` must be the configured issuer exactly (OpenID Connect Discovery 1.0, section 4.3).
 */
import { readTextAtMost } from '../bounded-body.js';
import { createLocalJWKSet, type JSONWebKeySet, type JWTHeaderParameters, type FlattenedJWSInput, type KeyObject, type CryptoKey } from 'jose';

export const JWKS_TIMEOUT_MS = 5_000;
export const MAX_JWKS_DOCUMENT_BYTES = 256 * 1024;
export const MAX_KEYS = 100;
/** Keys are kept this long before they are fetched again (also without an unknown key). */
export const JWKS_MAX_AGE_MS = 10 * 60_000;
/** A token naming an unknown key refetches the set at most this often. */
export const JWKS_COOLDOWN_MS = 30_000;

/** The issuer's keys cannot be had (unreachable, an error status, not a key set): no token of it can be checked. */
export class JwksUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JwksUnavailableError';
  }
}

type LocalKeys = ReturnType<typeof createLocalJWKSet>;
type KeyResolver = (header: JWTHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey | KeyObject>;

export interface JwksSourceOptions {
  readonly issuer: string;
  /** Undefined: the discovery document's `jwks_uri`. */
  readonly jwksUrl: string | undefined;
  readonly fetch?: typeof globalThis.fetch;
  readonly now?: () => number;
  /** Default JWKS_COOLDOWN_MS. */
  readonly cooldownMs?: number;
}

export class JwksSource {
  readonly #options: JwksSourceOptions;
  readonly #fetch: typeof globalThis.fetch;
  readonly #now: () => number;
  #jwksUrl: string | undefined;
  #keys: LocalKeys | undefined;
  #fetchedAt = Number.NEGATIVE_INFINITY;
  #inFlight: Promise<void> | undefined;
  /** How many times the key set was fetched (for tests and logs). */
  fetches = 0;

  constructor(options: JwksSourceOptions) {
    this.#options = options;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#now = options.now ?? Date.now;
    this.#jwksUrl = options.jwksUrl;
  }

  /** A key resolver for jose's jwtVerify: the cached set, refetched once (after the cool-down) for an unknown key. */
  readonly resolve: KeyResolver = async (header, token) => {
    if (this.#keys === undefined || this.#now() - this.#fetchedAt > JWKS_MAX_AGE_MS) await this.#refresh();
    try {
      return await (this.#keys as LocalKeys)(header, token);
    } catch (error) {
      const unknownKey = (error as { code?: string }).code === 'ERR_JWKS_NO_MATCHING_KEY';
      if (!unknownKey || this.#now() - this.#fetchedAt < (this.#options.cooldownMs ?? JWKS_COOLDOWN_MS)) throw error;
      await this.#refresh();
      return (this.#keys as LocalKeys)(header, token);
    }
  };

  #refresh(): Promise<void> {
    // Concurrent requests share one fetch.
    this.#inFlight ??= this.#load().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #load(): Promise<void> {
    this.#jwksUrl ??= await this.#discoverJwksUrl();
    const document = await this.#getJson(this.#jwksUrl, 'its key set');
    const keys = (document as { keys?: unknown }).keys;
    if (!Array.isArray(keys)) throw new JwksUnavailableError(`the key set at ${this.#jwksUrl} has no keys list`);
    if (keys.length > MAX_KEYS) throw new JwksUnavailableError(`the key set at ${this.#jwksUrl} has ${keys.length} keys; at most ${MAX_KEYS} are read`);
    this.#keys = createLocalJWKSet(document as JSONWebKeySet);
    this.#fetchedAt = this.#now();
    this.fetches += 1;
  }

  async #discoverJwksUrl(): Promise<string> {
    const base = this.#options.issuer.replace(/\/+$/, '');
    const document = (await this.#getJson(`${base}/.well-known/openid-configuration`, 'its discovery document')) as { issuer?: unknown; jwks_uri?: unknown };
    if (document.issuer !== this.#options.issuer) {
      throw new JwksUnavailableError(`the discovery document names the issuer ${JSON.stringify(document.issuer)}, not ${this.#options.issuer}`);
    }
    if (typeof document.jwks_uri !== 'string' || !/^https?:\/\//.test(document.jwks_uri) || !URL.canParse(document.jwks_uri)) {
      throw new JwksUnavailableError('the discovery document has no http(s) jwks_uri');
    }
    return document.jwks_uri;
  }

  async #getJson(url: string, what: string): Promise<unknown> {
    let response: Response;
    try {
      response = await this.#fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(JWKS_TIMEOUT_MS), headers: { accept: 'application/json' } });
    } catch (error) {
      throw new JwksUnavailableError(`${what} at ${url} cannot be fetched: ${(error as Error).name === 'TimeoutError' ? `no answer within ${JWKS_TIMEOUT_MS} ms` : (error as Error).message}`);
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new JwksUnavailableError(`${what} at ${url} answered ${response.status}${response.status >= 300 && response.status < 400 ? ' (redirects are not followed)' : ''}`);
    }
    const text = await readTextAtMost(response, MAX_JWKS_DOCUMENT_BYTES);
    if (text === undefined) throw new JwksUnavailableError(`${what} at ${url} is larger than ${MAX_JWKS_DOCUMENT_BYTES} bytes`);
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      return parsed;
    } catch {
      throw new JwksUnavailableError(`${what} at ${url} is not a JSON object`);
    }
  }
}
