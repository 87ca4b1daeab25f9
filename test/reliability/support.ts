/**
 * Helpers shared by the fault-injection suites in this folder: a webhook check target the test controls
 * (so a policy can gate without Prometheus where Prometheus is not the subject), reading a promotion
 * straight from the database (the service may be dead between a kill and a restart), counting the
 * PATCH requests the fake Kubernetes API received, and printing the figures RELIABILITY.md quotes.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../services/promoter/src/adapters/db/schema.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeKube, type FakeKube, type LoggedRequest } from '@promoter/fake-kube';
import { createTestDatabase, type TestDatabase } from '../fixtures/database.js';
import { startServiceProcess, type ServiceProcess } from '../fixtures/process.js';

export const TERMINAL = ['succeeded', 'rejected', 'rolled_back', 'failed', 'aborted'] as const;

/** Prints one line of figures; RELIABILITY.md quotes these lines from real runs. */
export function report(fault: string, figures: Record<string, unknown>): void {
  console.log(`[reliability] ${fault} ${JSON.stringify(figures)}`);
}

export interface WebhookCall {
  readonly phase: string;
  readonly namespace: string;
  readonly deployment: string;
  readonly promotion: string | null;
  readonly status: number;
  readonly at: number;
}

export interface Webhook {
  readonly url: string;
  readonly calls: readonly WebhookCall[];
  /** Decides the answer to each call (a status, or a status sent after a delay); default 200 at once. */
  respond(decide: (call: Omit<WebhookCall, 'status' | 'at'>) => number | { readonly status: number; readonly delayMs: number }): void;
  close(): Promise<void>;
}

/** An HTTP server standing in for a functional-test webhook: 200 unless `respond` says otherwise. */
export async function startWebhook(): Promise<Webhook> {
  const calls: WebhookCall[] = [];
  let decide: (call: Omit<WebhookCall, 'status' | 'at'>) => number | { readonly status: number; readonly delayMs: number } = () => 200;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let body: { phase?: string; promotion?: string | null; target?: { namespace?: string; deployment?: string } } = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body; // the check runner's payload
      } catch {
        // not JSON: answered like any other call
      }
      const call = {
        phase: body.phase ?? '',
        namespace: body.target?.namespace ?? '',
        deployment: body.target?.deployment ?? '',
        promotion: body.promotion ?? null,
      };
      const decision = decide(call);
      const { status, delayMs } = typeof decision === 'number' ? { status: decision, delayMs: 0 } : decision;
      calls.push({ ...call, status, at: Date.now() });
      setTimeout(() => {
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(status < 300 ? 'ok\n' : 'failed on purpose\n');
      }, delayMs);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo; // listening on TCP, so an AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hook`,
    calls,
    respond: (fn) => {
      decide = fn;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A policy with one webhook check in every phase (retries 0 so a failure shows at once). */
export function webhookPolicy(url: string, overrides: Record<string, unknown> = {}, check: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    interval: '500ms',
    bake: '1s',
    // Rollouts the suites hold (stalled) must outlast a kill and a restart: on PGlite under a full test run a
    // restart took 29 s, and a 30 s timeout rolled back a promotion the test expected to succeed.
    rolloutTimeout: '3m',
    checks: [{ name: 'smoke', webhook: { url, retries: 0, timeout: '5s' }, ...check }],
    ...overrides,
  };
}

export interface PromotionSnapshot {
  readonly id: string;
  readonly state: string;
  readonly state_reason: string | null;
  readonly verdict: string | null;
  readonly lease_owner: string | null;
}

/** The promotion's row as stored, read directly (works while no service runs). */
export async function readPromotion(db: Kysely<Database>, id: string): Promise<PromotionSnapshot> {
  const row = await db.selectFrom('promotions').select(['id', 'state', 'state_reason', 'verdict', 'lease_owner']).where('id', '=', id).executeTakeFirstOrThrow();
  return row;
}

/** Polls the database until the promotion is in one of `states`. */
export async function waitForDbState(db: Kysely<Database>, id: string, states: readonly string[], timeoutMs = 30_000, extra?: () => Promise<boolean>): Promise<PromotionSnapshot> {
  const deadline = Date.now() + timeoutMs;
  let last: PromotionSnapshot | undefined;
  for (;;) {
    last = await readPromotion(db, id);
    if (states.includes(last.state) && (extra === undefined || (await extra()))) return last;
    if (Date.now() > deadline) {
      const events = await eventsOf(db, id);
      throw new Error(`promotion ${id} did not reach ${states.join('|')} within ${timeoutMs} ms; last: ${JSON.stringify(last)}\nevents:\n${events.join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** `from -> to: reason` lines of a promotion's events, oldest first. */
export async function eventsOf(db: Kysely<Database>, id: string): Promise<string[]> {
  const rows = await db.selectFrom('promotion_events').select(['type', 'from_state', 'to_state', 'reason']).where('promotion_id', '=', id).orderBy('id').execute();
  return rows.map((e) => `${e.type} ${e.from_state ?? ''} -> ${e.to_state ?? ''}: ${e.reason ?? ''}`);
}

/** How many check results a promotion has, by `phase:result`. */
export async function checkResultCounts(db: Kysely<Database>, id: string): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('check_results')
    .select(['phase', 'result', sql<number>`count(*)::int`.as('n')])
    .where('promotion_id', '=', id)
    .groupBy(['phase', 'result'])
    .execute();
  return Object.fromEntries(rows.map((r) => [`${r.phase}:${r.result}`, r.n]));
}

/** PATCH requests the fake received for one Deployment (failed, hung and successful ones). */
export function patchesOf(kube: FakeKube, namespace: string, name: string): LoggedRequest[] {
  return kube.requests.filter((r) => r.method === 'PATCH' && r.path === `/apis/apps/v1/namespaces/${namespace}/deployments/${name}`);
}

/** `{ "200": 1, "500": 2, "hung": 1 }` for a list of logged requests. */
export function statusCounts(requests: readonly LoggedRequest[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of requests) {
    const key = r.status === undefined ? (r.closedByClient ? 'hung-then-aborted-by-client' : 'hung') : String(r.status);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** Polls `probe` until it returns true, failing with `what` after `timeoutMs`. */
export async function until(probe: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** When the promotion entered each state (epoch ms), from its transition events. */
export async function transitionTimes(db: Kysely<Database>, id: string): Promise<Record<string, number>> {
  const rows = await db.selectFrom('promotion_events').select(['to_state', 'at']).where('promotion_id', '=', id).where('to_state', 'is not', null).orderBy('id').execute();
  return Object.fromEntries(rows.map((r) => [r.to_state as string, r.at.getTime()]));
}

/** The service as one process: see test/fixtures/process.ts. */
export { startServiceProcess as startService } from '../fixtures/process.js';

/**
 * What the kill -9 suites read about a promotion, from wherever it can be read: straight from PostgreSQL
 * (which outlives the service), or through the service's API on the embedded database (its data directory
 * belongs to the one service process; the API answers whenever a process runs).
 */
export interface PromotionReader {
  read(id: string): Promise<PromotionSnapshot & { readonly updatedAt: number }>;
  /** Polls until the promotion is in one of `states` (and `extra` holds). */
  waitFor(id: string, states: readonly string[], timeoutMs?: number, extra?: () => Promise<boolean>): Promise<PromotionSnapshot>;
  events(id: string): Promise<string[]>;
  checkCounts(id: string): Promise<Record<string, number>>;
  transitionTimes(id: string): Promise<Record<string, number>>;
  /** When each event and measurement was recorded (epoch ms). */
  recordTimes(id: string): Promise<number[]>;
  /** The state the promotion was in at `time` (from its transitions). */
  stateAt(id: string, time: number): Promise<string | undefined>;
}

export function databaseReader(db: Kysely<Database>): PromotionReader {
  return withWaitAndState({
    read: async (id) => {
      const row = await db.selectFrom('promotions').select(['id', 'state', 'state_reason', 'verdict', 'lease_owner', 'updated_at']).where('id', '=', id).executeTakeFirstOrThrow();
      const { updated_at: updated, ...snapshot } = row;
      return { ...snapshot, updatedAt: updated.getTime() };
    },
    events: (id) => eventsOf(db, id),
    checkCounts: (id) => checkResultCounts(db, id),
    transitionTimes: (id) => transitionTimes(db, id),
    recordTimes: async (id) => {
      const events = await db.selectFrom('promotion_events').select(['at']).where('promotion_id', '=', id).execute();
      const checks = await db.selectFrom('check_results').select(['measured_at']).where('promotion_id', '=', id).execute();
      return [...events.map((e) => e.at.getTime()), ...checks.map((c) => c.measured_at.getTime())];
    },
    transitions: async (id) => {
      const rows = await db.selectFrom('promotion_events').select(['to_state', 'at']).where('promotion_id', '=', id).where('to_state', 'is not', null).orderBy('id').execute();
      return rows.map((r) => ({ to: r.to_state as string, at: r.at.getTime() }));
    },
  });
}

interface ApiDetail {
  readonly id: string;
  readonly state: string;
  readonly stateReason: string | null;
  readonly verdict: string | null;
  readonly updatedAt: string;
  readonly events: readonly { readonly type: string; readonly from: string | null; readonly to: string | null; readonly reason: string | null; readonly at: string }[];
  readonly checkResults: readonly { readonly phase: string; readonly result: string; readonly measuredAt: string }[];
}

/** Reads through `GET /v1/promotions/{id}` of the service running now (`url()`); leases are not in the API. */
export function apiReader(url: () => string): PromotionReader {
  const detail = async (id: string): Promise<ApiDetail> => {
    const response = await fetch(`${url()}/v1/promotions/${id}`);
    if (!response.ok) throw new Error(`GET /v1/promotions/${id}: ${response.status} ${await response.text()}`);
    return (await response.json()) as ApiDetail; // the contract's PromotionDetail, checked by the API suites
  };
  return withWaitAndState({
    read: async (id) => {
      const d = await detail(id);
      return { id: d.id, state: d.state, state_reason: d.stateReason, verdict: d.verdict, lease_owner: null, updatedAt: Date.parse(d.updatedAt) };
    },
    events: async (id) => (await detail(id)).events.map((e) => `${e.type} ${e.from ?? ''} -> ${e.to ?? ''}: ${e.reason ?? ''}`),
    checkCounts: async (id) => {
      const counts: Record<string, number> = {};
      for (const c of (await detail(id)).checkResults) counts[`${c.phase}:${c.result}`] = (counts[`${c.phase}:${c.result}`] ?? 0) + 1;
      return counts;
    },
    transitionTimes: async (id) => Object.fromEntries((await detail(id)).events.filter((e) => e.to !== null).map((e) => [e.to as string, Date.parse(e.at)])),
    recordTimes: async (id) => {
      const d = await detail(id);
      return [...d.events.map((e) => Date.parse(e.at)), ...d.checkResults.map((c) => Date.parse(c.measuredAt))];
    },
    transitions: async (id) => (await detail(id)).events.filter((e) => e.to !== null).map((e) => ({ to: e.to as string, at: Date.parse(e.at) })),
  });
}

type ReaderBase = Omit<PromotionReader, 'waitFor' | 'stateAt'> & { transitions(id: string): Promise<{ to: string; at: number }[]> };

function withWaitAndState(base: ReaderBase): PromotionReader {
  return {
    ...base,
    waitFor: async (id, states, timeoutMs = 30_000, extra) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const last = await base.read(id);
        if (states.includes(last.state) && (extra === undefined || (await extra()))) return last;
        if (Date.now() > deadline) {
          throw new Error(`promotion ${id} did not reach ${states.join('|')} within ${timeoutMs} ms; last: ${JSON.stringify(last)}\nevents:\n${(await base.events(id)).join('\n')}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    stateAt: async (id, time) => (await base.transitions(id)).filter((t) => t.at <= time).at(-1)?.to,
  };
}

/**
 * What every kill -9 suite of a service process starts: a fake cluster (its kubeconfig in `dir`), a webhook for
 * gates without Prometheus, a PostgreSQL database, and the service's environment (2 s leases, so a second
 * process takes over quickly). `start` runs a service process and remembers it; `close` stops them all.
 */
export interface KillRig {
  readonly kube: FakeKube;
  readonly webhook: Webhook;
  readonly database: TestDatabase;
  readonly dir: string;
  /** The service's environment; a suite adds its own variables before the first `start`. */
  readonly env: Record<string, string>;
  start(): Promise<ServiceProcess>;
  close(): Promise<void>;
}

export async function startKillRig(name: string): Promise<KillRig> {
  const kube = await startFakeKube();
  const webhook = await startWebhook();
  const database = await createTestDatabase('postgres');
  const dir = mkdtempSync(join(tmpdir(), `promoter-${name}-`));
  await kube.writeKubeconfig(join(dir, 'kubeconfig'));
  const env: Record<string, string> = {
    DATABASE_URL: database.url as string,
    KUBECONFIG: join(dir, 'kubeconfig'),
    PROMOTER_DATA_DIR: join(dir, 'data'),
    PROMOTER_ENGINE_LEASE_MS: '2000',
    PROMOTER_ENGINE_POLL_MS: '100',
    PROMOTER_WEBHOOK_ALLOWED_URLS: webhook.url,
  };
  const processes: ServiceProcess[] = [];
  return {
    kube,
    webhook,
    database,
    dir,
    env,
    start: async () => {
      const service = await startServiceProcess(env);
      processes.push(service);
      return service;
    },
    close: async () => {
      for (const service of processes) await service.stop('SIGTERM');
      await database.drop();
      await webhook.close();
      await kube.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
