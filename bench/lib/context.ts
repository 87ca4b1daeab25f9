/** What every benchmark gets from the runner. */
import type { Figure } from './report.js';

export interface BenchContext {
  /** Shorter rounds and smaller data: a smoke run of every figure. */
  readonly quick: boolean;
  /** Record a CPU profile (`node --cpu-prof`) of the server under test, where the benchmark supports it. */
  readonly profile: boolean;
  /** Other `--name=value` arguments, e.g. `--engine-configs=0,2`. */
  readonly options: Readonly<Record<string, string>>;
  /** Where raw output (profiles, logs) goes. */
  readonly resultsDir: string;
  log(line: string): void;
}

/** What a benchmark returns; the runner adds its name, the load average at its start and its duration. */
export interface BenchOutput {
  readonly title: string;
  readonly figures: Figure[];
  readonly details: string[];
}

export interface Benchmark {
  readonly name: string;
  readonly description: string;
  run(ctx: BenchContext): Promise<BenchOutput>;
}
