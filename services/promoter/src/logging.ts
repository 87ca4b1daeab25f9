/**
 * The service's logger options: JSON lines for machines (a pipe, a file, a container's log collector),
 * human-readable lines from pino-pretty when a person watches a terminal. Credentials are never logged.
 */
import type { FastifyServerOptions } from 'fastify';

export interface LoggerSettings {
  readonly level?: string | undefined;
  /** A stream to write to (tests); JSON then, whatever the terminal. */
  readonly stream?: NodeJS.WritableStream | undefined;
  /** Whether stdout is a terminal; defaults to `process.stdout.isTTY`. */
  readonly pretty?: boolean | undefined;
}

export function loggerOptions(settings: LoggerSettings): NonNullable<FastifyServerOptions['logger']> {
  const base = {
    level: settings.level ?? 'info',
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization'], censor: '[redacted]' },
  };
  if (settings.stream) return { ...base, stream: settings.stream };
  if (settings.pretty ?? process.stdout.isTTY === true) {
    return { ...base, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } };
  }
  return base;
}
