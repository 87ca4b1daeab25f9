/**
 * POST /v1/evaluations: run a policy's checks for a phase now, as of a past time, or every interval over a
 * past window (backtesting a policy against an incident), store everything, patch nothing.
 */
import { randomUUID } from 'node:crypto';
import type { EvaluationRepository, EvaluationView, MeasurementRow } from '../adapters/db/evaluation-repository.js';
import type { PolicyRepository } from '../adapters/db/policy-repository.js';
import type { PrometheusQueries } from '../adapters/prometheus/query-result.js';
import { AppError, errors } from '../errors.js';
import { normalizePolicy, type Phase, type PolicyDocument } from '../domain/policy/model.js';
import { checkVerdict, policyVerdict } from '../domain/policy/verdict.js';
import type { PolicyDocuments } from '../policies/policy-documents.js';
import { measurementRow, type CheckRunner, type Measurement } from './check-runner.js';
import { checksFor, measureRound } from './evaluate-phase.js';

export interface EvaluationRequest {
  target: { namespace: string; deployment: string; container: string };
  source?: { deployment: string; container?: string; tagSuffixToStrip?: string };
  image?: string;
  policy: string | PolicyDocument;
  phase?: Phase;
  time?: string;
  window?: { start: string; end: string };
}

const MAX_ROUNDS = 500;

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

  async evaluate(request: EvaluationRequest, actor: string): Promise<EvaluationView> {
    const now = this.deps.clock?.() ?? new Date();
    const { document, name, version } = await this.#policy(request.policy);
    const policy = normalizePolicy(document);
    const phase = request.phase ?? 'pre';
    const times = roundTimes(request, policy.intervalMs, now);
    const checks = checksFor(policy, phase);
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
    for (const at of times) {
      const round = await measureRound(this.deps.runner, this.deps.prometheus, policy, checks, { target, phase, at });
      for (const measurement of round) byCheck.get(measurement.check)?.push(past ? { ...measurement, measuredAt: at } : measurement);
    }
    const verdicts = checks.map((check) =>
      checkVerdict(
        check,
        (byCheck.get(check.name) ?? []).map((m) => m.result),
        true,
      ),
    );
    const overall = policyVerdict(verdicts);

    const rows: MeasurementRow[] = [];
    for (const check of checks) {
      (byCheck.get(check.name) ?? []).forEach((m, index) => rows.push(measurementRow(m, index + 1)));
    }
    return this.deps.evaluations.insert(
      {
        id: randomUUID(),
        target: request.target,
        policy: { name, version },
        phase,
        time: request.window ? null : (times[0] as Date).toISOString(),
        window: request.window ? { start: new Date(request.window.start).toISOString(), end: new Date(request.window.end).toISOString() } : null,
        verdict: overall.verdict === 'pending' ? 'inconclusive' : overall.verdict,
        reason: overall.reason,
        actor,
      },
      rows,
      (ids) => {
        let next = 0;
        return checks.map((check, index) => ({
          name: check.name,
          kind: check.kind,
          verdict: verdicts[index]?.verdict === 'pending' ? 'inconclusive' : verdicts[index]?.verdict,
          reason: verdicts[index]?.reason,
          measurements: (byCheck.get(check.name) ?? []).map((m, sample) => measurementView(m, sample + 1, ids[next++] ?? 0)),
        }));
      },
    );
  }

  async #policy(policy: string | PolicyDocument): Promise<{ document: PolicyDocument; name: string | null; version: number | null }> {
    if (typeof policy === 'string') {
      try {
        const stored = await this.deps.policies.get(policy);
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

function roundTimes(request: EvaluationRequest, intervalMs: number, now: Date): Date[] {
  if (request.window) {
    if (request.time !== undefined) {
      throw errors.validation([{ pointer: '/body/time', detail: 'give either time or window, not both' }]);
    }
    const start = new Date(request.window.start).getTime();
    const end = new Date(request.window.end).getTime();
    if (!(start < end)) throw errors.validation([{ pointer: '/body/window/end', detail: 'must be after start' }]);
    if (end > now.getTime()) throw errors.validation([{ pointer: '/body/window/end', detail: 'must not be in the future' }]);
    const rounds = Math.floor((end - start) / intervalMs) + 1;
    if (rounds > MAX_ROUNDS) {
      throw errors.validation([{ pointer: '/body/window', detail: `the window holds ${rounds} rounds at the policy's interval; at most ${MAX_ROUNDS}` }]);
    }
    return Array.from({ length: rounds }, (_, i) => new Date(start + i * intervalMs));
  }
  if (request.time !== undefined) {
    const time = new Date(request.time);
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


