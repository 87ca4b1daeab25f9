/**
 * Errors Node's HTTP parser answers before Fastify sees a request: headers too large (431), a request
 * that took longer than the request timeout to arrive (408), an unreadable request (400). They leave as
 * problem+json like every other error, instead of Fastify's own JSON shape.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { PROBLEM_TYPE_BASE, type ProblemCode } from '../errors.js';

const KNOWN: Record<string, { status: number; code: ProblemCode; detail: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, code: 'headers-too-large', detail: 'The request headers are larger than this server accepts (16 KB).' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: 'request-timeout', detail: 'The request did not arrive in time; send it again, faster.' },
};

export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const known = (error.code && KNOWN[error.code]) || { status: 400, code: 'invalid-request' as const, detail: 'The request could not be read as HTTP.' };
  const body = JSON.stringify({
    type: `${PROBLEM_TYPE_BASE}${known.code}`,
    title: STATUS_CODES[known.status] ?? 'Bad request',
    status: known.status,
    detail: known.detail,
    code: known.code,
  });
  // Destroying with an error would emit 'error' on a socket that may have no listener left (an uncaught
  // exception that takes the process down): swallow what the socket still reports, then close it plainly.
  socket.on('error', () => {});
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${known.status} ${STATUS_CODES[known.status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Content-Type: application/problem+json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
