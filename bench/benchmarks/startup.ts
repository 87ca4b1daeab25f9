/**
 * Cold start to ready: from spawning the service process to the first 200 of GET /readyz, on embedded
 * PGlite (a new data folder, then the same folder reopened) and on PostgreSQL (a new empty database, so the
 * migrations run, then the same database again). The built service (`node dist/main.js`) is the
 * production path; `node --import tsx src/main.ts` is what `npm start` runs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Benchmark, BenchOutput } from '../lib/context.js';
import { createEmptyDatabase } from '../lib/database.js';
import type { Figure } from '../lib/report.js';
import { API_TOKENS_ENV } from '../lib/seed.js';
import { REPO_ROOT } from '../lib/ipc.js';
import { ensureDist, startService, type Entry } from '../lib/service-process.js';
import { max, median, round } from '../lib/stats.js';

interface Case {
  readonly name: string;
  readonly entry: Entry;
  readonly database: 'pglite-new' | 'pglite-reopen' | 'postgres-new' | 'postgres-migrated';
  readonly kubeconfig?: boolean;
}

const TARGET_MS = 2_000;

/** Wall time of `node -e "await import(spec)"` (nothing when spec is empty), ms: what one dependency adds to a start. */
function importMs(spec: string): number {
  const t0 = performance.now();
  const code = spec === '' ? '0' : `await import(${JSON.stringify(spec)})`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: join(REPO_ROOT, 'services/promoter'), encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`import ${spec}: ${run.stderr}`);
  return performance.now() - t0;
}

const IMPORTS = ['', '@kubernetes/client-node', 'fastify', '@fastify/swagger-ui', 'kysely', 'pg', '@electric-sql/pglite', 'prom-client'];

export const startupBenchmark: Benchmark = {
  name: 'startup',
  description: 'cold start to /readyz 200 on PGlite (new and reopened data dir) and PostgreSQL',
  async run(ctx): Promise<BenchOutput> {
    const trials = ctx.quick ? 1 : 3;
    const distNote = ensureDist(ctx.log);
    const entries: Entry[] = distNote === undefined ? ['tsx'] : ['dist', 'tsx'];
    const cases: Case[] = entries.flatMap((entry) => [
      { name: `${entry}: PGlite, new data dir`, entry, database: 'pglite-new' as const },
      { name: `${entry}: PGlite, reopened data dir`, entry, database: 'pglite-reopen' as const },
      { name: `${entry}: PostgreSQL, new database (migrations run)`, entry, database: 'postgres-new' as const },
      { name: `${entry}: PostgreSQL, migrated database`, entry, database: 'postgres-migrated' as const },
      // client-node is loaded only when there is a kubeconfig; then its import overlaps the database start.
      { name: `${entry}: PostgreSQL, migrated database, with a kubeconfig`, entry, database: 'postgres-migrated' as const, kubeconfig: true },
    ]);
    const home = mkdtempSync(join(tmpdir(), 'promoter-bench-home-'));
    // Never contacted at start-up: client-node reads it, and the first call would go to this address.
    const kubeconfig = join(home, 'kubeconfig.yaml');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{ name: bench, cluster: { server: "https://127.0.0.1:1" } }]',
        'users: [{ name: bench, user: { token: bench } }]',
        'contexts: [{ name: bench, context: { cluster: bench, user: bench } }]',
        'current-context: bench',
        '',
      ].join('\n'),
    );
    const results = new Map<string, { ready: number[]; rss: number[] }>(cases.map((c) => [c.name, { ready: [], rss: [] }]));
    try {
      for (let trial = 0; trial < trials; trial++) {
        for (const entry of entries) {
          // The reopened/migrated cases reuse what the "new" case of the same trial created.
          const dataDir = mkdtempSync(join(tmpdir(), 'promoter-bench-pglite-'));
          const database = await createEmptyDatabase('startup');
          try {
            for (const c of cases.filter((x) => x.entry === entry)) {
              const env: Record<string, string> = { HOME: home, PROMOTER_API_TOKENS: API_TOKENS_ENV };
              if (c.database.startsWith('pglite')) env.PROMOTER_DATA_DIR = dataDir;
              else env.DATABASE_URL = database.url;
              if (c.kubeconfig) env.KUBECONFIG = kubeconfig;
              const service = await startService(entry, env);
              const code = await service.stop();
              if (code !== 0) ctx.log(`  ${c.name}: exit code ${code} after SIGTERM`);
              results.get(c.name)?.ready.push(service.readyMs);
              results.get(c.name)?.rss.push(service.peakRssMb);
              ctx.log(`  trial ${trial + 1}/${trials} ${c.name}: ready in ${Math.round(service.readyMs)} ms, peak RSS ${Math.round(service.peakRssMb)} MB`);
            }
          } finally {
            rmSync(dataDir, { recursive: true, force: true });
            await database.drop();
          }
        }
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
    const imports = IMPORTS.map((spec) => ({ spec, ms: median(Array.from({ length: ctx.quick ? 1 : 3 }, () => importMs(spec))) }));
    const bare = imports[0]?.ms ?? 0;
    const importTable = [
      '| `node -e "await import(X)"` | median ms | added to a bare node start, ms |',
      '|---|---|---|',
      ...imports.map((i) => `| ${i.spec === '' ? '(nothing)' : i.spec} | ${Math.round(i.ms)} | ${i.spec === '' ? '' : Math.round(i.ms - bare)} |`),
    ].join('\n');
    ctx.log(importTable);
    const figures: Figure[] = [];
    const table = ['| case | median ms | max ms | peak RSS MB (median) |', '|---|---|---|---|'];
    for (const c of cases) {
      const r = results.get(c.name);
      if (!r) continue;
      const med = median(r.ready);
      figures.push({ name: c.name, value: Math.round(med), unit: 'ms', note: `median of ${trials}`, target: '< 2000 ms', met: med < TARGET_MS });
      table.push(`| ${c.name} | ${Math.round(med)} | ${Math.round(max(r.ready))} | ${round(median(r.rss), 0)} |`);
    }
    return {
      title: 'start-up, spawn to GET /readyz 200',
      figures,
      details: [
        `${trials} trial(s) per case; /readyz polled every 5 ms from the moment of spawn. LOG_LEVEL=warn, API tokens set, engine on ` +
          `(no Kubernetes or Prometheus configured). ${distNote ?? 'dist/ could not be built: only the tsx entry was measured'}. ` +
          `Peak RSS is VmHWM when the service became ready.`,
        table.join('\n'),
        `What single dependencies cost at start (each imported alone by a fresh node, ${ctx.quick ? 1 : 3} run(s), median):`,
        importTable,
      ],
    };
  },
};
