/**
 * Load: 100 concurrent clients for 30 s against a listening service on a real Postgres, mixing reads,
 * dry-run creates and policy reads. Every answer is the one its request calls for (201 for a new target, 409 for the
 * busy one once it is taken, 200 for reads; rate limiting is off, so never 429), and every 201 is in the database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samplePolicy, startTestService, type TestService } from '../fixtures/service.js';

const CLIENTS = 100;
const DURATION_MS = Number(process.env.PROMOTER_LOAD_MS ?? 30_000);

describe('load', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ listen: true, logLevel: 'warn', rateLimitPerMinute: 0 });
    await fetch(`${svc.url}/v1/policies/load`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(samplePolicy()) });
  });
  afterAll(() => svc.close());

  it(`${CLIENTS} clients for ${DURATION_MS / 1000} s: no unintended errors, no lost writes`, async () => {
    const statuses = new Map<string, number>();
    const created = new Set<string>();
    const unexpected: string[] = [];
    let seen: string | undefined;
    const deadline = Date.now() + DURATION_MS;
    const client = async (n: number) => {
      let i = 0;
      while (Date.now() < deadline) {
        i += 1;
        const kind = i % 4;
        let response: Response;
        let label: string;
        let expected: readonly number[] = [200];
        if (kind === 0) {
          label = 'create';
          // Every tenth create reuses a busy target on purpose.
          const busy = i % 40 === 0;
          const deployment = busy ? 'busy' : `svc-${n}-${i}`;
          // The first create of the busy target wins (201); later ones meet it active (409), or win again
          // once an engine has finished it.
          expected = busy ? [201, 409] : [201];
          response = await fetch(`${svc.url}/v1/promotions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'idempotency-key': `load-${n}-${i}` },
            body: JSON.stringify({ target: { namespace: 'load', deployment, container: 'app' }, image: 'registry.example/app:1.0.0', policy: 'load', dryRun: true }),
          });
          if (response.status === 201) {
            const body = (await response.json()) as { id: string };
            created.add(body.id);
            seen = body.id;
          } else await response.arrayBuffer();
        } else if (kind === 1) {
          label = 'list';
          response = await fetch(`${svc.url}/v1/promotions?namespace=load&limit=20`);
          await response.arrayBuffer();
        } else if (kind === 2) {
          label = 'get';
          response = await fetch(seen ? `${svc.url}/v1/promotions/${seen}` : `${svc.url}/v1/policies`);
          await response.arrayBuffer();
        } else {
          label = 'policy';
          response = await fetch(`${svc.url}/v1/policies/load`);
          await response.arrayBuffer();
        }
        const key = `${label} ${response.status}`;
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        if (!expected.includes(response.status)) unexpected.push(key);
      }
    };
    const started = Date.now();
    await Promise.all(Array.from({ length: CLIENTS }, (_, n) => client(n)));
    const seconds = (Date.now() - started) / 1000;
    const total = [...statuses.values()].reduce((a, b) => a + b, 0);
    console.log(`load: ${total} requests in ${seconds.toFixed(1)} s (${Math.round(total / seconds)}/s); ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
    expect(unexpected).toEqual([]);
    expect(created.size).toBeGreaterThan(0);
    const stored = await svc.database.handle.db.selectFrom('promotions').select('id').where('namespace', '=', 'load').execute();
    const storedIds = new Set(stored.map((r) => r.id));
    expect([...created].filter((id) => !storedIds.has(id))).toEqual([]);
  }, DURATION_MS + 60_000);
});
