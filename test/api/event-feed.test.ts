/**
 * GET /v1/events, the feed of every promotion's events, through the real HTTP stack (a listening service
 * on a real database, read with fetch as the console reads it): live creation and state changes, the
 * token's namespace scope and the caller's filters, resume with Last-Event-ID and `after`, the stream cap,
 * and the end of the stream at shutdown.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEventStream, type SseMessage } from '@promoter/sdk';
import { assertMatchesSpec } from '../fixtures/contract.js';
import { samplePolicy, samplePromotion, startTestService, type TestService } from '../fixtures/service.js';

const SECRETS = { root: 'feed-root-secret-0123456789', mcpViewer: 'feed-mcp-viewer-secret-0123' };

interface FeedEvent {
  event: { id: number; type: string; promotionId: string; to: string | null };
  promotion: { id: string; state: string; target: { namespace: string; deployment: string } };
}

/** An open stream: its messages in order, and a way to wait for one. */
class Feed {
  readonly messages: SseMessage[] = [];
  readonly ended: Promise<void>;
  #wake: () => void = () => undefined;

  /** `controller` aborts the fetch that answered `response`: closing the connection ends the stream. */
  constructor(
    readonly response: Response,
    readonly controller: AbortController,
  ) {
    if (!response.body) throw new Error('no body');
    const body = response.body;
    this.ended = (async () => {
      try {
        for await (const message of readEventStream(body)) {
          this.messages.push(message);
          this.#wake();
        }
      } catch {
        // Aborted by close().
      }
      this.#wake();
    })();
  }

  get events(): FeedEvent[] {
    return this.messages.filter((m) => m.event === 'feed-event').map((m) => JSON.parse(m.data) as FeedEvent);
  }

  /** Waits until an event matches (the test's timeout fails it otherwise). */
  async waitFor(match: (event: FeedEvent) => boolean): Promise<FeedEvent> {
    for (;;) {
      const found = this.events.find(match);
      if (found) return found;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  close(): void {
    this.controller.abort();
  }
}

describe('GET /v1/events', () => {
  let svc: TestService;
  const target = (namespace: string, deployment: string) => ({ namespace, deployment, container: 'proxy' });

  beforeAll(async () => {
    svc = await startTestService({
      listen: true,
      streamPollMs: 50,
      eventStreams: { perToken: 2, total: 10 },
      apiTokens: [
        { name: 'root', role: 'admin', namespaces: undefined, secret: SECRETS.root },
        { name: 'mcp-viewer', role: 'viewer', namespaces: ['mcp'], secret: SECRETS.mcpViewer },
      ],
    });
    expect((await call('root', 'PUT', '/v1/policies/default', samplePolicy())).status).toBe(201);
  });
  let closed = false;
  afterAll(async () => {
    if (!closed) await svc?.close();
  });

  async function call(who: keyof typeof SECRETS, method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(`${svc.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${SECRETS[who]}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }

  async function create(namespace: string, deployment: string): Promise<string> {
    const response = await call('root', 'POST', '/v1/promotions', samplePromotion({ target: target(namespace, deployment) }));
    expect(response.status).toBe(201);
    return ((await response.json()) as { id: string }).id;
  }

  async function open(who: keyof typeof SECRETS, query = '', headers: Record<string, string> = {}): Promise<Feed> {
    const controller = new AbortController();
    const response = await fetch(`${svc.url}/v1/events${query}`, {
      headers: { authorization: `Bearer ${SECRETS[who]}`, accept: 'text/event-stream', ...headers },
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    return new Feed(response, controller);
  }

  it("streams creations and state changes of the token's namespaces only, from now on", async () => {
    const before = await create('mcp', 'before-stream');
    const feed = await open('mcpViewer');
    const ready = await readyOf(feed);
    const other = await create('other', 'api');
    const mine = await create('mcp', 'api');
    const created = await feed.waitFor((e) => e.promotion.id === mine);
    expect(created).toMatchObject({ event: { type: 'created', to: 'pending', promotionId: mine }, promotion: { state: 'pending', target: { namespace: 'mcp', deployment: 'api' } } });
    expect((await call('root', 'POST', `/v1/promotions/${mine}/abort`, { reason: 'feed test' })).status).toBe(200);
    const aborted = await feed.waitFor((e) => e.promotion.id === mine && e.event.to === 'aborted');
    expect(aborted.promotion.state).toBe('aborted');
    // The other namespace's promotion was created before both events above, in the same sequence.
    const seen = feed.events.map((e) => e.promotion.id);
    expect(seen).not.toContain(other);
    expect(seen).not.toContain(before);
    expect(feed.events.every((e) => e.event.id > ready)).toBe(true);
    feed.close();
  });

  it("tells a scoped token positions among its own namespaces' events only (nextAfter, the stream's ready)", async () => {
    const mine = await create('mcp', 'scoped-head');
    const events = (await (await call('root', 'GET', `/v1/promotions/${mine}/events`)).json()) as { items: { id: number }[] };
    const own = events.items.at(-1)?.id ?? 0;
    // Activity elsewhere after the token's last event: its positions must not move, or it could count it.
    for (const deployment of ['one', 'two', 'three']) await create('other', `scoped-head-${deployment}`);
    const rootFeed = await open('root');
    const globalHead = await readyOf(rootFeed);
    rootFeed.close();
    expect(globalHead).toBeGreaterThan(own);

    const page = await call('mcpViewer', 'GET', `/v1/events?after=${own - 1}`);
    const body = (await page.json()) as { items: FeedEvent[]; nextAfter: number };
    expect(body.items.map((e) => e.event.id)).toEqual([own]);
    expect(body.nextAfter).toBe(own);
    const empty = (await (await call('mcpViewer', 'GET', `/v1/events?after=${own}`)).json()) as { items: FeedEvent[]; nextAfter: number };
    expect(empty).toEqual({ items: [], nextAfter: own });

    const scoped = await open('mcpViewer');
    expect(await readyOf(scoped)).toBe(own);
    // From its ready position the stream still sends what is new in its namespaces, and nothing else.
    await create('other', 'scoped-head-four');
    const next = await create('mcp', 'scoped-head-next');
    await scoped.waitFor((e) => e.promotion.id === next);
    expect(scoped.events.map((e) => e.promotion.target.namespace)).toEqual(['mcp']);
    scoped.close();
  });

  it('resumes after Last-Event-ID or after, and applies the namespace and deployment filters', async () => {
    const feed = await open('root', '?namespace=resume&deployment=a');
    await readyOf(feed);
    const first = await create('resume', 'a');
    await create('resume', 'b');
    const seen = await feed.waitFor((e) => e.promotion.id === first);
    feed.close();
    await feed.ended;

    const missed = await create('resume', 'a-2');
    const abortedWhileAway = first;
    expect((await call('root', 'POST', `/v1/promotions/${abortedWhileAway}/abort`, {})).status).toBe(200);
    const resumed = await open('root', '?namespace=resume&deployment=a', { 'last-event-id': String(seen.event.id) });
    expect(await readyOf(resumed)).toBe(seen.event.id);
    const abort = await resumed.waitFor((e) => e.event.to === 'aborted');
    expect(abort.promotion.id).toBe(first);
    expect(resumed.events.map((e) => e.promotion.target.deployment)).toEqual(['a']);
    expect(resumed.events.map((e) => e.promotion.id)).not.toContain(missed);
    resumed.close();

    // `after` in the query does the same; without a stream, one page from there.
    const page = await call('root', 'GET', `/v1/events?namespace=resume&after=${seen.event.id}`);
    const body = (await page.json()) as { items: FeedEvent[]; nextAfter: number };
    expect(body.items.map((e) => [e.promotion.target.deployment, e.event.type])).toEqual([
      ['b', 'created'],
      ['a-2', 'created'],
      ['a', 'transition'],
    ]);
    expect(body.nextAfter).toBe(body.items.at(-1)?.event.id);
  });

  it('answers a page that matches the contract and refuses a Last-Event-ID that is no event id', async () => {
    // One event of each side of the scope, so the page is never empty, even when this test runs alone.
    await create('mcp', 'contract-page');
    await create('other', 'contract-page');
    const page = await svc.app.inject({ method: 'GET', url: '/v1/events?after=0', headers: { authorization: `Bearer ${SECRETS.mcpViewer}` } });
    assertMatchesSpec('listEvents', page);
    const namespaces = page.json().items.map((e: FeedEvent) => e.promotion.target.namespace);
    expect(namespaces).toContain('mcp');
    expect(new Set(namespaces)).toEqual(new Set(['mcp']));
    const refused = await fetch(`${svc.url}/v1/events`, { headers: { authorization: `Bearer ${SECRETS.root}`, accept: 'text/event-stream', 'last-event-id': 'abc' } });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
  });

  it('counts feed streams against the per-token cap', async () => {
    const a = await open('mcpViewer');
    const b = await open('mcpViewer');
    const third = await fetch(`${svc.url}/v1/events`, { headers: { authorization: `Bearer ${SECRETS.mcpViewer}`, accept: 'text/event-stream' } });
    expect(third.status).toBe(429);
    a.close();
    b.close();
    await Promise.all([a.ended, b.ended]);
  });

  it('ends open streams when the service shuts down', async () => {
    const feed = await open('root');
    await readyOf(feed);
    closed = true;
    await svc.close();
    await feed.ended;
    expect(feed.messages.map((m) => m.event)).toEqual(['ready']);
  });
});

/** The position the stream says it starts after. */
async function readyOf(feed: Feed): Promise<number> {
  while (feed.messages.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  const first = feed.messages[0]!;
  expect(first.event).toBe('ready');
  expect(first.lastEventId).toBe(String((JSON.parse(first.data) as { after: number }).after));
  return Number(first.lastEventId);
}
