/**
 * One look at a pipeline run: given its stages as recorded and where each stage's promotion stands, what
 * changes. Pure: the runner (engine/pipeline-runner.ts) loads, calls `planRun`, starts the promotions it
 * names, and writes the result under its lease.
 *
 * A stage is `waiting` for its upstream stages, `soaking` until every upstream stage has held for `soak`
 * after its success, `running` while its promotion runs, then `succeeded` or `failed`; `skipped` when an
 * earlier failure (or an abort) means it never starts. The run fails at the first failed stage and says
 * which and why.
 */
import type { ResolvedStage } from './model.js';

export const PIPELINE_RUN_STATES = ['queued', 'running', 'succeeded', 'failed', 'aborted', 'superseded'] as const;
export type PipelineRunState = (typeof PIPELINE_RUN_STATES)[number];
export const ACTIVE_RUN_STATES: readonly PipelineRunState[] = ['queued', 'running'];

export const STAGE_STATES = ['waiting', 'soaking', 'running', 'succeeded', 'failed', 'skipped', 'aborted'] as const;
export type StageState = (typeof STAGE_STATES)[number];

export interface StageRecord {
  readonly name: string;
  readonly state: StageState;
  readonly promotionId?: string;
  /** When a soaking stage may start (ISO 8601). */
  readonly startsAt?: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
  /** Why it failed or was skipped, in a sentence. */
  readonly reason?: string;
}

/** Where a stage's promotion stands, as the runner read it. */
export interface PromotionStanding {
  readonly state: string;
  readonly stateReason: string | null;
  /** When it reached its current state (ISO 8601). */
  readonly since: string;
}

export interface RunPlan {
  readonly stages: readonly StageRecord[];
  /** Stages whose promotion the runner must start now. */
  readonly start: readonly string[];
  /** Set when the run ends with this look. */
  readonly ended?: { readonly state: 'succeeded' | 'failed'; readonly reason: string };
  /** One line per change, for the run's event log. */
  readonly events: readonly { readonly stage: string | null; readonly message: string }[];
  /** When to look again (ms from now); undefined: only when something starts or ends. */
  readonly nextLookInMs: number | undefined;
}

const PROMOTION_TERMINAL = new Set(['succeeded', 'rejected', 'rolled_back', 'aborted', 'failed']);

/**
 * @param pollMs how often a run with a running stage is looked at again
 */
export function planRun(
  stages: readonly ResolvedStage[],
  records: readonly StageRecord[],
  promotions: ReadonlyMap<string, PromotionStanding>,
  now: number,
  pollMs: number,
): RunPlan {
  const byName = new Map(records.map((record) => [record.name, record]));
  const events: { stage: string | null; message: string }[] = [];
  const at = new Date(now).toISOString();

  // 1. Running stages whose promotion ended; succeeded stages whose promotion was rolled back since.
  for (const stage of stages) {
    const record = byName.get(stage.name);
    if (!record?.promotionId) continue;
    const promotion = promotions.get(record.promotionId);
    if (!promotion) continue;
    if (record.state === 'running' && PROMOTION_TERMINAL.has(promotion.state)) {
      if (promotion.state === 'succeeded') {
        byName.set(stage.name, { ...record, state: 'succeeded', endedAt: promotion.since });
        events.push({ stage: stage.name, message: `stage '${stage.name}' succeeded (promotion ${record.promotionId})` });
      } else {
        const reason = `its promotion ${record.promotionId} ended ${promotion.state}${promotion.stateReason ? `: ${promotion.stateReason}` : ''}`;
        byName.set(stage.name, { ...record, state: 'failed', endedAt: promotion.since, reason });
        events.push({ stage: stage.name, message: `stage '${stage.name}' failed: ${reason}` });
      }
    } else if (record.state === 'succeeded' && promotion.state !== 'succeeded') {
      const reason = `its promotion ${record.promotionId} was ${promotion.state === 'rolling_back' ? 'being rolled back' : promotion.state} after it succeeded`;
      byName.set(stage.name, { ...record, state: 'failed', reason });
      events.push({ stage: stage.name, message: `stage '${stage.name}' did not hold: ${reason}` });
    }
  }

  // 2. A failed stage ends the run: what has not started never will.
  const failed = stages.map((stage) => byName.get(stage.name)).find((record) => record?.state === 'failed');
  if (failed) {
    for (const stage of stages) {
      const record = byName.get(stage.name);
      if (record && (record.state === 'waiting' || record.state === 'soaking')) {
        byName.set(stage.name, { name: stage.name, state: 'skipped', reason: `not started: stage '${failed.name}' failed` });
      }
    }
    const still = stages.filter((stage) => byName.get(stage.name)?.state === 'running').map((stage) => stage.name);
    const reason = `stage '${failed.name}' failed: ${failed.reason ?? 'no reason recorded'}${still.length > 0 ? ` (still running: ${still.join(', ')})` : ''}`;
    return { stages: ordered(stages, byName), start: [], ended: { state: 'failed', reason }, events, nextLookInMs: undefined };
  }

  // 3. Stages whose upstream stages all succeeded: soak, then start.
  const start: string[] = [];
  let nextLookInMs: number | undefined;
  const lookIn = (ms: number) => {
    nextLookInMs = nextLookInMs === undefined ? ms : Math.min(nextLookInMs, ms);
  };
  for (const stage of stages) {
    const record = byName.get(stage.name) ?? { name: stage.name, state: 'waiting' as const };
    if (record.state !== 'waiting' && record.state !== 'soaking') continue;
    const upstream = stage.after.map((name) => byName.get(name));
    if (!upstream.every((u) => u?.state === 'succeeded')) continue;
    const heldSince = Math.max(0, ...upstream.map((u) => Date.parse(u?.endedAt ?? at)));
    const startsAt = heldSince + stage.soakMs;
    if (startsAt <= now) {
      start.push(stage.name);
      continue;
    }
    if (record.state !== 'soaking') {
      events.push({ stage: stage.name, message: `stage '${stage.name}' soaks until ${new Date(startsAt).toISOString()} (${stage.after.join(', ')} must hold)` });
    }
    byName.set(stage.name, { name: stage.name, state: 'soaking', startsAt: new Date(startsAt).toISOString() });
    lookIn(startsAt - now);
  }
  if (stages.some((stage) => byName.get(stage.name)?.state === 'running')) lookIn(pollMs);

  // 4. Every stage succeeded: the run did.
  if (start.length === 0 && stages.every((stage) => byName.get(stage.name)?.state === 'succeeded')) {
    return { stages: ordered(stages, byName), start, ended: { state: 'succeeded', reason: `all ${stages.length} stages succeeded` }, events, nextLookInMs: undefined };
  }
  return { stages: ordered(stages, byName), start, events, nextLookInMs };
}

/** The records in the pipeline's stage order, a missing one as waiting. */
function ordered(stages: readonly ResolvedStage[], byName: ReadonlyMap<string, StageRecord>): StageRecord[] {
  return stages.map((stage) => byName.get(stage.name) ?? { name: stage.name, state: 'waiting' });
}

/** The records of a new run: every stage waiting. */
export function initialStages(stages: readonly ResolvedStage[]): StageRecord[] {
  return stages.map((stage) => ({ name: stage.name, state: 'waiting' }));
}

/** An abort: a running stage is aborted (its promotion is asked to abort), the rest that have not ended are skipped. */
export function abortStages(records: readonly StageRecord[], reason: string): StageRecord[] {
  return records.map((record) => {
    if (record.state === 'running') return { ...record, state: 'aborted', reason };
    if (record.state === 'waiting' || record.state === 'soaking') return { name: record.name, state: 'skipped', reason: `not started: ${reason}` };
    return record;
  });
}
