/**
 * Follows `GET /v1/events` (every promotion's events the token may see) through the SDK's client with
 * fetch streaming: EventSource cannot send the bearer header, and the token lives in sessionStorage. A
 * dropped stream is opened again with Last-Event-ID, so nothing is missed; the promise rejects only when
 * the stream keeps failing, and the caller falls back to polling.
 */
import { readEventStream, type components, type PromoterClient } from '@promoter/sdk';

export type FeedEvent = components['schemas']['FeedEvent'];

export interface FeedHandlers {
  /** The stream (re)started after `after`; `resumed`: it carries on from the last event seen, nothing was missed. */
  onReady(after: number, resumed: boolean): void;
  onEvent(event: FeedEvent): void;
}

export interface FeedFilters {
  readonly namespace?: string;
  readonly deployment?: string;
}

// Failures in a row (no `ready` in between) before giving up on the stream.
const MAX_FAILURES = 3;

export async function followFeed(client: PromoterClient, filters: FeedFilters, handlers: FeedHandlers, signal: AbortSignal): Promise<void> {
  let lastId: string | undefined;
  let failures = 0;
  while (!signal.aborted) {
    try {
      const { data, response } = await client.raw.GET('/v1/events', {
        params: { query: filters, header: lastId === undefined ? {} : { 'Last-Event-ID': lastId } },
        headers: { accept: 'text/event-stream' },
        parseAs: 'stream',
        signal,
      });
      if (!response.ok || !data || !(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
        throw new Error(`the event stream answered ${response.status}`);
      }
      for await (const message of readEventStream(data)) {
        if (message.event === 'ready') {
          failures = 0;
          handlers.onReady(Number(message.lastEventId), lastId !== undefined);
        } else if (message.event === 'feed-event') {
          handlers.onEvent(JSON.parse(message.data) as FeedEvent);
        } else {
          continue;
        }
        lastId = message.lastEventId;
      }
      // The service ended the stream (it is shutting down): open it again, on another replica if need be.
    } catch (error) {
      if (signal.aborted) return;
      failures += 1;
      if (failures >= MAX_FAILURES) throw error;
    }
    await pause(1_000 * (failures + 1), signal);
  }
}

/** Resolves after `ms`, or at once when the signal aborts; the listener goes with the timer. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
