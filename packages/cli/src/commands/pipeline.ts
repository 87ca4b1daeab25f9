/**
 * `promoter pipeline apply|list|run|status|abort`: pipelines and their runs. `run --wait` and `status --wait`
 * print each stage as it moves (started, its promotion's state, soaking until, succeeded, failed and why)
 * and exit 0 only when every stage succeeded.
 */
import { readFile } from 'node:fs/promises';
import { basename, extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ENDED_RUN_STATES, PromoterAbortError, type Pipeline, type PipelineRun, type PipelineRunRequest } from '@promoter/sdk';
import { defineCommand, duration, expectPositionals } from '../args.js';
import type { CommandContext } from '../context.js';
import { EXIT, UsageError } from '../exit-codes.js';
import { pipelineRows, runLines, soakedLine, stageLine } from '../pipeline-format.js';

const SUBCOMMANDS = ['apply', 'list', 'run', 'status', 'abort'] as const;

const PIPELINE_OPTIONS = {
  file: { type: 'string', short: 'f' },
  name: { type: 'string' },
  image: { type: 'string' },
  'from-namespace': { type: 'string' },
  from: { type: 'string' },
  'from-container': { type: 'string' },
  'strip-suffix': { type: 'string' },
  reason: { type: 'string' },
  wait: { type: 'boolean', short: 'w' },
  timeout: { type: 'string' },
} as const;

/** How often `--wait` reads the run. */
const WAIT_POLL_MS = 1_000;

export const pipelineCommand = defineCommand(PIPELINE_OPTIONS, async (context, { values, positionals }) => {
  const [subcommand, ...rest] = positionals;
  const { client, output } = context;
  const signal = context.signal;
  const only = (flag: keyof typeof PIPELINE_OPTIONS, ...subcommands: string[]) => {
    if (values[flag] !== undefined && !subcommands.includes(subcommand ?? '')) throw new UsageError(`--${flag} goes with pipeline ${subcommands.join(' or ')}`, 'pipeline');
  };
  only('file', 'apply');
  only('name', 'apply');
  for (const flag of ['image', 'from-namespace', 'from', 'from-container', 'strip-suffix'] as const) only(flag, 'run');
  only('reason', 'run', 'abort');
  only('wait', 'run', 'status');
  only('timeout', 'run', 'status');
  const timeoutMs = duration('pipeline', 'timeout', values.timeout);
  if (timeoutMs !== undefined && !values.wait) throw new UsageError('--timeout goes with --wait', 'pipeline');

  switch (subcommand) {
    case 'apply': {
      expectPositionals('pipeline', rest, []);
      if (values.file === undefined) throw new UsageError('missing required flag -f/--file', 'pipeline');
      const file = resolve(context.cwd, values.file);
      const name = values.name ?? basename(file, extname(file));
      const stored = await client.pipelines.put(name, await readPipelineFile(file), { signal });
      if (output.json) output.document(stored);
      else output.line(`Pipeline ${stored.name} is at version ${stored.version}: ${stored.document.stages.map((s) => s.name).join(' -> ')}.`);
      return EXIT.ok;
    }
    case 'list': {
      expectPositionals('pipeline', rest, []);
      const pipelines = await client.pipelines.list({ signal });
      if (output.json) output.document({ items: pipelines });
      else if (pipelines.length === 0) output.line('No pipelines.');
      else for (const line of pipelineRows(output.style, pipelines)) output.line(line);
      return EXIT.ok;
    }
    case 'run': {
      const [name = ''] = expectPositionals('pipeline', rest, ['NAME']);
      const run = await client.pipelines.run(name, runRequest(values), { signal });
      if (!values.wait) {
        if (output.json) output.document(run);
        else {
          for (const line of runLines(output.style, run)) output.line(line);
          output.line(`Follow it: promoter pipeline status ${name} ${run.id} --wait`);
        }
        return EXIT.ok;
      }
      output.note(`Run ${output.style.bold(run.id)} of ${name}: ${run.image}${run.state === 'queued' ? ` (${run.stateReason ?? 'queued'})` : ''}`);
      return follow(context, name, run, timeoutMs);
    }
    case 'status': {
      const [name = '', runId] = rest;
      if (rest.length === 0) throw new UsageError('missing NAME', 'pipeline');
      if (rest.length > 2) throw new UsageError(`unexpected argument '${rest[2] ?? ''}'`, 'pipeline');
      const run = runId !== undefined ? await client.pipelines.getRun(name, runId, { signal }) : await latestRun(context, name);
      if (values.wait) return follow(context, name, run, timeoutMs);
      if (output.json) output.document(run);
      else for (const line of runLines(output.style, run)) output.line(line);
      return run.state === 'succeeded' || !ENDED_RUN_STATES.includes(run.state) ? EXIT.ok : EXIT.failed;
    }
    case 'abort': {
      const [name = '', runId = ''] = expectPositionals('pipeline', rest, ['NAME', 'RUN_ID']);
      if (values.reason === undefined || values.reason.trim() === '') throw new UsageError('missing required flag --reason (why, for the audit trail)', 'pipeline');
      const run = await client.pipelines.abortRun(name, runId, values.reason, { signal });
      if (output.json) output.document(run);
      else output.line(`Asked run ${run.id} of ${name} to stop; its running stage's promotion is aborted.`);
      return EXIT.ok;
    }
    case undefined:
      throw new UsageError(`missing subcommand: one of ${SUBCOMMANDS.join(', ')}`, 'pipeline');
    default:
      throw new UsageError(`unknown subcommand '${subcommand}': one of ${SUBCOMMANDS.join(', ')}`, 'pipeline');
  }
});

function runRequest(values: { image?: string; 'from-namespace'?: string; from?: string; 'from-container'?: string; 'strip-suffix'?: string; reason?: string }): PipelineRunRequest {
  const fromCanary = values.from !== undefined || values['from-namespace'] !== undefined;
  if (fromCanary === (values.image !== undefined)) throw new UsageError('give exactly one of --image REF and --from-namespace NS --from CANARY_DEPLOYMENT', 'pipeline');
  if (!fromCanary && (values['from-container'] !== undefined || values['strip-suffix'] !== undefined)) throw new UsageError('--from-container and --strip-suffix go with --from', 'pipeline');
  if (fromCanary && (values.from === undefined || values['from-namespace'] === undefined)) throw new UsageError('--from goes with --from-namespace (the canary\'s namespace)', 'pipeline');
  const reason = values.reason !== undefined ? { reason: values.reason } : {};
  if (values.image !== undefined) return { image: values.image, ...reason };
  return {
    source: {
      namespace: values['from-namespace'] ?? '',
      deployment: values.from ?? '',
      ...(values['from-container'] !== undefined ? { container: values['from-container'] } : {}),
      ...(values['strip-suffix'] !== undefined ? { tagSuffixToStrip: values['strip-suffix'] } : {}),
    },
    ...reason,
  };
}

async function latestRun(context: CommandContext, name: string): Promise<PipelineRun> {
  const [latest] = await context.client.pipelines.runs(name, { limit: 1 }, { signal: context.signal });
  if (!latest) throw new UsageError(`pipeline ${name} has no runs yet`, 'pipeline');
  return context.client.pipelines.getRun(name, latest.id, { signal: context.signal });
}

/** Prints each stage's changes until the run ends; exit 0 only when every stage succeeded. */
async function follow(context: CommandContext, name: string, first: PipelineRun, timeoutMs: number | undefined): Promise<number> {
  const { client, output } = context;
  const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
  const seen = new Map<string, string>();
  const soakShown = new Set<string>();
  const print = (line: string) => {
    if (!output.json) output.line(`${output.style.dim(new Date().toISOString().slice(11, 19))} ${line}`);
  };
  let run = first;
  for (;;) {
    for (const stage of run.stages) {
      const line = stageLine(output.style, stage);
      if (seen.get(stage.name) === line) continue;
      seen.set(stage.name, line);
      if (stage.state === 'soaking') soakShown.add(stage.name);
      const soaked = soakShown.has(stage.name) ? undefined : soakedLine(output.style, stage);
      if (soaked !== undefined) {
        soakShown.add(stage.name);
        print(soaked);
      }
      print(line);
    }
    if (ENDED_RUN_STATES.includes(run.state)) break;
    if (deadline !== undefined && Date.now() >= deadline) {
      output.error(`stopped waiting after ${values(timeoutMs)}: run ${run.id} is still ${run.state} (promoter pipeline status ${name} ${run.id} --wait)`);
      return EXIT.failed;
    }
    await sleep(WAIT_POLL_MS, context.signal);
    run = await client.pipelines.getRun(name, run.id, { signal: context.signal });
  }
  if (output.json) output.document(run);
  else {
    output.line('');
    const mark = run.state === 'succeeded' ? output.style.green('✓') : output.style.red('✗');
    output.line(`${mark} run ${run.id} of ${name} ${run.state}${run.stateReason ? `: ${run.stateReason}` : ''}`);
  }
  return run.state === 'succeeded' ? EXIT.ok : EXIT.failed;
}

function values(ms: number | undefined): string {
  return ms === undefined ? '' : `${Math.round(ms / 1000)} s`;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolveSleep, reject) => {
    const stopped = () => new PromoterAbortError('stopped waiting for the pipeline run');
    if (signal?.aborted) return reject(stopped());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolveSleep();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(stopped());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

async function readPipelineFile(file: string): Promise<Pipeline> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, 'pipeline');
  }
  try {
    return parseYaml(text, { maxAliasCount: 50 }) as Pipeline;
  } catch (error) {
    throw new UsageError(`${file} is not YAML or JSON: ${error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error)}`, 'pipeline');
  }
}
