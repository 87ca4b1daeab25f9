/**
 * POST /v1/evaluations: run a policy's checks for a phase now, as of a past time, or every interval over a
 * past window (backtesting a policy against an incident), store everything, patch nothing.
 */
import { randomUUID } from 'node:crypto';
import type { EvaluationRepository, EvaluationView } from '../adapters/db/evaluation-repository.js';
import type { PolicyRepository } from '../adapters/db/policy-repository.js';
import type { PrometheusQueries } from '../adapters/prometheus/query-result.js';
import { AppError, errors } from '../errors.js';
import { normalizePolicy, POLICY_DEFAULTS, type Check, type Phase, type PolicyDocument } from '../domain/policy/model.js';
import { checkVerdict, finalVerdict, phaseVerdict, type Measurement, type NumberedMeasurement } from '../domain/judge/index.js';
import type { PolicyDocuments } from '../policies/policy-documents.js';
import type { CheckRunner } from './check-runner.js';
import { groupErrors } from './error-groups.js';
import { checksFor, measureRound } from './evaluate-phase.js';
import { counted } from '../domain/counted.js';

export interface EvaluationRequest {
  target: { namespace: string; deployment: string; container: string };
  source?: { deployment: string; container?: string; tagSuffixToStrip?: string };
  image?: string;
  policy: string | PolicyDocument;
  phase?: Phase;
  time?: string;
  window?: { start: string; end: string };
}

/** What one evaluation may cost; beyond either a 422 names the limit (RELIABILITY.md, Security model). */
export const EVALUATION_LIMITS = {
  /** Rounds in a window (one per policy interval). */
  rounds: 500,
  /** Prometheus queries in all (rounds times each check's queries). */
  queries: 1_000,
  /** Webhook calls in all, retries included. */
  webhookCalls: 50,
} as const;

export interface EvaluateOptions {
  /** Aborted when the client goes away: no further round starts and nothing is stored. */
  readonly signal?: AbortSignal;
  /** Whether the caller may evaluate a stored policy with this owner (`null`: global). */
  readonly canUsePolicy?: (owner: string | null) => boolean;
}

export class EvaluationService {
  constructor(
    private readonly deps: {
      readonly evaluations: EvaluationRepository;
      readonly policies: PolicyRepository;
      readonly policyDocuments: PolicyDocuments;
      readonly runner: CheckRunner;
      readonly prometheus: PrometheusQueries | undefined;
      readonly clock?: () => Date;
    },
  ) {}

  async evaluate(request: EvaluationRequest, actor: string, options: EvaluateOptions = {}): Promise<EvaluationView> {
    const now = this.deps.clock?.() ?? new Date();
    const { document, name, version } = await this.#policy(request.policy, options.canUsePolicy);
    const policy = normalizePolicy(document);
    const phase = request.phase ?? 'pre';
    const times = roundTimes(request, policy.intervalMs, now);
    const checks = checksFor(policy, phase);
    checkCost(checks, times.length);
    const image = request.image ?? undefined;
    const target = {
      namespace: request.target.namespace,
      deployment: request.target.deployment,
      container: request.target.container,
      canaryDeployment: request.source?.deployment,
      canaryContainer: request.source?.container ?? (request.source ? request.target.container : undefined),
      image,
    };

    const byCheck = new Map<string, Measurement[]>(checks.map((check) => [check.name, []]));
    // A past time or window: each measurement is dated by the instant it is about, so a backtest charts
    // its intervals where they were, not at the moment they were computed.
    const past = request.window !== undefined || request.time !== undefined;
    // Pod-template labels are read once, as the Deployments are now (Kubernetes keeps no history of them),
    // also for a past time or window.
    const labels = this.deps.runner.labelLookup();
    for (const at of times) {
      if (options.signal?.aborted) throw clientGone();
      const round = await measureRound(this.deps.runner, this.deps.prometheus, policy, checks, { target, phase, at }, labels);
      for (const measurement of round) byCheck.get(measurement.check)?.push(past ? { ...measurement, measuredAt: at } : measurement);
    }
    const verdicts = checks.map((check) => {
      const measured = byCheck.get(check.name) ?? [];
      return checkVerdict(check, measured.map((m) => m.result), true, measured.at(-1));
    });
    const newestFirst = checks.flatMap((check) => [...(byCheck.get(check.name) ?? [])].reverse());
    const overall = phaseVerdict(verdicts, newestFirst);

    const rows: NumberedMeasurement[] = [];
    for (const check of checks) {
      (byCheck.get(check.name) ?? []).forEach((measurement, index) => rows.push({ sample: index + 1, measurement }));
    }
    return this.deps.evaluations.insert(
      {
        id: randomUUID(),
        target: request.target,
        policy: { name, version },
        phase,
        time: request.window ? null : (times[0] as Date).toISOString(),
        window: request.window ? { start: new Date(request.window.start).toISOString(), end: new Date(request.window.end).toISOString() } : null,
        verdict: finalVerdict(overall.outcome),
        reason: overall.reason,
        actor,
      },
      rows,
      (ids) => {
        let next = 0;
        return checks.map((check, index) => ({
          name: check.name,
          kind: check.kind,
          verdict: finalVerdict(verdicts[index]?.outcome ?? 'pending'),
          reason: verdicts[index]?.reason,
          measurements: (byCheck.get(check.name) ?? []).map((m, sample) => measurementView(m, sample + 1, ids[next++] ?? 0)),
          errors: groupErrors(byCheck.get(check.name) ?? []),
        }));
      },
    );
  }

  async #policy(
    policy: string | PolicyDocument,
    canUse: ((owner: string | null) => boolean) | undefined,
  ): Promise<{ document: PolicyDocument; name: string | null; version: number | null }> {
    if (typeof policy === 'string') {
      try {
        const stored = await this.deps.policies.get(policy);
        if (canUse && !canUse(stored.document.namespace ?? null)) throw errors.policyNotFound(policy);
        return { document: stored.document, name: stored.name, version: stored.version };
      } catch (error) {
        if (error instanceof AppError && error.code === 'policy-not-found') {
          throw errors.validation([{ pointer: '/body/policy', detail: `no policy is named '${policy}'` }]);
        }
        throw error;
      }
    }
    const document = this.deps.policyDocuments.check(policy, '/body/policy');
    return { document, name: document.name ?? null, version: null };
  }
}

function clientGone(): AppError {
  return new AppError({ code: 'client-closed-request', status: 499, title: 'Client closed the request', detail: 'The client went away; the evaluation stopped and nothing was stored.' });
}

/** Prometheus queries one measurement of a check makes (its baseline doubles it), and webhook calls. */
function checkCost(checks: readonly Check[], rounds: number): void {
  let queries = 0;
  let webhookCalls = 0;
  for (const check of checks) {
    if (check.kind === 'webhook') webhookCalls += rounds * ((check.document.webhook?.retries ?? POLICY_DEFAULTS.webhookRetries) + 1);
    else queries += rounds * (check.kind === 'baseline' || check.kind === 'statistical' ? 2 : 1);
  }
  if (queries > EVALUATION_LIMITS.queries) {
    throw errors.validation([
      { pointer: '/body', detail: `this evaluation would run ${counted(queries, 'Prometheus query', 'Prometheus queries')} (${counted(rounds, 'round')} of ${counted(checks.length, 'check')}); the limit is ${EVALUATION_LIMITS.queries} per evaluation` },
    ]);
  }
  if (webhookCalls > EVALUATION_LIMITS.webhookCalls) {
    throw errors.validation([
      { pointer: '/body', detail: `this evaluation could make ${webhookCalls} webhook calls (${rounds} rounds, retries included); the limit is ${EVALUATION_LIMITS.webhookCalls} per evaluation` },
    ]);
  }
}

/** A time the service can compute with: `date-time` admits leap seconds (23:59:60), which Date cannot hold. */
function instant(value: string, pointer: string): number {
  const ms = new Date(value).getTime();
  if (Number.isNaN(ms)) throw errors.validation([{ pointer, detail: `'${value}' is not a time this service can use (leap seconds are not supported)` }]);
  return ms;
}

function roundTimes(request: EvaluationRequest, intervalMs: number, now: Date): Date[] {
  if (request.window) {
    if (request.time !== undefined) {
      throw errors.validation([{ pointer: '/body/time', detail: 'give either time or window, not both' }]);
    }
    const start = instant(request.window.start, '/body/window/start');
    const end = instant(request.window.end, '/body/window/end');
    if (!(start < end)) throw errors.validation([{ pointer: '/body/window/end', detail: 'must be after start' }]);
    if (end > now.getTime()) throw errors.validation([{ pointer: '/body/window/end', detail: 'must not be in the future' }]);
    const rounds = Math.floor((end - start) / intervalMs) + 1;
    if (rounds > EVALUATION_LIMITS.rounds) {
      throw errors.validation([{ pointer: '/body/window', detail: `the window holds ${rounds} rounds at the policy's interval; the limit is ${EVALUATION_LIMITS.rounds} rounds per evaluation` }]);
    }
    return Array.from({ length: rounds }, (_, i) => new Date(start + i * intervalMs));
  }
  if (request.time !== undefined) {
    const time = new Date(instant(request.time, '/body/time'));
    if (time.getTime() > now.getTime()) throw errors.validation([{ pointer: '/body/time', detail: 'must not be in the future' }]);
    return [time];
  }
  return [now];
}

function measurementView(m: Measurement, sample: number, id: number) {
  return {
    id,
    check: m.check,
    phase: m.phase,
    sample,
    result: m.result,
    value: m.value !== null && Number.isFinite(m.value) ? m.value : null,
    baselineValue: m.baselineValue !== null && Number.isFinite(m.baselineValue) ? m.baselineValue : null,
    bound: m.bound,
    query: m.query,
    baselineQuery: m.baselineQuery,
    warnings: [...m.warnings],
    message: m.message,
    data: m.data ?? null,
    measuredAt: m.measuredAt.toISOString(),
  };
}


