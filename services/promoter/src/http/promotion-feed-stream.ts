/**
 * Server-sent events for every promotion a token may see (`GET /v1/events`): a `ready` message with the
 * position the stream starts after, then each event with its promotion as it stands, until the client
 * goes away or the service shuts down (the client reconnects with Last-Event-ID). The database is polled
 * because any replica may write events; ids committed out of order are caught by the FeedCursor.
 */
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { openEventStream } from './event-stream-response.js';
import type { PromotionEventFeed, ScannedEvent } from '../adapters/db/promotion-event-feed.js';
import { FeedCursor } from '../domain/feed-cursor.js';

/** Events read per round; a longer backlog is sent in several rounds without waiting between them. */
export const FEED_BATCH = 500;
const HEARTBEAT_MS = 15_000;
// A transaction that took an id commits within this, or it rolled back and the id never comes.
const LATE_COMMIT_MS = 30_000;

export interface FeedStreamOptions {
  readonly feed: PromotionEventFeed;
  /** Send events after this id (already resolved: the head when the client gave no position). */
  readonly after: number;
  /**
   * The position the `ready` message announces (default `after`). A scoped token that gave no position is
   * told the newest event of its own namespaces, never the global head (that would count other namespaces'
   * events); no event it may see lies between the two, so resuming from either sends the same events.
   */
  readonly readyAt?: number;
  /** Whether the caller may see (and asked for) an event of this target. */
  readonly visible: (event: ScannedEvent) => boolean;
  readonly pollMs: number;
  readonly shutdown: AbortSignal;
}

export async function streamPromotionFeed(request: FastifyRequest, reply: FastifyReply, options: FeedStreamOptions): Promise<void> {
  const { feed, visible, pollMs, shutdown } = options;
  const raw = openEventStream(request, reply);
  // One signal for "stop": the client left or the service is shutting down.
  const stop = new AbortController();
  const end = () => stop.abort();
  request.raw.on('close', end);
  raw.on('close', end);
  shutdown.addEventListener('abort', end, { once: true });
  const cursor = new FeedCursor(options.after, { holdMs: LATE_COMMIT_MS, maxMissing: 1_000 });
  const readyAt = options.readyAt ?? options.after;
  raw.write(`id: ${readyAt}\nevent: ready\ndata: ${JSON.stringify({ after: readyAt })}\n\n`);
  let lastWrite = Date.now();
  try {
    while (!stop.signal.aborted) {
      const scanned = await feed.scan(cursor.after, cursor.missing(Date.now()), FEED_BATCH);
      cursor.advance(
        scanned.map((event) => event.id),
        Date.now(),
      );
      const entries = await feed.entries(scanned.filter(visible).map((event) => event.id));
      for (const entry of entries) {
        raw.write(`id: ${entry.event.id}\nevent: feed-event\ndata: ${JSON.stringify(entry)}\n\n`);
        lastWrite = Date.now();
      }
      // A slow reader holds the loop here instead of letting its backlog grow in memory.
      if (raw.writableNeedDrain) await drained(raw, stop.signal);
      if (Date.now() - lastWrite > HEARTBEAT_MS) {
        raw.write(': heartbeat\n\n');
        lastWrite = Date.now();
      }
      if (scanned.length < FEED_BATCH) await delay(pollMs, undefined, { signal: stop.signal }).catch(() => undefined);
    }
  } catch (error) {
    request.log.warn({ err: error }, 'event feed stopped');
    if (!stop.signal.aborted) raw.write(`event: error\ndata: ${JSON.stringify({ detail: 'the event stream stopped; reconnect with Last-Event-ID' })}\n\n`);
  } finally {
    request.raw.off('close', end);
    raw.off('close', end);
    shutdown.removeEventListener('abort', end);
    raw.end();
  }
}

async function drained(raw: ServerResponse, signal: AbortSignal): Promise<void> {
  await once(raw, 'drain', { signal }).catch(() => undefined);
}
