/**
 * What the pipeline pages derive from a pipeline and its runs: the colour of a run's or a stage's state,
 * the stages as one line, a soak's time remaining, and whether a feed event concerns a run (so the page
 * re-reads it). Pure, so the pages only render.
 */
import type { FeedEvent } from './event-feed.js';
import type { PipelineRun, PipelineStageRun, PipelineVersion } from '@promoter/sdk';
import type { Tone } from './tone.js';

export type RunState = PipelineRun['state'];
export type StageState = PipelineStageRun['state'];

const RUN_TONE: Record<RunState, Tone> = { queued: 'neutral', running: 'active', succeeded: 'good', failed: 'bad', aborted: 'neutral', superseded: 'neutral' };
const STAGE_TONE: Record<StageState, Tone> = { waiting: 'waiting', soaking: 'active', running: 'active', succeeded: 'good', failed: 'bad', skipped: 'neutral', aborted: 'neutral' };

export function runTone(state: RunState): Tone {
  return RUN_TONE[state];
}

export function stageTone(state: StageState): Tone {
  return STAGE_TONE[state];
}

/** A run the runner still works on (queued or running): the page keeps re-reading it. */
export function runUnderWay(run: Pick<PipelineRun, 'state'>): boolean {
  return run.state === 'queued' || run.state === 'running';
}

/** `staging → iad → fra`, in the document's order. */
export function stagesLine(version: Pick<PipelineVersion, 'document'>): string {
  return version.document.stages.map((stage) => stage.name).join(' → ');
}

/** Milliseconds until a soaking stage starts (0 once due), or undefined when it is not soaking. */
export function soakRemainingMs(stage: PipelineStageRun, now: number): number | undefined {
  if (stage.state !== 'soaking' || !stage.startsAt) return undefined;
  return Math.max(0, Date.parse(stage.startsAt) - now);
}

/**
 * Whether a feed event may change the run: an event of one of its stages' promotions, or of a promotion
 * into one of its stages' Deployments (a stage that has just started: the run does not name it yet).
 */
export function eventConcernsRun(event: FeedEvent, run: Pick<PipelineRun, 'stages'>, version: Pick<PipelineVersion, 'document'>): boolean {
  const { promotion } = event;
  if (run.stages.some((stage) => stage.promotionId === promotion.id)) return true;
  return version.document.stages.some(
    (stage) => stage.target.namespace === promotion.target.namespace && stage.target.deployment === promotion.target.deployment,
  );
}
