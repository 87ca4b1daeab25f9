/**
 * Server-sent events for a promotion's timeline: sends what exists, then polls the database for new
 * events (any replica may write them) until an event enters a terminal state or the client goes away.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { openEventStream } from './event-stream-response.js';
import type { PromotionRepository } from '../adapters/db/promotion-repository.js';
import { isPromotionState, isTerminal } from '../domain/promotion-state-machine.js';

const HEARTBEAT_MS = 15_000;

export async function streamPromotionEvents(
  request: FastifyRequest,
  reply: FastifyReply,
  options: { promotions: PromotionRepository; id: string; afterId: number; pollMs: number; shutdown: AbortSignal },
): Promise<void> {
  const { promotions, id, pollMs, shutdown } = options;
  const raw = openEventStream(request, reply);
  raw.write(': promotion events\n\n');
  let closed = false;
  const close = () => {
    closed = true;
  };
  request.raw.on('close', close);
  // On shutdown the stream ends so the server can close; the client reconnects with Last-Event-ID.
  shutdown.addEventListener('abort', close, { once: true });
  let afterId = options.afterId;
  let lastWrite = Date.now();
  try {
    const send = async (): Promise<{ sent: number; finished: boolean }> => {
      const events = await promotions.events(id, afterId);
      let finished = false;
      for (const event of events) {
        raw.write(`id: ${event.id}\nevent: promotion-event\ndata: ${JSON.stringify(event)}\n\n`);
        afterId = event.id;
        lastWrite = Date.now();
        if (event.to !== null && isTerminalState(event.to)) finished = true;
      }
      return { sent: events.length, finished };
    };
    while (!closed) {
      const { sent, finished } = await send();
      if (finished) break;
      if (sent === 0 && isTerminalState((await promotions.get(id)).state)) {
        // The state may have turned terminal after the events were read: send what came with it first.
        await send();
        break;
      }
      if (Date.now() - lastWrite > HEARTBEAT_MS) {
        raw.write(': heartbeat\n\n');
        lastWrite = Date.now();
      }
      await sleep(pollMs, shutdown);
    }
  } catch (error) {
    request.log.warn({ err: error, promotion: id }, 'event stream stopped');
    if (!closed) raw.write(`event: error\ndata: ${JSON.stringify({ detail: 'the event stream stopped; reconnect with Last-Event-ID' })}\n\n`);
  } finally {
    shutdown.removeEventListener('abort', close);
    raw.end();
  }
}

function isTerminalState(state: string): boolean {
  return isPromotionState(state) && isTerminal(state);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
