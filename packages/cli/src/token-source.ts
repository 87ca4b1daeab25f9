/**
 * Where the CLI's bearer token comes from: `--token`, else `--token-file`, else PROMOTER_TOKEN, else
 * PROMOTER_TOKEN_FILE, else GitHub Actions' own OIDC token when PROMOTER_OIDC_AUDIENCE is set (a flag beats
 * the environment; a token given as text beats a file). A file is read again before every request, because
 * the tokens kept in files are the short-lived ones that get renewed there: a CI job's OIDC token, a pod's
 * projected service-account token. A `promote --wait` that outlives one token then goes on with the next.
 *
 * In a GitHub Actions job with `permissions: id-token: write`, GitHub sets ACTIONS_ID_TOKEN_REQUEST_URL and
 * ACTIONS_ID_TOKEN_REQUEST_TOKEN; the CLI asks that endpoint for a token with the audience the service
 * expects (`GET <url>&audience=<aud>`, `Authorization: bearer <request token>`, answer `{"value": "<jwt>"}`),
 * and asks again when the one it holds is within a minute of its expiry.
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TokenProvider } from '@promoter/sdk';
import type { GlobalFlags } from './args.js';
import { UsageError } from './exit-codes.js';

/** A JWT is a few KiB at most; anything bigger in a token file is not a token. */
export const MAX_TOKEN_FILE_BYTES = 64 * 1024;

export function chooseToken(
  globals: Pick<GlobalFlags, 'token' | 'tokenFile'>,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
  command: string,
): string | TokenProvider | undefined {
  if (globals.token !== undefined && globals.tokenFile !== undefined) throw new UsageError('give --token or --token-file, not both', command);
  if (globals.token) return globals.token;
  if (globals.tokenFile !== undefined) return tokenFromFile(resolve(cwd, globals.tokenFile), '--token-file', command);
  if (env.PROMOTER_TOKEN) return env.PROMOTER_TOKEN;
  if (env.PROMOTER_TOKEN_FILE) return tokenFromFile(resolve(cwd, env.PROMOTER_TOKEN_FILE), 'PROMOTER_TOKEN_FILE', command);
  if (env.PROMOTER_OIDC_AUDIENCE) return githubActionsToken(env, env.PROMOTER_OIDC_AUDIENCE, command);
  return undefined;
}

const ACTIONS_TIMEOUT_MS = 10_000;
/** A token this close to its expiry is asked for again. */
const RENEW_BEFORE_MS = 60_000;

/** GitHub Actions' OIDC token for `audience`, kept until a minute before its `exp`. */
export function githubActionsToken(env: Readonly<Record<string, string | undefined>>, audience: string, command: string, fetchImpl: typeof fetch = fetch): TokenProvider {
  const url = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (!url || !requestToken) {
    throw new UsageError('PROMOTER_OIDC_AUDIENCE is set, but ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not: give the job `permissions: id-token: write`', command);
  }
  let held: { token: string; renewAt: number } | undefined;
  let asking: Promise<string> | undefined;
  const ask = async (): Promise<string> => {
    const request = new URL(url);
    request.searchParams.set('audience', audience);
    let response: Response;
    try {
      response = await fetchImpl(request, { headers: { authorization: `bearer ${requestToken}`, accept: 'application/json' }, redirect: 'error', signal: AbortSignal.timeout(ACTIONS_TIMEOUT_MS) });
    } catch (error) {
      throw new UsageError(`cannot get a GitHub Actions OIDC token: ${(error as Error).message}`, command);
    }
    const text = await response.text();
    const value = response.ok && text.length <= MAX_TOKEN_FILE_BYTES ? parseValue(text) : undefined;
    if (value === undefined) throw new UsageError(`cannot get a GitHub Actions OIDC token: the token endpoint answered ${response.status}`, command);
    const expiresAt = expiryOf(value);
    held = { token: value, renewAt: expiresAt === undefined ? 0 : expiresAt - RENEW_BEFORE_MS };
    return value;
  };
  return () => {
    if (held && Date.now() < held.renewAt) return held.token;
    // Requests sent together share one ask.
    asking ??= ask().finally(() => {
      asking = undefined;
    });
    return asking;
  };
}

function parseValue(text: string): string | undefined {
  try {
    const value = (JSON.parse(text) as { value?: unknown }).value;
    return typeof value === 'string' && value !== '' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The JWT's `exp` in ms, read without checking the signature (the service checks it; this only schedules renewal). */
function expiryOf(jwt: string): number | undefined {
  try {
    const exp = (JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** Checked once now (a usage error names the flag), then read before every request. */
export function tokenFromFile(path: string, source: string, command: string): TokenProvider {
  const read = (): string => {
    let size: number;
    try {
      size = statSync(path).size;
    } catch (error) {
      throw new UsageError(`${source}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`, command);
    }
    if (size > MAX_TOKEN_FILE_BYTES) throw new UsageError(`${source}: ${path} is larger than ${MAX_TOKEN_FILE_BYTES} bytes; it holds no token`, command);
    const token = readFileSync(path, 'utf8').trim();
    if (token === '') throw new UsageError(`${source}: ${path} is empty`, command);
    return token;
  };
  read();
  return read;
}
