/**
 * `npm run bench [-- [names...] [--quick] [--profile] [--wait-load[=1.5]]]`
 *
 * Runs the benchmarks (all by default, or those named: read write list engine startup reaction argocd), prints
 * each figure with the load average at the start of each benchmark, and writes the raw results to
 * bench/results/ (`<time>.json`, `<time>.md`, `latest.md`). Not part of `npm test`; no figure fails the
 * run, a missed target is reported as such.
 *
 * --quick       fewer and shorter rounds, smaller data sets: a few minutes for everything
 * --profile     also record CPU profiles (node --cpu-prof) of the app (read, write) and of an engine replica
 *               (engine), and summarise the measured window
 * --wait-load   before each benchmark wait (up to 5 minutes) for the 1-minute load average to drop below
 *               1.5 (or the given value)
 * --drop-indexes=a,b   drop these indexes after migrating each bench database (to measure before a migration)
 * --engine-configs=0,2   run only these engine configurations (0: 1 replica, 1: 2 replicas, 2: 1 replica 5 minutes
 *               into the bake, 3: 1 replica with concurrency 64, 4 and 5: 1 and 2 replicas with a Prometheus that
 *               answers in 100 ms; 3 to 5 are left out with --quick unless named here)
 * --engine-window=S      length of the engine's measured window in seconds (default 30, 10 with --quick)
 * --engine-node-options="--max-old-space-size=128"   node flags for the engine replicas
 * --engine-heap-snapshot=PATH   write a heap snapshot of the first replica at the end of the window
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readBenchmark, writeBenchmark } from './benchmarks/api-paths.js';
import { listBenchmark } from './benchmarks/list.js';
import { engineBenchmark } from './benchmarks/engine.js';
import { startupBenchmark } from './benchmarks/startup.js';
import { reactionBenchmark } from './benchmarks/reaction.js';
import { argocdBenchmark } from './benchmarks/argocd.js';
import type { Benchmark, BenchContext } from './lib/context.js';
import { dropAllBenchDatabases, dropIndexesAfterMigration } from './lib/database.js';
import { REPO_ROOT, stopAllChildren } from './lib/ipc.js';
import { loadAverage, machineInfo, waitForQuietMachine } from './lib/machine.js';
import { figureTable, formatValue, markdownReport, type BenchResult } from './lib/report.js';

const BENCHMARKS: readonly Benchmark[] = [readBenchmark, writeBenchmark, listBenchmark, engineBenchmark, startupBenchmark, reactionBenchmark, argocdBenchmark];

function usage(): string {
  return [
    'usage: npm run bench -- [names...] [--quick] [--profile] [--wait-load[=LOAD]]',
    '',
    ...BENCHMARKS.map((b) => `  ${b.name.padEnd(9)} ${b.description}`),
  ].join('\n');
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(usage());
    return 0;
  }
  const quick = args.includes('--quick');
  const profile = args.includes('--profile');
  const waitArg = args.find((a) => a.startsWith('--wait-load'));
  const waitLoad = waitArg === undefined ? undefined : Number(waitArg.split('=')[1] ?? 1.5);
  const names = args.filter((a) => !a.startsWith('-'));
  const unknown = names.filter((n) => !BENCHMARKS.some((b) => b.name === n));
  if (unknown.length > 0) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}\n\n${usage()}`);
    return 2;
  }
  const selected = names.length === 0 ? BENCHMARKS : BENCHMARKS.filter((b) => names.includes(b.name));

  const started = new Date();
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  const resultsDir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const machine = await machineInfo();
  const header = [
    `# promoter benchmarks, ${started.toISOString()}${quick ? ' (--quick)' : ''}`,
    '',
    `Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGb} GB; ${machine.os}; Node ${machine.node}; PostgreSQL ${machine.postgres}.`,
    `Load average at the start of the run: ${loadAverage().join(' / ')}.`,
    `Command: npm run bench -- ${args.join(' ')}`,
  ];
  console.log(header.join('\n'));

  const options: Record<string, string> = {};
  for (const arg of args) {
    const match = /^--([a-z-]+)=(.*)$/.exec(arg);
    if (match?.[1] && match[2] !== undefined) options[match[1]] = match[2];
  }
  if (options['drop-indexes']) dropIndexesAfterMigration(options['drop-indexes'].split(','));
  const ctx: BenchContext = { quick, profile, options, resultsDir, log: (line) => console.log(line) };
  const results: BenchResult[] = [];
  for (const bench of selected) {
    if (waitLoad !== undefined) await waitForQuietMachine(waitLoad, 5 * 60_000, ctx.log);
    const load = loadAverage();
    console.log(`\n== ${bench.name}: ${bench.description} (load average ${load.join(' / ')})`);
    const t0 = Date.now();
    try {
      const output = await bench.run(ctx);
      const result: BenchResult = { bench: bench.name, loadAtStart: load, durationSec: (Date.now() - t0) / 1000, ...output };
      results.push(result);
      for (const figure of result.figures) {
        const met = figure.met === undefined ? '' : figure.met ? '  [target met]' : '  [TARGET MISSED]';
        console.log(`  ${figure.name}: ${formatValue(figure)}${figure.target ? ` (target ${figure.target})` : ''}${met}`);
      }
    } catch (error) {
      console.error(`  ${bench.name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      results.push({
        bench: bench.name,
        title: bench.description,
        loadAtStart: load,
        durationSec: (Date.now() - t0) / 1000,
        figures: [{ name: 'run', value: 'failed', met: false, note: error instanceof Error ? error.message.slice(0, 200) : String(error) }],
        details: [],
      });
    } finally {
      await stopAllChildren();
      await dropAllBenchDatabases();
    }
  }

  const report = markdownReport(results, header);
  writeFileSync(join(resultsDir, `${stamp}.json`), JSON.stringify({ started, args, machine, results }, null, 2));
  writeFileSync(join(resultsDir, `${stamp}.md`), report);
  writeFileSync(join(resultsDir, 'latest.md'), report);
  console.log(`\n${figureTable(results)}\n\nfull report: bench/results/${stamp}.md (also bench/results/latest.md)`);
  return 0;
}

let stopping = false;
const cleanUp = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.error(`\n${signal}: stopping the servers and dropping the bench databases`);
  await stopAllChildren();
  await dropAllBenchDatabases();
  process.exit(130);
};
process.on('SIGINT', () => void cleanUp('SIGINT'));
process.on('SIGTERM', () => void cleanUp('SIGTERM'));

main().then(
  (code) => process.exit(code),
  async (error: unknown) => {
    console.error(error);
    await stopAllChildren();
    await dropAllBenchDatabases();
    process.exit(1);
  },
);
