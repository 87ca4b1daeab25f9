/**
 * Drives `PromotionSteps` in memory: an in-memory Kubernetes, a fake clock, Prometheus answers from a
 * table, and a store that applies each checked step the way PromotionStore's SQL does (state through the
 * state machine, progress merged, the handled action cleared). No database, no HTTP, no timers: a whole
 * promotion runs in milliseconds, so every state and crash point can be a table row.
 */
import { InMemoryKubernetes } from '../../services/promoter/src/adapters/kubernetes/in-memory-kubernetes.js';
import { WebhookClient } from '../../services/promoter/src/adapters/webhook/webhook-client.js';
import type { NumberedMeasurement } from '../../services/promoter/src/domain/judge/index.js';
import type { PolicyDocument } from '../../services/promoter/src/domain/policy/model.js';
import { isTerminal, type PromotionAction } from '../../services/promoter/src/domain/promotion-state-machine.js';
import type { Promotion } from '../../services/promoter/src/domain/promotion.js';
import { checkStep, type CheckedStep, type StepEvent, type StepOutcome } from '../../services/promoter/src/domain/step-outcome.js';
import { KubernetesDelivery } from '../../services/promoter/src/engine/kubernetes-delivery.js';
import { PromotionSteps } from '../../services/promoter/src/engine/promotion-steps.js';
import { CheckRunner } from '../../services/promoter/src/evaluation/check-runner.js';
import { CannedPrometheus } from '../fixtures/canned-prometheus.js';
import { FreezeGuard } from '../../services/promoter/src/engine/freeze-guard.js';
import type { Freeze } from '../../services/promoter/src/domain/freeze/freeze.js';

export { CannedPrometheus };

export const TARGET = { namespace: 'mcp', name: 'zai-proxy' };
export const CANARY = { namespace: 'mcp', name: 'zai-proxy-test' };
export const OLD = 'ronaldraygun/zai-proxy:1.2.0';
export const CANARY_IMAGE = 'ronaldraygun/zai-proxy:1.2.1-canary';
export const NEW = 'ronaldraygun/zai-proxy:1.2.1';

export interface Run {
  readonly promotion: Promotion;
  readonly states: string[];
  readonly events: StepEvent[];
  readonly measurements: NumberedMeasurement[];
  readonly refused: string[];
}

export interface WorldOptions {
  readonly policy: PolicyDocument;
  readonly dryRun?: boolean;
  /** `undefined` runs without Prometheus configured. */
  readonly prometheus?: CannedPrometheus | undefined;
  /** The webhook client of the checks (e.g. allowed to call a loopback receiver); default: allowed nothing. */
  readonly webhooks?: WebhookClient;
}

/** One promotion's world: cluster, clock, Prometheus, steps and the stored promotion. */
export class World {
  readonly kube = new InMemoryKubernetes();
  now = Date.parse('2026-11-28T12:00:00Z');
  promotion: Promotion;
  readonly states: string[] = ['pending'];
  readonly events: StepEvent[] = [];
  readonly measurements: NumberedMeasurement[] = [];
  readonly refused: string[] = [];
  /** The deployment freezes in force; a test changes them between steps. */
  freezes: Freeze[] = [];
  readonly steps: PromotionSteps;
  /** Before each step; a test changes the world here (e.g. advances the rollout). */
  beforeStep: (world: World, stepIndex: number) => void = () => {};
  stepsRun = 0;

  constructor(options: WorldOptions) {
    this.kube.addDeployment(TARGET, [{ name: 'proxy', image: OLD }]);
    this.kube.addDeployment(CANARY, [{ name: 'proxy', image: CANARY_IMAGE }], 1);
    const webhooks = options.webhooks ?? new WebhookClient({ baseDelayMs: 0 });
    const clock = () => new Date(this.now);
    const runner = new CheckRunner({ prometheus: options.prometheus, webhooks, clock });
    const patch = new KubernetesDelivery(this.kube);
    const freezes = new FreezeGuard(async () => this.freezes);
    this.steps = new PromotionSteps({ kube: this.kube, deliveryFor: () => patch, runner, prometheus: options.prometheus, clock, rolloutPollMs: 1_000, freezes });
    this.promotion = {
      id: '00000000-0000-4000-8000-000000000001',
      target: { cluster: 'default', namespace: TARGET.namespace, deployment: TARGET.name, container: 'proxy' },
      source: { deployment: CANARY.name, tagSuffixToStrip: '-canary' },
      image: null,
      resolvedImage: null,
      previousImage: null,
      policy: { name: 'zai-proxy-default', version: 1, snapshot: options.policy },
      dryRun: options.dryRun ?? false,
      reason: 'promote 1.2.1',
      state: 'pending',
      stateReason: null,
      verdict: null,
      actor: 'test',
      requestedAction: null,
      delivery: { via: 'kubernetes' },
      release: null,
      progress: {},
      hold: null,
      freezeOverride: null,
      pipeline: null,
      createdAt: new Date(this.now),
    };
  }

  request(action: PromotionAction): void {
    this.promotion = { ...this.promotion, requestedAction: action };
  }

  /** Runs one step and stores its outcome (unless `crash`, which loses it as a crash before the write would). */
  async step(options: { crash?: boolean } = {}): Promise<StepOutcome> {
    this.beforeStep(this, this.stepsRun);
    this.stepsRun++;
    const outcome = await this.steps.step(this.promotion);
    if (!options.crash) this.#store(checkStep(this.promotion.state, outcome));
    this.now += Math.max(outcome.nextRunInMs, 1);
    return outcome;
  }

  /** Steps until a terminal state (or `until`), at most `limit` steps; `crashAt` loses those steps' outcomes. */
  async run(options: { until?: (p: Promotion) => boolean; limit?: number; crashAt?: ReadonlySet<number> } = {}): Promise<Promotion> {
    const limit = options.limit ?? 500;
    for (let i = 0; i < limit; i++) {
      if (isTerminal(this.promotion.state) && this.promotion.requestedAction === null) return this.promotion;
      if (options.until?.(this.promotion)) return this.promotion;
      await this.step({ crash: options.crashAt?.has(this.stepsRun) ?? false });
    }
    throw new Error(`no terminal state after ${limit} steps: ${this.states.join(' -> ')} (${this.promotion.stateReason})`);
  }

  #store(step: CheckedStep): void {
    const p = this.promotion;
    const progress: Record<string, unknown> = { ...p.progress };
    for (const [k, v] of Object.entries(step.progress ?? {})) {
      if (v === undefined) delete progress[k];
      else progress[k] = v;
    }
    const change = step.transition;
    if (change?.refused) this.refused.push(`${change.from} -> ${change.refused}`);
    this.events.push(...(step.events ?? []));
    this.measurements.push(...(step.measurements ?? []));
    this.promotion = {
      ...p,
      ...(step.record?.resolvedImage ? { resolvedImage: step.record.resolvedImage } : {}),
      ...(step.record?.previousImage ? { previousImage: step.record.previousImage } : {}),
      ...(step.record?.verdict ? { verdict: step.record.verdict } : {}),
      ...(step.record?.hold !== undefined ? { hold: step.record.hold } : {}),
      ...(change && change.to !== change.from ? { state: change.to, stateReason: change.reason } : {}),
      progress,
      requestedAction: step.handledAction && step.handledAction === p.requestedAction ? null : p.requestedAction,
    };
    if (change && change.to !== change.from) this.states.push(change.to);
  }
}

/** A policy in the runbook's words, with the phases and kinds a test asks for. */
export function policy(overrides: Partial<PolicyDocument> = {}): PolicyDocument {
  return {
    interval: '30s',
    bake: '2m',
    rolloutTimeout: '5m',
    checks: [
      { name: 'canary-error-rate', phases: ['pre', 'rollout', 'post'], query: 'error_ratio{variant="{{variant}}"}', max: 0.05 },
    ],
    ...overrides,
  } as PolicyDocument;
}
