/**
 * A real Prometheus server for the demo and the integration tests: writes a config (and optional alerting rules) into a
 * temp dir, optionally backfills past samples with `promtool tsdb create-blocks-from openmetrics`, starts
 * the `prometheus` binary on a free loopback port and waits for `/-/ready`.
 *
 * Facts about Prometheus 2.42 this relies on (checked on this machine):
 * - ready in ~0.1-1 s, but the first scraped samples appear only after ~6-7 s (target discovery is
 *   throttled to one update per 5 s), whatever the scrape interval: use `waitForSeries`, never sleep.
 * - backfilled blocks are queryable as soon as the server is ready (~0.2 s to create them).
 * - shutdown takes 1-2 s: `stop()` waits for the process to exit before removing the data dir.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { toOpenMetrics } from './exporter.js';
import type { BackfillSeries } from './exporter.js';
import { findOnPath, freePort, tiedToParent } from './processes.js';
import { isReady, PrometheusQueryError, queryVector, type VectorSample } from './prometheus-query.js';

export type { BackfillSeries } from './exporter.js';

export interface StartPrometheusOptions {
  /** `host:port` targets scraped by one job named `test`. */
  readonly targets?: readonly string[];
  /** Default 1. Also the rule evaluation interval. */
  readonly scrapeIntervalSeconds?: number;
  /** YAML content of an alerting/recording rules file (`groups: ...`). */
  readonly ruleFiles?: string;
  /** Past samples written into the TSDB before start, for deterministic queries over a past window. */
  readonly backfill?: readonly BackfillSeries[];
  /** How long to wait for `/-/ready`. Default 20 000. */
  readonly startTimeoutMs?: number;
}

export interface PrometheusInstance {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly dataDir: string;
  /**
   * Polls the instant `query` until `predicate` accepts the vector (default: non-empty), and returns it.
   * Fails at once on a query error that retrying cannot fix (bad_data, execution).
   */
  waitForSeries(
    query: string,
    predicate?: (samples: readonly VectorSample[]) => boolean,
    timeoutMs?: number,
  ): Promise<readonly VectorSample[]>;
  /** The last lines Prometheus logged, for failure messages. */
  logs(): string;
  /** Stops the server (SIGTERM, SIGKILL after 10 s), waits for the exit, removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** The one line that says how to get Prometheus (the demo prints it as it is). */
export const MISSING_PROMETHEUS =
  'the `prometheus` binary is not on PATH; install it with `apt-get update && apt-get install -y prometheus` (Debian, Ubuntu) or from https://prometheus.io/download/';
const LOG_LINES = 200;
const POLL_MS = 200;
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * Starts Prometheus; call `stop()` in `afterAll` (also on failure).
 *
 * @example
 * const prometheus = await startPrometheus({ targets: [exporter.target] });
 * await prometheus.waitForSeries('up{job="test"} == 1');
 */
export async function startPrometheus(options: StartPrometheusOptions = {}): Promise<PrometheusInstance> {
  const binary = findOnPath('prometheus');
  if (binary === undefined) throw new Error(MISSING_PROMETHEUS);
  const interval = options.scrapeIntervalSeconds ?? 1;
  const dir = await mkdtemp(join(tmpdir(), 'promoter-prometheus-'));
  const dataDir = join(dir, 'data');
  try {
    const config = renderConfig(options.targets ?? [], interval, options.ruleFiles !== undefined);
    await writeFile(join(dir, 'prometheus.yml'), config);
    if (options.ruleFiles !== undefined) await writeFile(join(dir, 'rules.yml'), options.ruleFiles);
    if (options.backfill !== undefined && options.backfill.length > 0) await backfill(dir, dataDir, options.backfill);
    return await launch(binary, dir, dataDir, options.startTimeoutMs ?? 20_000);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

async function launch(binary: string, dir: string, dataDir: string, timeoutMs: number): Promise<PrometheusInstance> {
  // A free port can be taken between probing and binding; try a few.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const child = spawnPrometheus(binary, [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${dataDir}`,
      // Backfilled samples may be older than the default 15 d retention, which would delete them.
      '--storage.tsdb.retention.time=100y',
      `--web.listen-address=127.0.0.1:${port}`,
    ]);
    const instance = createInstance(child, `http://127.0.0.1:${port}`, dir, dataDir);
    try {
      await waitReady(instance, child, timeoutMs);
      return instance;
    } catch (error) {
      await instance.stop();
      const portTaken = /address already in use/.test(instance.logs());
      if (!portTaken || attempt === 3) throw error;
    }
  }
}

function createInstance(child: ChildProcess, url: string, dir: string, dataDir: string): PrometheusInstance {
  const lines: string[] = [];
  const collect = (chunk: Buffer): void => {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    if (lines.length > LOG_LINES) lines.splice(0, lines.length - LOG_LINES);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  let stopping: Promise<void> | undefined;

  return {
    url,
    dataDir,
    logs: () => lines.join('\n'),
    async waitForSeries(query, predicate = (samples) => samples.length > 0, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      let last = 'no answer yet';
      for (;;) {
        try {
          const samples = await queryVector(url, query);
          if (predicate(samples)) return samples;
          last = JSON.stringify(samples);
        } catch (error) {
          // Keep polling through outages (e.g. a restart); a bad query will never start working.
          if (error instanceof PrometheusQueryError) throw error;
          last = (error as Error).message;
        }
        if (Date.now() > deadline) {
          const why = `last answer: ${last}\n${tail(lines)}`;
          throw new Error(`waitForSeries: ${query} not satisfied within ${timeoutMs} ms; ${why}`);
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    },
    stop() {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          await exited;
          clearTimeout(killer);
        }
        live.delete(child);
        await rm(dir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

async function waitReady(instance: PrometheusInstance, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const status = child.exitCode ?? child.signalCode;
      throw new Error(`prometheus exited (${status}) before it was ready:\n${tail(instance.logs().split('\n'))}`);
    }
    if (await isReady(instance.url)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`prometheus not ready within ${timeoutMs} ms:\n${tail(instance.logs().split('\n'))}`);
}

function spawnPrometheus(binary: string, args: readonly string[]): ChildProcess {
  // The kernel kills Prometheus if the process that started it (a test worker, the demo) dies without cleaning up.
  const command = tiedToParent(binary, args);
  const child = spawn(command.command, command.args, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const running of live) running.kill('SIGKILL');
    });
  }
  return child;
}

async function backfill(dir: string, dataDir: string, series: readonly BackfillSeries[]): Promise<void> {
  const promtool = findOnPath('promtool');
  if (promtool === undefined) throw new Error(MISSING_PROMETHEUS.replace('`prometheus` binary', '`promtool` binary'));
  const file = join(dir, 'backfill.om');
  await writeFile(file, toOpenMetrics(series));
  try {
    await promisify(execFile)(promtool, ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', file, dataDir]);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? ''; // execFile's error carries the output
    throw new Error(`promtool could not backfill: ${stderr || String(error)}`);
  }
}

function renderConfig(targets: readonly string[], intervalSeconds: number, withRules: boolean): string {
  const quoted = targets.map((target) => JSON.stringify(target)).join(', ');
  return [
    'global:',
    `  scrape_interval: ${intervalSeconds}s`,
    `  scrape_timeout: ${intervalSeconds}s`,
    `  evaluation_interval: ${intervalSeconds}s`,
    ...(withRules ? ['rule_files:', '  - rules.yml'] : []),
    'scrape_configs:',
    '  - job_name: test',
    '    static_configs:',
    `      - targets: [${quoted}]`,
    '',
  ].join('\n');
}

function tail(lines: readonly string[]): string {
  return lines.slice(-20).join('\n');
}
