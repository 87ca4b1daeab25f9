/**
 * waitForPromotion against the real service with the real promotion engine running (in-memory cluster,
 * canned Prometheus): over SSE, over the polling fallback, across a dropped stream (resumed with
 * Last-Event-ID), and its timeout and abort errors. Every state the waits see was reached by the engine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPromoterClient,
  PromoterAbortError,
  PromoterTimeoutError,
  waitForPromotion,
  type FetchFunction,
  type Policy,
  type PromoterClient,
  type PromotionEvent,
  type PromotionRequest,
} from '@promoter/sdk';
import { fastPolicy, NEW_IMAGE, OLD_IMAGE, startMemoryEngine, waitForState, type MemoryEngine } from '../fixtures/memory-engine.js';
import { samplePromotion, startTestService, type TestService } from '../fixtures/service.js';

let svc: TestService;
let client: PromoterClient;
let world: MemoryEngine;

beforeAll(async () => {
  svc = await startTestService({ listen: true, streamPollMs: 50 });
  client = createPromoterClient({ baseUrl: svc.url });
  await client.policies.put('default', fastPolicy() as Policy);
  // The same gate, then a person approves: a promotion waits in awaiting_approval until then.
  await client.policies.put('gated', fastPolicy({ approval: 'required' }) as Policy);
  world = startMemoryEngine(svc);
  world.prometheus.answer(/error_ratio/, 0.01);
});

afterAll(async () => {
  await world?.stop();
  await svc?.close();
});

const create = (deployment: string, policy: 'default' | 'gated' = 'default') => {
  world.addTarget(deployment);
  return client.promotions.create(samplePromotion({ target: { namespace: 'mcp', deployment, container: 'proxy' }, image: NEW_IMAGE, policy }) as PromotionRequest);
};

/** Records the requests a client makes; `rewrite` may change them on the way out. */
function recordingFetch(rewrite: (request: Request) => Request = (request) => request) {
  const requests: Request[] = [];
  const fetchImpl: FetchFunction = (request) => {
    const sent = rewrite(request);
    requests.push(sent);
    return fetch(sent);
  };
  return { fetch: fetchImpl, requests };
}

const transitions = (events: readonly PromotionEvent[]) => events.filter((event) => event.to).map((event) => event.to);

describe('over SSE', () => {
  it('resolves with the record once the engine rejects the promotion at the gate', async () => {
    // The first measurement passes, the second does not.
    world.prometheus.answerInTurn(/deployment="sse-rejected"/, [0.012, 0.12]);
    const promotion = await create('sse-rejected');
    const recorder = recordingFetch();
    const watcher = createPromoterClient({ baseUrl: svc.url, fetch: recorder.fetch });
    const events: PromotionEvent[] = [];

    const final = await watcher.waitForPromotion(promotion.id, { onEvent: (event) => void events.push(event), timeoutMs: 10_000 });

    expect(final).toMatchObject({
      id: promotion.id,
      state: 'rejected',
      verdict: 'fail',
      stateReason: 'pre-promotion gate: canary-error-rate failed 1 of 2 measurements; 0 tolerated (canary-error-rate = 0.12 > max 0.05); nothing was patched',
    });
    expect(final.checkResults.map((result) => [result.phase, result.sample, result.value, result.result, result.bound])).toEqual([
      ['pre', 1, 0.012, 'pass', '<= 0.05'],
      ['pre', 2, 0.12, 'fail', '<= 0.05'],
    ]);
    expect(transitions(events)).toEqual(['pending', 'analyzing', 'rejected']);
    expect(events.map((event) => event.id)).toEqual(final.events.map((event) => event.id));
    expect(world.image('sse-rejected')).toBe(OLD_IMAGE);
    const streams = recorder.requests.filter((request) => request.headers.get('accept') === 'text/event-stream');
    expect(streams).toHaveLength(1);
    // No polling: one stream, then the one GET of the final record.
    expect(recorder.requests.filter((request) => request.method === 'GET' && request.url.endsWith(promotion.id))).toHaveLength(1);
  });

  it('resolves when the promotion is aborted through the API while it waits for approval', async () => {
    const promotion = await create('sse-aborted', 'gated');
    const waiting = waitForPromotion(client, promotion.id, { timeoutMs: 10_000 });
    await waitForState(svc, promotion.id, ['awaiting_approval']);
    await world.whileStopped(() => client.promotions.abort(promotion.id, { reason: 'stop' }));
    const final = await waiting;
    expect(final.state).toBe('aborted');
    expect(final.stateReason).toBe('stop');
    expect(transitions(final.events)).toEqual(['pending', 'analyzing', 'awaiting_approval', 'aborted']);
  });

  it('reconnects with Last-Event-ID when the stream drops, and misses nothing up to the failed patch', async () => {
    const promotion = await create('sse-dropped', 'gated');
    let firstStream = '';
    const requests: Request[] = [];
    const seen: PromotionEvent[] = [];
    /** The last event the wait had seen when it asked for each stream. */
    const seenAtStream: (number | undefined)[] = [];
    let dropped!: () => void;
    const droppedOnce = new Promise<void>((resolve) => (dropped = resolve));
    // Ends the first stream right after its first chunk of events, as a proxy timing out would.
    const dropping: FetchFunction = async (request) => {
      requests.push(request);
      if (request.headers.get('accept') === 'text/event-stream') seenAtStream.push(seen.at(-1)?.id);
      const response = await fetch(request);
      if (firstStream || request.headers.get('accept') !== 'text/event-stream' || !response.body) return response;
      const reader = response.body.getReader();
      let text = '';
      while (!text.includes('event: promotion-event')) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      await reader.cancel();
      firstStream = text.slice(0, text.lastIndexOf('\n\n') + 2);
      dropped();
      return new Response(firstStream, { status: 200, headers: response.headers });
    };
    const watcher = createPromoterClient({ baseUrl: svc.url, fetch: dropping });
    const waiting = watcher.waitForPromotion(promotion.id, { onEvent: (event) => void seen.push(event), timeoutMs: 10_000 });

    // The promotion cannot end before it is approved, so the stream drops while it runs.
    await droppedOnce;
    await waitForState(svc, promotion.id, ['awaiting_approval']);
    world.forbidNextPatch();
    await client.promotions.approve(promotion.id, { reason: 'go' });
    const final = await waiting;

    expect(final.state).toBe('failed');
    expect(final.stateReason).toMatch(/^Kubernetes: patch deployment mcp\/sse-dropped: deployments\.apps "sse-dropped" is forbidden: .*; the Deployment was left as it was found$/);
    expect(world.image('sse-dropped')).toBe(OLD_IMAGE);
    expect(transitions(seen)).toEqual(['pending', 'analyzing', 'awaiting_approval', 'promoting', 'failed']);
    // Each event once, in order: the second stream resumed exactly after the last one the first delivered.
    expect(seen.map((event) => event.id)).toEqual(final.events.map((event) => event.id));
    const streams = requests.filter((request) => request.headers.get('accept') === 'text/event-stream');
    expect(streams.length).toBeGreaterThanOrEqual(2);
    expect(streams[0]?.headers.get('last-event-id')).toBeNull();
    // The reconnect carries the last event seen (those of the dropped stream, and any the record added
    // when it was read after the drop), so the new stream starts after it.
    const lastDelivered = Number([...firstStream.matchAll(/^id: (\d+)$/gm)].at(-1)?.[1]);
    expect(lastDelivered).toBeGreaterThan(0);
    expect(seenAtStream[1]).toBeGreaterThanOrEqual(lastDelivered);
    expect(streams[1]?.headers.get('last-event-id')).toBe(String(seenAtStream[1]));
  });
});

describe('polling fallback', () => {
  it('polls GET /v1/promotions/{id} when the event stream is not delivered', async () => {
    const promotion = await create('polled', 'gated');
    // A proxy that does not pass text/event-stream: the service answers the JSON list instead.
    const recorder = recordingFetch((request) => {
      if (request.headers.get('accept') !== 'text/event-stream') return request;
      const headers = new Headers(request.headers);
      headers.set('accept', 'application/json');
      return new Request(request, { headers });
    });
    const watcher = createPromoterClient({ baseUrl: svc.url, fetch: recorder.fetch });
    const polls = () => recorder.requests.filter((request) => request.method === 'GET' && new URL(request.url).pathname === `/v1/promotions/${promotion.id}`);
    const fallbacks: string[] = [];
    const events: PromotionEvent[] = [];
    const waiting = watcher.waitForPromotion(promotion.id, {
      pollIntervalMs: 100,
      timeoutMs: 10_000,
      onFallback: (reason) => fallbacks.push(reason),
      onEvent: (event) => void events.push(event),
    });
    // Approved only after the first poll, which therefore saw it unfinished: the wait had to poll again.
    await waitForState(svc, promotion.id, ['awaiting_approval']);
    while (polls().length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    await client.promotions.approve(promotion.id, { reason: 'go' });
    const final = await waiting;

    expect(final).toMatchObject({ state: 'succeeded', verdict: 'pass', resolvedImage: NEW_IMAGE, previousImage: OLD_IMAGE });
    expect(world.image('polled')).toBe(NEW_IMAGE);
    expect(fallbacks).toEqual([expect.stringContaining('application/json')]);
    expect(transitions(events)).toEqual(['pending', 'analyzing', 'awaiting_approval', 'promoting', 'verifying', 'succeeded']);
    expect(events.map((event) => event.id)).toEqual(final.events.map((event) => event.id));
    expect(polls().length).toBeGreaterThanOrEqual(2);
  });

  it("transport: 'poll' never opens a stream", async () => {
    const promotion = await create('poll-only', 'gated');
    await world.whileStopped(() => client.promotions.abort(promotion.id));
    const recorder = recordingFetch();
    const watcher = createPromoterClient({ baseUrl: svc.url, fetch: recorder.fetch });
    const final = await watcher.waitForPromotion(promotion.id, { transport: 'poll' });
    expect(final.state).toBe('aborted');
    expect(recorder.requests.some((request) => request.headers.get('accept') === 'text/event-stream')).toBe(false);
  });
});

describe('errors', () => {
  it('rejects with PromoterTimeoutError naming the last state', async () => {
    const promotion = await create('timeout', 'gated');
    await waitForState(svc, promotion.id, ['awaiting_approval']);
    const error = await client.waitForPromotion(promotion.id, { timeoutMs: 1_000 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PromoterTimeoutError);
    expect(error).toMatchObject({ code: 'timeout', promotionId: promotion.id, lastState: 'awaiting_approval', timeoutMs: 1_000 });
  });

  it('rejects with PromoterAbortError when the signal aborts', async () => {
    const promotion = await create('aborted-wait', 'gated');
    const controller = new AbortController();
    const error = await client
      .waitForPromotion(promotion.id, {
        signal: controller.signal,
        onEvent: (event) => {
          if (event.to === 'awaiting_approval') controller.abort(new Error('user pressed ctrl-c'));
        },
      })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PromoterAbortError);
    expect((error as PromoterAbortError).message).toContain('last state: awaiting_approval');
    expect((error as PromoterAbortError).cause).toEqual(new Error('user pressed ctrl-c'));
    // Only the wait stopped: the promotion still waits for its approval.
    expect((await client.promotions.get(promotion.id)).state).toBe('awaiting_approval');
  });

  it('rejects with the 404 of an unknown promotion', async () => {
    await expect(client.waitForPromotion('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ code: 'promotion-not-found' });
  });
});
