/**
 * `npm run demo`: the whole runbook on this machine, in about two minutes. Starts a fake cluster with
 * traffic, a real Prometheus, a Git server with an Argo CD stand-in and the service on its embedded
 * database, then runs four promotions (good and bad, direct and through Git) and prints each step.
 *
 *   npm run demo            waits for Enter before the promotions, keeps running afterwards for the console
 *   npm run demo -- --ci    no waiting; prints a summary table and exits 0 only when every promotion ended as expected
 *
 * Ctrl-C (SIGINT), SIGTERM or a closed terminal (SIGHUP) stops everything it started and removes its
 * temporary folders.
 */
import { createInterface } from 'node:readline/promises';
import { findOnPath, MISSING_PROMETHEUS } from '@promoter/local-stack';
import { Cleanup, StoppedError } from './cleanup.js';
import { paint, summaryTable, type SummaryRow } from './progress.js';
import { runScenario, SCENARIOS } from './scenarios.js';
import { tailOf } from './service-process.js';
import { portOrFree, startDemoStack, type DemoStack } from './stack.js';

const ci = process.argv.includes('--ci');
const say = (line: string): void => void process.stdout.write(`${line}\n`);
const cleanup = new Cleanup();
const aborted = new AbortController();
let exitCode = 0;

/** Exit codes as a shell reports a death by these signals (128 + the signal's number). */
const SIGNAL_EXIT: Readonly<Record<string, number>> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

/** On the first signal: stop everything, then exit as a shell reports that signal. */
function onSignal(signal: NodeJS.Signals): void {
  if (cleanup.stopping) return;
  say(`\n${signal}: stopping everything the demo started`);
  aborted.abort(new StoppedError());
  void stopAndExit(SIGNAL_EXIT[signal] ?? 1);
}

async function stopAndExit(code: number): Promise<never> {
  const failures = await cleanup.run();
  await cleanup.lateParts();
  for (const failure of failures) process.stderr.write(`demo: could not stop ${failure}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  // SIGHUP: the terminal closed; the demo must not die without stopping what it started.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  // A closed terminal or pipe (`| head`) fails writes with EIO/EPIPE: stop printing, not cleaning up.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  if (findOnPath('prometheus') === undefined) {
    process.stderr.write(`demo: ${MISSING_PROMETHEUS}\n`);
    process.exit(1);
  }
  const begun = Date.now();
  say(paint('bold', `promoter demo${ci ? ' (--ci)' : ''}: starting the stand-in world`));
  const stack = await startDemoStack(cleanup, { port: ci ? 0 : await portOrFree(8080), say });
  say(`service      ${stack.service.url} ready after ${((Date.now() - begun) / 1_000).toFixed(1)} s (pid ${stack.service.pid}, folder ${stack.dir})`);
  say('');
  say(paint('bold', `Console: ${stack.service.url}/ui/  (sign in with the token ${stack.token})`));
  say(paint('dim', `Policies: 2 s between measurements, 12 s bake, so the four promotions take about a minute and a half.`));
  if (!ci && process.stdin.isTTY) await pressEnter('Open the console, then press Enter to start the promotions. ');

  const rows: SummaryRow[] = [];
  for (const [index, scenario] of SCENARIOS.entries()) {
    rows.push(await runScenario({ stack, say, signal: aborted.signal }, scenario, index));
  }
  say('');
  say(summaryTable(rows));
  const ok = rows.every((row) => row.ok);
  say(ok ? paint('green', `all ${rows.length} promotions ended as expected, in ${((Date.now() - begun) / 1_000).toFixed(0)} s`) : paint('red', 'some promotions did not end as expected (see UNEXPECTED above)'));
  exitCode = ok ? 0 : 1;
  if (!ok) say(paint('dim', `the end of the service's log (its folder is removed on exit):\n${tailOf(stack.serviceLog)}`));
  if (!ci) await stayUp(stack);
}

async function pressEnter(prompt: string): Promise<void> {
  const reader = createInterface({ input: process.stdin, output: process.stdout });
  // On a terminal readline takes Ctrl-C itself (raw mode: no SIGINT reaches any process): pass it on.
  reader.once('SIGINT', () => onSignal('SIGINT'));
  try {
    await reader.question(prompt, { signal: aborted.signal });
  } finally {
    reader.close();
  }
}

/** Keeps everything running for the console until a signal stops it. */
async function stayUp(stack: DemoStack): Promise<void> {
  say('');
  say(`Everything is still running: ${stack.service.url}/ui/ (token ${stack.token}). Ctrl-C stops it all.`);
  await new Promise<void>((resolve) => aborted.signal.addEventListener('abort', () => resolve(), { once: true }));
}

main().then(
  () => (cleanup.stopping ? undefined : stopAndExit(exitCode)),
  async (error: unknown) => {
    // A signal cuts the promotions short: its handler does the rest.
    if (cleanup.stopping || error instanceof StoppedError) return;
    process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n`);
    await stopAndExit(1);
  },
);
