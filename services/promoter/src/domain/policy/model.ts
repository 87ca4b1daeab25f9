/**
 * The policy document (README.md "Policies", OpenAPI `Policy`) and its normalized form with every default
 * filled in, which is what the engine and evaluator use. Pure, no I/O.
 */
import type { ReleaseSettings } from '../delivery.js';
import { durationMs } from '../duration.js';
import { approvalRule, type ApprovalDocument, type ApprovalRule } from '../approval.js';

export const PHASES = ['pre', 'rollout', 'post'] as const;
export type Phase = (typeof PHASES)[number];
export type NoDataPolicy = 'fail' | 'inconclusive' | 'pass';
export type Reduction = 'none' | 'sum' | 'avg' | 'min' | 'max';
export type CheckKind = 'threshold' | 'baseline' | 'alerts' | 'statistical' | 'webhook';
export type Amount = number | `${number}%`;

/** A check as written in a policy document. */
export interface CheckDocument {
  name: string;
  phases?: Phase[];
  query?: string;
  reduce?: Reduction;
  min?: number;
  max?: number;
  exclusiveMin?: boolean;
  exclusiveMax?: boolean;
  baseline?: { query?: string; offset?: string; [variable: string]: string | undefined };
  maxIncrease?: Amount | string;
  maxDecrease?: Amount | string;
  alerts?: Record<string, string>;
  statistical?: {
    window?: string;
    step?: string;
    confidence?: number;
    minEffectSize?: number;
    direction?: 'increase' | 'decrease' | 'either';
  };
  webhook?: { url: string; headers?: Record<string, string>; timeout?: string; retries?: number };
  samples?: number;
  failureLimit?: number;
  consecutiveErrorLimit?: number;
  onNoData?: NoDataPolicy;
  timeout?: string;
}

/** A policy as written (YAML or JSON). */
export interface PolicyDocument {
  name?: string;
  /** The namespace that owns the policy: only its admins change it, only its promotions use it. Absent: global. */
  namespace?: string;
  description?: string;
  interval?: string;
  bake?: string;
  rolloutTimeout?: string;
  /** How long a pull request of a promotion under this policy waits for its merge; overrides the repository's. */
  mergeTimeout?: string;
  onNoData?: NoDataPolicy;
  /** `required` (one approval), or `{ required: N, from: { groups, roles } }` (domain/approval.ts). */
  approval?: ApprovalDocument;
  vars?: Record<string, string>;
  /** Block the image a failed check rolled back (in the promotion's namespace). */
  blockOnRollback?: boolean;
  afterSuccess?: { scaleCanaryTo?: number; release?: ReleaseSettings };
  checks: CheckDocument[];
}

export const POLICY_DEFAULTS = {
  interval: '30s',
  bake: '5m',
  rolloutTimeout: '10m',
  onNoData: 'fail',
  approval: 'none',
  samples: 1,
  failureLimit: 0,
  consecutiveErrorLimit: 2,
  timeout: '10s',
  statisticalWindow: '10m',
  statisticalStep: '30s',
  statisticalConfidence: 0.95,
  statisticalMinEffectSize: 0,
  webhookTimeout: '30s',
  webhookRetries: 2,
} as const;

export function checkKind(check: CheckDocument): CheckKind {
  if (check.webhook) return 'webhook';
  if (check.alerts) return 'alerts';
  if (check.statistical) return 'statistical';
  if (check.baseline) return 'baseline';
  return 'threshold';
}

/** A check with its defaults applied and durations in milliseconds. */
export interface Check {
  readonly name: string;
  readonly kind: CheckKind;
  readonly phases: readonly Phase[];
  readonly samples: number;
  readonly failureLimit: number;
  readonly consecutiveErrorLimit: number;
  readonly onNoData: NoDataPolicy;
  readonly timeoutMs: number;
  readonly document: CheckDocument;
}

export interface Policy {
  readonly name: string | undefined;
  readonly intervalMs: number;
  readonly bakeMs: number;
  readonly rolloutTimeoutMs: number;
  /** The policy's `mergeTimeout`; undefined: the repository's own (repositories file) applies. */
  readonly mergeTimeoutMs: number | undefined;
  readonly onNoData: NoDataPolicy;
  readonly approvalRequired: boolean;
  /** What the manual gate needs; undefined when there is none. */
  readonly approval: ApprovalRule | undefined;
  readonly vars: Readonly<Record<string, string>>;
  readonly scaleCanaryTo: number | undefined;
  /** Write the version and tag the release after a success (the runbook's Steps 5 and 6). */
  readonly release: ReleaseSettings | undefined;
  /** Whether a rollback caused by a failed check blocks the image (blocked-images). */
  readonly blockOnRollback: boolean;
  readonly checks: readonly Check[];
  readonly document: PolicyDocument;
}

/** Fills in defaults. Expects a document that passed `validatePolicy`. */
export function normalizePolicy(document: PolicyDocument): Policy {
  const onNoData = document.onNoData ?? POLICY_DEFAULTS.onNoData;
  return {
    name: document.name,
    intervalMs: durationMs(document.interval ?? POLICY_DEFAULTS.interval),
    bakeMs: durationMs(document.bake ?? POLICY_DEFAULTS.bake),
    rolloutTimeoutMs: durationMs(document.rolloutTimeout ?? POLICY_DEFAULTS.rolloutTimeout),
    mergeTimeoutMs: document.mergeTimeout === undefined ? undefined : durationMs(document.mergeTimeout),
    onNoData,
    approvalRequired: approvalRule(document.approval) !== undefined,
    approval: approvalRule(document.approval),
    vars: document.vars ?? {},
    scaleCanaryTo: document.afterSuccess?.scaleCanaryTo,
    release: document.afterSuccess?.release,
    blockOnRollback: document.blockOnRollback === true,
    document,
    checks: document.checks.map((check) => ({
      name: check.name,
      kind: checkKind(check),
      // Without phases a check guards every phase: the runbook checks before, during and after.
      phases: check.phases ?? PHASES,
      samples: check.samples ?? POLICY_DEFAULTS.samples,
      failureLimit: check.failureLimit ?? POLICY_DEFAULTS.failureLimit,
      consecutiveErrorLimit: check.consecutiveErrorLimit ?? POLICY_DEFAULTS.consecutiveErrorLimit,
      onNoData: check.onNoData ?? onNoData,
      timeoutMs: durationMs(check.timeout ?? POLICY_DEFAULTS.timeout),
      document: check,
    })),
  };
}

/** Parses `"10%"` or `0.02` into a relative or absolute allowance. */
export function parseAmount(amount: Amount | string): { relative: boolean; value: number } {
  if (typeof amount === 'number') return { relative: false, value: amount };
  return { relative: true, value: Number(amount.slice(0, -1)) / 100 };
}
