/** How pipelines and their runs read in a terminal. */
import type { PipelineRun, PipelineStageRun, PipelineVersion } from '@promoter/sdk';
import { actorText, stateStyle, table } from './format.js';
import type { Styles } from './output.js';

export function pipelineRows(styles: Styles, pipelines: readonly PipelineVersion[]): string[] {
  return table([
    ['NAME', 'VERSION', 'STAGES', 'NAMESPACES', 'CREATED'].map((title) => styles.bold(title)),
    ...pipelines.map((p) => [p.name, String(p.version), p.document.stages.map((s) => s.name).join(' -> '), p.namespaces.join(','), `${p.createdAt} by ${actorText(p.createdBy, p.createdByIdentity)}`]),
  ]);
}

/** One line for a stage: its name, where it stands, and what it waits for or why it ended so. */
export function stageLine(styles: Styles, stage: PipelineStageRun): string {
  const name = stage.name.padEnd(14);
  switch (stage.state) {
    case 'soaking':
      return `${name} ${styles.dim('soaking')} until ${stage.startsAt ?? '?'}`;
    case 'running':
      return `${name} ${stateStyle(styles, stage.promotionState ?? 'running')}  promotion ${stage.promotionId ?? '?'}`;
    case 'succeeded':
      return `${name} ${stateStyle(styles, 'succeeded')}  promotion ${stage.promotionId ?? '?'}`;
    case 'failed':
      return `${name} ${stateStyle(styles, 'failed')}  ${stage.reason ?? ''}`;
    case 'skipped':
    case 'aborted':
      return `${name} ${styles.dim(stage.state)}  ${stage.reason ?? ''}`;
    default:
      return `${name} ${styles.dim(stage.state)}`;
  }
}

/**
 * The soak of a stage that has moved past it, for a follower whose reads (once a second) all fell outside a
 * short soak: it still says the stage waited for its upstream to hold, and until when.
 */
export function soakedLine(styles: Styles, stage: PipelineStageRun): string | undefined {
  if (stage.startsAt === undefined || stage.startsAt === null || stage.state === 'soaking' || stage.state === 'waiting') return undefined;
  return `${stage.name.padEnd(14)} ${styles.dim('soaked')} until ${stage.startsAt}`;
}

export function runLines(styles: Styles, run: PipelineRun): string[] {
  return [
    `${styles.bold('Run')} ${run.id} of ${run.pipeline} v${run.pipelineVersion}: ${stateStyle(styles, run.state)}${run.stateReason ? ` (${run.stateReason})` : ''}`,
    `  image   ${run.image}`,
    `  by      ${actorText(run.createdBy, run.createdByIdentity)} at ${run.createdAt}${run.reason ? `: ${run.reason}` : ''}`,
    ...run.stages.map((stage) => `  ${stageLine(styles, stage)}`),
  ];
}
