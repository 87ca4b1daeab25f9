/**
 * HTTP load with autocannon, run from the runner process against a server in a child process. A
 * comparison runs every variant's warm-up first, then rounds that alternate between the variants (A B A
 * B ...) so that drift in the machine's load hits all of them alike, and reports each variant's median.
 */
import autocannon from 'autocannon';
import { median, percentile } from './stats.js';

export interface LoadSpec {
  readonly url: string;
  readonly connections: number;
  readonly durationSec: number;
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Builds each request (distinct bodies, rotating ids); overrides method/body/headers. */
  readonly setupRequest?: (request: autocannon.RequestParams) => autocannon.RequestParams;
}

export interface LoadResult {
  /** 2xx responses per second over the whole round. */
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly statusCodes: Record<string, number>;
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.durationSec,
    timeout: 30,
    ...(spec.method ? { method: spec.method } : {}),
    ...(spec.headers ? { headers: spec.headers } : {}),
    ...(spec.body !== undefined ? { body: spec.body } : {}),
    ...(spec.setupRequest ? { requests: [{ setupRequest: spec.setupRequest }] } : {}),
  });
  const statusCodes: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats)) statusCodes[code] = count;
  return {
    rps: result['2xx'] / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    meanMs: result.latency.mean,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    statusCodes,
  };
}

export interface Variant {
  readonly name: string;
  readonly spec: LoadSpec;
  /** CPU time of the server process so far (µs) and SQL statements it sent: gives both per request. */
  readonly counters?: () => Promise<{ cpuMicros: number; statements: number }>;
}

export interface VariantSummary {
  readonly name: string;
  readonly rounds: readonly LoadResult[];
  readonly medianRps: number;
  /** Median over the rounds of each round's p99. */
  readonly p99Ms: number;
  readonly p50Ms: number;
  readonly minRps: number;
  readonly maxRps: number;
  readonly failures: number;
  /** Median over the rounds of the server's CPU time per successful request, microseconds. */
  readonly cpuPerRequestUs: number;
  /** SQL statements per successful request (median over the rounds). */
  readonly statementsPerRequest: number;
}

export async function compareVariants(
  variants: readonly Variant[],
  options: { rounds: number; warmupSec: number; log: (line: string) => void; beforeRounds?: () => Promise<void>; afterRounds?: () => Promise<void> },
): Promise<VariantSummary[]> {
  for (const variant of variants) {
    const warm = await runLoad({ ...variant.spec, durationSec: options.warmupSec });
    options.log(`  warm-up ${variant.name}: ${Math.round(warm.rps)} rps`);
    if (warm.ok === 0) throw new Error(`${variant.name}: no successful response during the warm-up (${JSON.stringify(warm.statusCodes)}, ${warm.errors} errors)`);
  }
  const rounds = new Map<string, LoadResult[]>(variants.map((v) => [v.name, []]));
  const cpu = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  const statements = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  await options.beforeRounds?.();
  for (let round = 0; round < options.rounds; round++) {
    // Alternate the order every round too, so no variant always runs right after another.
    const order = round % 2 === 0 ? variants : [...variants].reverse();
    for (const variant of order) {
      const before = await variant.counters?.();
      const result = await runLoad(variant.spec);
      const after = await variant.counters?.();
      if (before !== undefined && after !== undefined) {
        cpu.get(variant.name)?.push((after.cpuMicros - before.cpuMicros) / Math.max(1, result.ok));
        statements.get(variant.name)?.push((after.statements - before.statements) / Math.max(1, result.ok));
      }
      rounds.get(variant.name)?.push(result);
      options.log(
        `  round ${round + 1}/${options.rounds} ${variant.name}: ${Math.round(result.rps)} rps, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms` +
          (result.non2xx + result.errors > 0 ? `, ${result.non2xx} non-2xx ${JSON.stringify(result.statusCodes)}, ${result.errors} errors` : ''),
      );
    }
  }
  await options.afterRounds?.();
  return variants.map((variant) => {
    const list = rounds.get(variant.name) ?? [];
    const rps = list.map((r) => r.rps);
    return {
      name: variant.name,
      rounds: list,
      medianRps: median(rps),
      p99Ms: median(list.map((r) => r.p99Ms)),
      p50Ms: median(list.map((r) => r.p50Ms)),
      minRps: percentile(rps, 0),
      maxRps: percentile(rps, 100),
      failures: list.reduce((sum, r) => sum + r.non2xx + r.errors, 0),
      cpuPerRequestUs: median(cpu.get(variant.name) ?? []),
      statementsPerRequest: median(statements.get(variant.name) ?? []),
    };
  });
}
