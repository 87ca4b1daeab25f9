/**
 * Pipelines: one release moving through environments in order (issue 24). A pipeline is a list of stages;
 * each stage is an ordinary promotion of the run's image into its own target, with its own delivery and
 * policy, started when the stages it comes `after` have succeeded and held for `soak`. The document is
 * checked here (pure); its shape is also checked by the contract before it gets here.
 */
import type { FieldError } from '../../errors.js';
import { parseDuration } from '../duration.js';

export interface PipelineStageTarget {
  /** The cluster the target lives in (the service's clusters); absent: the default cluster. */
  readonly cluster?: string;
  readonly namespace: string;
  readonly deployment: string;
  readonly container: string;
}

export type PipelineStageDelivery =
  | { readonly via: 'kubernetes' }
  | {
      readonly via: 'git';
      readonly repository: string;
      readonly file: string;
      readonly locator?: Readonly<Record<string, unknown>>;
      readonly argocd?: { readonly application: string; readonly namespace?: string };
    };

export interface PipelineStage {
  readonly name: string;
  readonly target: PipelineStageTarget;
  readonly policy: string;
  readonly delivery?: PipelineStageDelivery;
  /** The stages that must have succeeded first. Absent: the stage before it in the list (none for the first). */
  readonly after?: readonly string[];
  /** How long every upstream stage must have held after its success before this one starts (e.g. 30m). */
  readonly soak?: string;
  /** `required`: this stage's promotion waits for a person's approval before its patch. */
  readonly approval?: 'none' | 'required';
}

export interface PipelineDocument {
  readonly description?: string;
  readonly stages: readonly PipelineStage[];
}

/** A stage with its defaults filled in: the shape the planner works on. */
export interface ResolvedStage {
  readonly name: string;
  readonly after: readonly string[];
  readonly soakMs: number;
  readonly approval: boolean;
}

/** A stage's promotion's link to the run that started it. */
export interface PipelineLink {
  readonly pipeline: string;
  readonly runId: string;
  readonly stage: string;
}

export const MAX_STAGES = 20;
export const MAX_SOAK_MS = 30 * 86_400_000;

/** The stages with `after` and `soak` resolved, in the document's order. */
export function resolveStages(document: PipelineDocument): ResolvedStage[] {
  return document.stages.map((stage, index) => ({
    name: stage.name,
    after: stage.after ?? (index === 0 ? [] : [document.stages[index - 1]?.name ?? '']),
    soakMs: stage.soak === undefined ? 0 : (parseDuration(stage.soak) ?? 0),
    approval: stage.approval === 'required',
  }));
}

/**
 * What the contract's schema cannot say: unique stage names and targets, `after` naming stages of this
 * pipeline without a cycle, soak durations. Field errors point into the request body (`/body/stages/1/after/0`).
 */
export function checkPipelineDocument(document: PipelineDocument, at = '/body'): FieldError[] {
  const problems: FieldError[] = [];
  const names = new Map<string, number>();
  const targets = new Map<string, string>();
  if (document.stages.length === 0) problems.push({ pointer: `${at}/stages`, detail: 'a pipeline needs at least one stage' });
  if (document.stages.length > MAX_STAGES) problems.push({ pointer: `${at}/stages`, detail: `a pipeline has at most ${MAX_STAGES} stages, got ${document.stages.length}` });
  document.stages.forEach((stage, index) => {
    const where = `${at}/stages/${index}`;
    const earlier = names.get(stage.name);
    if (earlier !== undefined) problems.push({ pointer: `${where}/name`, detail: `stage '${stage.name}' is already stage ${earlier + 1}` });
    else names.set(stage.name, index);
    const target = `${stage.target.cluster ?? ''}/${stage.target.namespace}/${stage.target.deployment}`;
    const sharing = targets.get(target);
    if (sharing !== undefined) problems.push({ pointer: `${where}/target`, detail: `stage '${sharing}' already promotes this Deployment; two stages of one run would wait for each other` });
    else targets.set(target, stage.name);
    if (stage.soak !== undefined) {
      const soakMs = parseDuration(stage.soak);
      if (soakMs === undefined || soakMs > MAX_SOAK_MS) problems.push({ pointer: `${where}/soak`, detail: `must be a duration up to 30d like 30m or 2h, got '${stage.soak}'` });
    }
  });
  document.stages.forEach((stage, index) => {
    (stage.after ?? []).forEach((upstream, position) => {
      if (upstream === stage.name) problems.push({ pointer: `${at}/stages/${index}/after/${position}`, detail: 'a stage cannot come after itself' });
      else if (!names.has(upstream)) problems.push({ pointer: `${at}/stages/${index}/after/${position}`, detail: `no stage is named '${upstream}'` });
    });
    const upstreams = stage.after ?? (index === 0 ? [] : ['the stage before']);
    if (stage.soak !== undefined && upstreams.length === 0) {
      problems.push({ pointer: `${at}/stages/${index}/soak`, detail: 'a stage that comes after no other stage has nothing to soak' });
    }
  });
  if (problems.length === 0) {
    const cycle = findCycle(resolveStages(document));
    if (cycle) problems.push({ pointer: `${at}/stages`, detail: `the stages wait for each other in a circle: ${cycle.join(' -> ')}` });
  }
  return problems;
}

/** A cycle of `after` references, as the names around it (first repeated at the end), or undefined. */
function findCycle(stages: readonly ResolvedStage[]): string[] | undefined {
  const byName = new Map(stages.map((stage) => [stage.name, stage]));
  const done = new Set<string>();
  const visit = (name: string, path: string[]): string[] | undefined => {
    if (path.includes(name)) return [...path.slice(path.indexOf(name)), name];
    if (done.has(name)) return undefined;
    for (const upstream of byName.get(name)?.after ?? []) {
      const found = visit(upstream, [...path, name]);
      if (found) return found;
    }
    done.add(name);
    return undefined;
  };
  for (const stage of stages) {
    const found = visit(stage.name, []);
    if (found) return found;
  }
  return undefined;
}
