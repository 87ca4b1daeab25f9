/**
 * Cold start to ready: from spawning the service process to the first 200 of GET /readyz, on embedded
 * PGlite (a new data folder, then the same folder reopened) and on PostgreSQL (a new empty database, so the
 * migrations run, then the same database again). The built service (`node dist/main.js`) is the
 * production path; `node --import tsx src/main.ts` is what `npm start` runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Benchmark, BenchOutput } from '../lib/context.js';
import { createEmptyDatabase } from '../lib/database.js';
import type { Figure } from '../lib/report.js';
import { API_TOKENS_ENV } from '../lib/seed.js';
import { ensureDist, startService, type Entry } from '../lib/service-process.js';
import { max, median, round } from '../lib/stats.js';

interface Case {
  readonly name: string;
  readonly entry: Entry;
  readonly database: 'pglite-new' | 'pglite-reopen' | 'postgres-new' | 'postgres-migrated';
}

const TARGET_MS = 2_000;

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
    ]);
    const home = mkdtempSync(join(tmpdir(), 'promoter-bench-home-'));
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
      ],
    };
  },
};
