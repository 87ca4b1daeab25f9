/**
 * Following a promotion's timeline live: the SSE stream of `GET /v1/promotions/{id}/events`, reconnecting
 * with `Last-Event-ID` when it drops, and polling `GET /v1/promotions/{id}` instead when a proxy or an older
 * service does not deliver `text/event-stream`.
 */
import { PromoterAbortError, problemFromResponse } from './errors.js';
import { isClosedState, isTerminalState } from './promotion-states.js';
import { isRetryable, retryDelay, sleep } from './retry.js';
import { readEventStream, SseParser } from './sse.js';
import { TokenProviderFailure, type Transport } from './transport.js';
import type { PromotionDetail, PromotionEvent } from './types.js';

export interface FollowOptions {
  /** Only events with an id greater than this (default 0: the whole timeline first). */
  readonly after?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  /** How often to poll when the event stream is unavailable. Default 2000 ms. */
  readonly pollIntervalMs?: number | undefined;
  /** `auto` (default): SSE, polling when SSE is unavailable. `sse`: fail instead. `poll`: never SSE. */
  readonly transport?: 'auto' | 'sse' | 'poll' | undefined;
  /** Told why the SDK switched from the event stream to polling. */
  readonly onFallback?: ((reason: string) => void) | undefined;
  /**
   * When to stop. `terminal` (default): once the promotion is in a final state (`succeeded`, `rejected`,
   * `rolled_back`, `aborted`, `failed`). `closed`: only once nothing more can happen (`rejected`,
   * `rolled_back`, `aborted`, `failed`); a `succeeded` promotion is followed on, since a rollback or a
   * release finalization may still be requested, until `signal` aborts.
   */
  readonly until?: 'terminal' | 'closed' | undefined;
}

type GetDetail = (id: string, signal: AbortSignal | undefined) => Promise<PromotionDetail>;

// After the first successful contact, this many transient failures in a row (network, 5xx) are ridden out
// with backoff before giving up; a service restart during a long wait should not end the wait.
const MAX_CONSECUTIVE_FAILURES = 6;
// The service sends a heartbeat comment every 15 s; silence for three of them means a dead connection.
const STREAM_IDLE_MS = 45_000;
const DEFAULT_RECONNECT_MS = 1_000;

type Opened = { kind: 'stream'; body: ReadableStream<Uint8Array>; close: () => void } | { kind: 'unsupported'; reason: string };

export async function* followPromotionEvents(
  transport: Transport,
  getDetail: GetDetail,
  id: string,
  options: FollowOptions = {},
): AsyncGenerator<PromotionEvent, void, undefined> {
  const { signal } = options;
  const mode = options.transport ?? 'auto';
  const pollIntervalMs = options.pollIntervalMs ?? 2_000;
  const done = options.until === 'closed' ? isClosedState : isTerminalState;
  let lastState: string | undefined;
  let lastId = options.after ?? 0;
  let useSse = mode !== 'poll';
  // The service ends a promotion's stream once it is in a final state (and at once on reconnection), so
  // while a succeeded promotion is followed on, polling the record is all a stream would do, at more cost.
  let streamEnds = false;
  let contacted = false;
  let failures = 0;
  const parser = new SseParser();

  const failed = async (error: unknown): Promise<void> => {
    throwIfAborted(signal, id);
    failures++;
    if (!contacted || !isRetryable(error, 'idempotent') || failures >= MAX_CONSECUTIVE_FAILURES) throw error;
    await sleep(retryDelay(failures, transport.retry), signal);
  };

  for (;;) {
    throwIfAborted(signal, id);
    if (useSse && !streamEnds) {
      let opened: Opened;
      try {
        opened = await openStream(transport, id, lastId, signal);
      } catch (error) {
        await failed(error);
        continue;
      }
      contacted = true;
      lastState = undefined;
      if (opened.kind === 'unsupported') {
        if (mode === 'sse') throw new Error(`the event stream of promotion ${id} is unavailable: ${opened.reason}`);
        options.onFallback?.(opened.reason);
        useSse = false;
        continue;
      }
      try {
        for await (const message of readEventStream(opened.body, parser)) {
          failures = 0;
          if (message.event !== 'promotion-event') continue;
          const event = parseEvent(message.data);
          if (event === undefined || event.id <= lastId) continue;
          lastId = event.id;
          if (event.to) lastState = event.to;
          yield event;
        }
      } catch (error) {
        throwIfAborted(signal, id);
        // A dropped or silent connection mid-stream: check the state below, then reconnect.
        if (++failures >= MAX_CONSECUTIVE_FAILURES) throw error;
      } finally {
        opened.close();
      }
      // The service ends the stream after sending the events that bring the promotion to a final state.
      // The state to judge is the last one the stream showed, not the first final one: a replay of the
      // timeline shows `succeeded` and then the rollback requested later, in the same batch.
      if (done(lastState)) return;
      // Otherwise the service shut down, or the promotion finished without an event saying so: the record
      // says which (polling reads it every time).
    }
    let detail: PromotionDetail;
    try {
      detail = await getDetail(id, signal);
    } catch (error) {
      await failed(error);
      continue;
    }
    // The service answers: a stream that keeps dropping (a proxy cutting long streams) is not a failure.
    contacted = true;
    failures = 0;
    for (const event of detail.events) {
      if (event.id <= lastId) continue;
      lastId = event.id;
      yield event;
    }
    if (done(detail.state)) return;
    streamEnds = isTerminalState(detail.state);
    await sleep(useSse && !streamEnds ? (parser.retryMs ?? DEFAULT_RECONNECT_MS) : pollIntervalMs, signal);
  }
}

async function openStream(transport: Transport, id: string, lastId: number, signal: AbortSignal | undefined): Promise<Opened> {
  const headers = new Headers(transport.headers);
  headers.set('accept', 'text/event-stream');
  if (lastId > 0) headers.set('last-event-id', String(lastId));
  // Own controller: the connect timeout must not cut the stream once it flows, and closing it ends the body.
  const controller = new AbortController();
  const forward = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', forward, { once: true });
  let idle: ReturnType<typeof setTimeout> | undefined = setTimeout(() => controller.abort(new Error('no response headers')), transport.timeoutMs);
  const close = () => {
    clearTimeout(idle);
    idle = undefined;
    signal?.removeEventListener('abort', forward);
    controller.abort();
  };
  const url = `${transport.baseUrl}/v1/promotions/${encodeURIComponent(id)}/events`;
  let response: Response;
  try {
    response = await transport.fetch(new Request(url, { headers, signal: controller.signal }), signal);
  } catch (error) {
    close();
    throw error instanceof TokenProviderFailure ? error.cause : error;
  }
  const contentType = response.headers.get('content-type') ?? '';
  if (response.ok && contentType.includes('text/event-stream') && response.body) {
    const resetIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(() => controller.abort(new Error('the event stream went silent')), STREAM_IDLE_MS);
    };
    resetIdle();
    const watched = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, sink) {
          resetIdle();
          sink.enqueue(chunk);
        },
      }),
    );
    return { kind: 'stream', body: watched, close };
  }
  const text = await response.text().catch(() => '');
  close();
  if (response.ok) return { kind: 'unsupported', reason: `the service answered with '${contentType || 'no content type'}' instead of text/event-stream` };
  const problem = problemFromResponse(response, parseJson(text) ?? text, 'GET');
  const notFoundHere = problem.status === 404 && problem.code !== 'promotion-not-found';
  if (notFoundHere || [405, 406, 501].includes(problem.status)) {
    return { kind: 'unsupported', reason: `the event stream answered ${problem.status} ${problem.code}` };
  }
  throw problem;
}

function parseEvent(data: string): PromotionEvent | undefined {
  const value = parseJson(data);
  if (typeof value !== 'object' || value === null) return undefined;
  const event = value as PromotionEvent;
  return typeof event.id === 'number' ? event : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function throwIfAborted(signal: AbortSignal | undefined, id: string): void {
  if (signal?.aborted) throw new PromoterAbortError(`stopped following promotion ${id}`, signal.reason);
}
