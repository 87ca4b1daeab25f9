/**
 * One evaluation round of a policy's checks for a phase: every check measured once at the same instant,
 * through one deduplicating query batch, so identical queries go to Prometheus once per round, and each
 * Deployment whose labels the checks use is read once (by default per round; an evaluation keeps one).
 */
import { createQueryBatch } from '../adapters/prometheus/query-batch.js';
import type { PrometheusQueries } from '../adapters/prometheus/query-result.js';
import type { Check, Phase, Policy } from '../domain/policy/model.js';
import type { Measurement } from '../domain/judge/index.js';
import type { CheckRunner, MeasureContext } from './check-runner.js';
import type { LabelLookup } from './deployment-labels.js';

export function checksFor(policy: Policy, phase: Phase): Check[] {
  return policy.checks.filter((check) => check.phases.includes(phase));
}

export async function measureRound(
  runner: CheckRunner,
  prometheus: PrometheusQueries | undefined,
  policy: Policy,
  checks: readonly Check[],
  context: MeasureContext,
  labels: LabelLookup | undefined = runner.labelLookup(),
): Promise<Measurement[]> {
  const batch = prometheus ? createQueryBatch(prometheus) : undefined;
  return Promise.all(checks.map((check) => runner.measure(policy, check, context, batch, labels)));
}
