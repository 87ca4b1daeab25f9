/**
 * The HTTP plumbing both fake APIs share: a bounded JSON body reader (a test tool must still not hang or
 * swallow a runaway upload), a small path-pattern router, and the fault rules tests use to make the next
 * matching request fail with a 5xx or a 429 with `Retry-After`.
 */
import type { IncomingMessage } from 'node:http';
import type { ForgeUser } from './forge-state.js';

/** Bodies above this are answered 413 without being read further. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface ApiRequest {
  readonly method: string;
  /** Path segments, each percent-decoded (so GitLab's `group%2Fproject` is one segment `group/project`). */
  readonly segments: readonly string[];
  readonly query: URLSearchParams;
  /** The JSON (or form) body as an object; empty when there was none. */
  readonly body: Readonly<Record<string, unknown>>;
  readonly user: ForgeUser;
}

export interface ApiResponse {
  readonly status: number;
  /** Serialised as JSON; `undefined` sends no body (204). */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export type BodyResult = { readonly ok: true; readonly body: Record<string, unknown> } | { readonly ok: false; readonly status: 400 | 413 };

/** Reads a JSON or form-encoded body of at most `limit` bytes. */
export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<BodyResult> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) return { ok: false, status: 413 };
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) return { ok: false, status: 413 };
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return { ok: true, body: {} };
  const type = String(req.headers['content-type'] ?? '');
  if (type.includes('application/x-www-form-urlencoded')) return { ok: true, body: Object.fromEntries(new URLSearchParams(text)) };
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? { ok: true, body: parsed as Record<string, unknown> } : { ok: false, status: 400 };
  } catch {
    return { ok: false, status: 400 };
  }
}

/**
 * Matches `segments` against a pattern such as `repos/:owner/:repo/pulls/:number` and returns the named
 * parts, or undefined. One `*name` part takes one or more segments (a branch name with slashes), leaving
 * the parts after it to match the end of the path.
 */
export function matchPath(pattern: string, segments: readonly string[]): Record<string, string> | undefined {
  const parts = pattern.split('/').filter((p) => p !== '');
  const star = parts.findIndex((p) => p.startsWith('*'));
  if (star < 0) return matchParts(parts, segments);
  const tail = parts.length - star - 1;
  const taken = segments.length - star - tail;
  if (taken < 1) return undefined;
  const head = matchParts(parts.slice(0, star), segments.slice(0, star));
  const rest = matchParts(parts.slice(star + 1), segments.slice(star + taken));
  if (!head || !rest) return undefined;
  return { ...head, ...rest, [parts[star]?.slice(1) ?? '']: segments.slice(star, star + taken).join('/') };
}

function matchParts(parts: readonly string[], segments: readonly string[]): Record<string, string> | undefined {
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of parts.entries()) {
    const segment = segments[i] ?? '';
    if (part.startsWith(':')) params[part.slice(1)] = segment;
    else if (part !== segment) return undefined;
  }
  return params;
}

export function stringField(body: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' ? value : undefined;
}

export function booleanField(body: Readonly<Record<string, unknown>>, name: string): boolean | undefined {
  const value = body[name];
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return undefined;
}

export function numberField(body: Readonly<Record<string, unknown>>, name: string): number | undefined {
  const value = body[name];
  const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  return Number.isFinite(number) ? number : undefined;
}

/** The next `times` requests matching method and path answer `status` (with `Retry-After` when given). */
export interface FaultRule {
  readonly method?: string;
  /** Matched against the URL path without the query; a string must be equal. */
  readonly path: RegExp | string;
  /** 429, 500, 502, 503, ... */
  readonly status: number;
  /** Seconds, sent as `Retry-After`. */
  readonly retryAfter?: number;
  /** Default 1. */
  readonly times?: number;
}

export class Faults {
  #rules: { rule: FaultRule; remaining: number }[] = [];

  add(rule: FaultRule): void {
    this.#rules.push({ rule, remaining: rule.times ?? 1 });
  }

  clear(): void {
    this.#rules = [];
  }

  /** The rule for this request, consuming one use of the first that matches. */
  take(method: string, path: string): FaultRule | undefined {
    const entry = this.#rules.find(({ rule }) => {
      if (rule.method !== undefined && rule.method.toUpperCase() !== method) return false;
      return typeof rule.path === 'string' ? rule.path === path : rule.path.test(path);
    });
    if (!entry) return undefined;
    entry.remaining -= 1;
    this.#rules = this.#rules.filter((e) => e.remaining > 0);
    return entry.rule;
  }
}
