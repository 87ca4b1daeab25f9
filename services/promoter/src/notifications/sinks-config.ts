/**
 * The operator's notification sinks: a YAML or JSON file named by PROMOTER_NOTIFICATIONS_FILE, read and
 * validated once at start-up. Secrets (a webhook's signing key, a Slack URL, which is itself a credential)
 * are references, `{ env: NAME }` or `{ file: /path }` (a mounted Secret), so the file holds none. Every
 * error names the sink at fault. Only this file can name a URL: no API caller can add one.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

export const SINK_TYPES = ['webhook', 'slack', 'cloudevents'] as const;
export type SinkType = (typeof SINK_TYPES)[number];

/** States whose entry can be notified, and `check_failed` for every failed check measurement. */
export const NOTIFIED_STATES = ['awaiting_approval', 'frozen', 'promoting', 'awaiting_merge', 'succeeded', 'rejected', 'rolled_back', 'failed', 'aborted'] as const;
export type NotifiedState = (typeof NOTIFIED_STATES)[number];
export const NOTIFICATION_EVENTS = [...NOTIFIED_STATES, 'check_failed'] as const;
export type NotificationEventType = (typeof NOTIFICATION_EVENTS)[number];

export interface Sink {
  readonly name: string;
  readonly type: SinkType;
  readonly url: string;
  /** The Standard Webhooks key bytes (webhook sinks only), decoded from `whsec_<base64>`. */
  readonly secret: Uint8Array | undefined;
  readonly events: ReadonlySet<NotificationEventType>;
  /** Undefined: every namespace (deployment). */
  readonly namespaces: ReadonlySet<string> | undefined;
  readonly deployments: ReadonlySet<string> | undefined;
}

export interface DeliveryPolicy {
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  /** A delivery older than this is not tried again. */
  readonly maxAgeMs: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  /** The largest response body read (the rest is discarded unread). */
  readonly maxResponseBytes: number;
}

export interface NotificationsConfig {
  readonly sinks: readonly Sink[];
  readonly delivery: DeliveryPolicy;
}

export const DEFAULT_DELIVERY: DeliveryPolicy = {
  timeoutMs: 10_000,
  maxAttempts: 12,
  maxAgeMs: 24 * 3_600_000,
  backoffBaseMs: 1_000,
  backoffMaxMs: 15 * 60_000,
  maxResponseBytes: 64 * 1024,
};

export class SinkConfigError extends Error {
  constructor(readonly sink: string | undefined, message: string) {
    super(sink === undefined ? message : `sink "${sink}": ${message}`);
    this.name = 'SinkConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function loadNotificationsFile(path: string, env: Env): NotificationsConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SinkConfigError(undefined, `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let document: unknown;
  try {
    // YAML is a superset of JSON: one parser reads both.
    document = parseYaml(text);
  } catch (error) {
    throw new SinkConfigError(undefined, `${path} is not valid YAML or JSON: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  return parseNotificationsConfig(document, env);
}

export function parseNotificationsConfig(document: unknown, env: Env): NotificationsConfig {
  if (!isObject(document)) throw new SinkConfigError(undefined, 'must be an object with a `sinks` list');
  unknownKeys(undefined, document, ['sinks', 'delivery']);
  if (!Array.isArray(document.sinks)) throw new SinkConfigError(undefined, '`sinks` must be a list');
  const names = new Set<string>();
  const sinks = document.sinks.map((raw, index) => {
    const sink = parseSink(raw, index, env);
    if (names.has(sink.name)) throw new SinkConfigError(sink.name, 'is defined twice');
    names.add(sink.name);
    return sink;
  });
  return { sinks, delivery: parseDelivery(document.delivery) };
}

function parseSink(raw: unknown, index: number, env: Env): Sink {
  if (!isObject(raw)) throw new SinkConfigError(`#${index + 1}`, 'must be an object');
  const name = typeof raw.name === 'string' ? raw.name : undefined;
  if (name === undefined || !NAME.test(name) || name.length > 63) {
    throw new SinkConfigError(name ?? `#${index + 1}`, '`name` must be a lower-case DNS label (a-z, 0-9, -)');
  }
  unknownKeys(name, raw, ['name', 'type', 'url', 'secret', 'events', 'namespaces', 'deployments']);
  const type = raw.type;
  if (typeof type !== 'string' || !(SINK_TYPES as readonly string[]).includes(type)) {
    throw new SinkConfigError(name, `unknown type ${JSON.stringify(type)}; one of ${SINK_TYPES.join(', ')}`);
  }
  const url = resolveValue(name, 'url', raw.url, env, true);
  if (url === undefined) throw new SinkConfigError(name, '`url` is required');
  if (!isHttpUrl(url)) throw new SinkConfigError(name, '`url` must be an http:// or https:// URL');
  let secret: Uint8Array | undefined;
  if (type === 'webhook') {
    if (raw.secret === undefined) throw new SinkConfigError(name, 'a webhook sink needs `secret` ({ env: NAME } or { file: PATH }) to sign with');
    if (typeof raw.secret === 'string') throw new SinkConfigError(name, '`secret` must be a reference ({ env: NAME } or { file: PATH }), not the secret itself');
    const value = resolveValue(name, 'secret', raw.secret, env, false);
    if (value === undefined) throw new SinkConfigError(name, '`secret` is required');
    secret = decodeSecret(name, value);
  } else if (raw.secret !== undefined) {
    throw new SinkConfigError(name, `\`secret\` is for webhook sinks; a ${type} sink does not sign`);
  }
  if (!Array.isArray(raw.events) || raw.events.length === 0) {
    throw new SinkConfigError(name, `\`events\` must be a non-empty list of ${NOTIFICATION_EVENTS.join(', ')}`);
  }
  for (const event of raw.events) {
    if (typeof event !== 'string' || !(NOTIFICATION_EVENTS as readonly string[]).includes(event)) {
      throw new SinkConfigError(name, `unknown event ${JSON.stringify(event)}; one of ${NOTIFICATION_EVENTS.join(', ')}`);
    }
  }
  return {
    name,
    type: type as SinkType,
    url,
    secret,
    events: new Set(raw.events as NotificationEventType[]),
    namespaces: stringSet(name, 'namespaces', raw.namespaces),
    deployments: stringSet(name, 'deployments', raw.deployments),
  };
}

/** A literal string (when allowed), `{ env: NAME }` or `{ file: PATH }`. */
function resolveValue(sink: string, field: string, raw: unknown, env: Env, literalAllowed: boolean): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw === 'string' && literalAllowed) return raw.trim();
  if (isObject(raw) && Object.keys(raw).length === 1 && typeof raw.env === 'string') {
    const value = env[raw.env]?.trim();
    if (!value) throw new SinkConfigError(sink, `\`${field}\` refers to the environment variable ${raw.env}, which is not set`);
    return value;
  }
  if (isObject(raw) && Object.keys(raw).length === 1 && typeof raw.file === 'string') {
    try {
      const value = readFileSync(raw.file, 'utf8').trim();
      if (value === '') throw new Error('empty');
      return value;
    } catch {
      throw new SinkConfigError(sink, `\`${field}\` refers to the file ${raw.file}, which cannot be read or is empty`);
    }
  }
  throw new SinkConfigError(sink, `\`${field}\` must be ${literalAllowed ? 'a string, ' : ''}{ env: NAME } or { file: PATH }`);
}

/** `whsec_` + base64 of 24 to 64 random bytes, as the Standard Webhooks specification has it. */
function decodeSecret(sink: string, value: string): Uint8Array {
  const base64 = value.startsWith('whsec_') ? value.slice('whsec_'.length) : undefined;
  if (base64 === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) {
    throw new SinkConfigError(sink, '`secret` must be whsec_ followed by base64 (e.g. `echo whsec_$(openssl rand -base64 32)`)');
  }
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length < 24 || bytes.length > 64) throw new SinkConfigError(sink, '`secret` must decode to 24 to 64 bytes');
  return new Uint8Array(bytes);
}

function stringSet(sink: string, field: string, raw: unknown): ReadonlySet<string> | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw) || raw.length === 0 || raw.some((v) => typeof v !== 'string' || v === '')) {
    throw new SinkConfigError(sink, `\`${field}\` must be a non-empty list of names`);
  }
  return new Set(raw as string[]);
}

function parseDelivery(raw: unknown): DeliveryPolicy {
  if (raw === undefined) return DEFAULT_DELIVERY;
  if (!isObject(raw)) throw new SinkConfigError(undefined, '`delivery` must be an object');
  const fields: Record<keyof DeliveryPolicy, readonly [number, number]> = {
    timeoutMs: [100, 120_000],
    maxAttempts: [1, 100],
    maxAgeMs: [1_000, 30 * 24 * 3_600_000],
    backoffBaseMs: [1, 3_600_000],
    backoffMaxMs: [1, 24 * 3_600_000],
    maxResponseBytes: [0, 16 * 1024 * 1024],
  };
  unknownKeys(undefined, raw, Object.keys(fields));
  const policy: Record<string, number> = { ...DEFAULT_DELIVERY };
  for (const [key, [min, max]] of Object.entries(fields)) {
    const value = raw[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new SinkConfigError(undefined, `delivery.${key} must be an integer from ${min} to ${max}`);
    }
    policy[key] = value;
  }
  return policy as unknown as DeliveryPolicy;
}

function unknownKeys(sink: string | undefined, object: Record<string, unknown>, known: readonly string[]): void {
  const unknown = Object.keys(object).find((key) => !known.includes(key));
  if (unknown !== undefined) throw new SinkConfigError(sink, `unknown field \`${unknown}\`; known: ${known.join(', ')}`);
}

/** An http:// or https:// URL without whitespace that `fetch` can parse. */
export function isHttpUrl(value: string): boolean {
  return /^https?:\/\/[^\s]+$/.test(value) && URL.canParse(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
