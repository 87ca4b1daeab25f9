/**
 * Takes one measurement of one check: renders its queries for the phase, asks Prometheus (or calls the
 * webhook), and hands the answers to the judge (domain/judge). It decides nothing itself. Never throws for
 * a check's own trouble: a query that fails is an `error` measurement, so missing data never passes by
 * accident.
 */
import type { PrometheusQueries, QueryResult } from '../adapters/prometheus/query-result.js';
import { WebhookClient } from '../adapters/webhook/webhook-client.js';
import { durationMs } from '../domain/duration.js';
import { expandTemplate } from '../domain/policy/expand.js';
import {
  judgeAlerts,
  judgeBaseline,
  judgeStatistical,
  judgeThreshold,
  judgeWebhook,
  measurementError,
  reduceValues,
  WEBHOOK_BOUND,
  type Judgement,
  type Measurement,
  type Reading,
} from '../domain/judge/index.js';
import { POLICY_DEFAULTS, type Check, type Phase, type Policy } from '../domain/policy/model.js';
import { checkLabelKeys, labelVariables } from '../domain/policy/labels.js';
import { escapeQuoted, renderTemplate } from '../domain/policy/template.js';
import { baselineVariables, judgedDeployment, variablesFor, type PromotionContext } from '../domain/policy/variables.js';
import { cachedLabelLookup, labelsFor, type DeploymentReader, type LabelLookup } from './deployment-labels.js';

// What a check needs and the service may lack, as the operator would set it.
const MISSING_KUBERNETES = 'Kubernetes configuration (KUBECONFIG, or the in-cluster service account)';

function lackingSentence(missing: readonly string[]): string {
  return `the service has no ${missing.join(' and no ')}`;
}

export interface MeasureContext {
  readonly target: PromotionContext;
  readonly phase: Phase;
  /** The instant the measurement is about (now, or a past time when backtesting). */
  readonly at: Date;
  readonly promotionId?: string | undefined;
  readonly promotionStartedAt?: Date | undefined;
}

export interface CheckRunnerDeps {
  /** Undefined when PROMETHEUS_URL is not set: metric checks then measure as errors, never as passes. */
  readonly prometheus: PrometheusQueries | undefined;
  readonly webhooks?: WebhookClient;
  /** Where `{{labels.*}}` are read; undefined without a cluster: checks using them measure as errors. */
  readonly deployments?: DeploymentReader | undefined;
  /**
   * Each cluster's Deployments, for promotions that name their cluster (absent: `deployments` for all);
   * undefined for a cluster without a client: checks using labels there measure as errors at once.
   */
  readonly clusters?: { configured(cluster: string): DeploymentReader | undefined } | undefined;
  readonly clock?: () => Date;
}

export class CheckRunner {
  readonly #prometheus: PrometheusQueries | undefined;
  readonly #webhooks: WebhookClient;
  readonly #deployments: DeploymentReader | undefined;
  readonly #clusters: CheckRunnerDeps['clusters'];
  readonly #clock: () => Date;

  constructor(deps: CheckRunnerDeps) {
    this.#prometheus = deps.prometheus;
    this.#webhooks = deps.webhooks ?? new WebhookClient();
    this.#deployments = deps.deployments;
    this.#clusters = deps.clusters;
    this.#clock = deps.clock ?? (() => new Date());
  }

  /**
   * Deployment labels read once for as long as the caller keeps it (a round, or a whole evaluation), from
   * `cluster` when given (a promotion's), else from the default cluster.
   */
  labelLookup(cluster?: string): LabelLookup | undefined {
    if (cluster !== undefined && this.#clusters) {
      const reader = this.#clusters.configured(cluster);
      return reader ? cachedLabelLookup(reader) : undefined;
    }
    return this.#deployments ? cachedLabelLookup(this.#deployments) : undefined;
  }

  /**
   * One measurement; `queries` is the round's deduplicating batch (or the client itself), `labels` where
   * the Deployments' pod-template labels come from (read only when the check uses `{{labels.*}}`).
   */
  async measure(
    policy: Policy,
    check: Check,
    context: MeasureContext,
    queries: PrometheusQueries | undefined = this.#prometheus,
    labels: LabelLookup | undefined = this.labelLookup(),
  ): Promise<Measurement> {
    const plain = variablesFor(context.target, context.phase, policy.vars);
    const rendered: { query: string | null; baselineQuery: string | null } = { query: null, baselineQuery: null };
    let warnings: string[] = [];
    const finish = (judgement: Judgement): Measurement => ({
      ...judgement,
      check: check.name,
      kind: check.kind,
      phase: context.phase,
      query: rendered.query,
      baselineQuery: rendered.baselineQuery,
      warnings,
      measuredAt: this.#clock(),
    });
    const fail = (message: string): Measurement => finish(measurementError(`${check.name}: ${message}`));
    const unlabelled = (outcome: { error: string; unmeasurable?: true }, side = ''): Measurement => ({
      ...fail(`${side}${outcome.error}`),
      ...(outcome.unmeasurable ? { unmeasurable: true as const, lacking: lackingSentence([MISSING_KUBERNETES]) } : {}),
    });

    if (check.kind === 'webhook') return finish(await this.#webhook(check, context));
    const doc = check.document;
    const keys = checkLabelKeys(doc);
    // Retrying cannot help until the service is reconfigured: say so at once instead of after the error
    // limit, naming everything this check lacks (not only the first thing found missing).
    if (!queries) {
      const lacking = lackingSentence(['PROMETHEUS_URL', ...(labels === undefined && keys.judged.length + keys.production.length > 0 ? [MISSING_KUBERNETES] : [])]);
      return { ...fail(`cannot be measured: ${lacking}`), unmeasurable: true, lacking };
    }

    const namespace = context.target.namespace;
    const [judgedLabels, productionLabels] = await Promise.all([
      labelsFor(labels, { namespace, name: judgedDeployment(context.target, context.phase) }, keys.judged),
      labelsFor(labels, { namespace, name: context.target.deployment }, keys.production),
    ]);
    if ('error' in judgedLabels) return unlabelled(judgedLabels);
    if ('error' in productionLabels) return unlabelled(productionLabels, 'baseline: ');
    const variables = { ...plain, ...labelVariables(judgedLabels.labels) };
    try {
      if (check.kind === 'alerts') {
        const query = alertsQuery(doc.alerts ?? {}, variables);
        if ('error' in query) return fail(query.error);
        rendered.query = query.query;
        const result = await queries.queryInstant(query.query, { time: context.at });
        warnings = [...result.warnings];
        const firing = result.resultType === 'vector' ? result.result.map((sample) => sample.metric) : [];
        return finish(judgeAlerts(check.name, firing));
      }

      const main = renderTemplate(doc.query ?? '', variables);
      if ('error' in main) return fail(main.error);
      rendered.query = main.query;
      const baseline = doc.baseline;
      const overrides = baselineOverrides(baseline);
      // The same query at an earlier time keeps the judged Deployment's values; otherwise it is about production.
      const baselineQuery = baseline
        ? renderTemplate(
            baseline.query ?? doc.query ?? '',
            baseline.offset ? { ...variables, ...overrides } : baselineVariables(plain, context.target, overrides, labelVariables(productionLabels.labels)),
          )
        : undefined;
      if (baselineQuery && 'error' in baselineQuery) return fail(`baseline: ${baselineQuery.error}`);
      rendered.baselineQuery = baselineQuery?.query ?? null;

      if (check.kind === 'statistical') {
        const judged = await this.#statistical(check, context, queries, main.query, rendered.baselineQuery ?? main.query);
        warnings = judged.warnings;
        return finish(judged.judgement);
      }

      const result = await queries.queryInstant(main.query, { time: context.at });
      warnings = [...result.warnings];
      const reading = readInstant(result, doc.reduce);
      if (check.kind === 'threshold') return finish(judgeThreshold(doc, reading));

      const baselineAt = baselineTime(doc.baseline?.offset, context);
      if ('error' in baselineAt) return fail(baselineAt.error);
      const baselineResult = await queries.queryInstant(rendered.baselineQuery ?? main.query, { time: baselineAt.time });
      warnings = [...warnings, ...baselineResult.warnings];
      return finish(judgeBaseline(doc, reading, readInstant(baselineResult, doc.reduce)));
    } catch (error) {
      return fail(error instanceof Error ? error.message : String(error));
    }
  }

  async #statistical(check: Check, context: MeasureContext, queries: PrometheusQueries, query: string, baselineQuery: string) {
    const options = check.document.statistical ?? {};
    const windowMs = durationMs(options.window ?? POLICY_DEFAULTS.statisticalWindow);
    const stepSeconds = durationMs(options.step ?? POLICY_DEFAULTS.statisticalStep) / 1000;
    const end = context.at;
    const start = new Date(end.getTime() - windowMs);
    const baselineAt = baselineTime(check.document.baseline?.offset, context);
    if ('error' in baselineAt) throw new Error(baselineAt.error);
    const shift = end.getTime() - baselineAt.time.getTime();
    const [canary, baseline] = await Promise.all([
      queries.queryRange(query, { start, end, stepSeconds }),
      queries.queryRange(baselineQuery, { start: new Date(start.getTime() - shift), end: baselineAt.time, stepSeconds }),
    ]);
    const warnings = [...canary.warnings, ...baseline.warnings];
    const judgement = judgeStatistical(check, readRange(canary, check.document.reduce), readRange(baseline, check.document.reduce));
    return { warnings, judgement };
  }

  async #webhook(check: Check, context: MeasureContext): Promise<Judgement> {
    const hook = check.document.webhook;
    if (!hook) return measurementError(`${check.name}: no webhook configured`, WEBHOOK_BOUND);
    const payload = {
      check: check.name,
      phase: context.phase,
      promotion: context.promotionId ?? null,
      target: { namespace: context.target.namespace, deployment: context.target.deployment, container: context.target.container },
      canary: context.target.canaryDeployment ? { deployment: context.target.canaryDeployment, image: context.target.canaryImage ?? null } : null,
      image: context.target.image ?? null,
      previousImage: context.target.previousImage ?? null,
      at: context.at.toISOString(),
    };
    try {
      const answer = await this.#webhooks.post({
        url: hook.url,
        payload,
        headers: hook.headers ?? {},
        timeoutMs: durationMs(hook.timeout ?? POLICY_DEFAULTS.webhookTimeout),
        retries: hook.retries ?? POLICY_DEFAULTS.webhookRetries,
      });
      return judgeWebhook(check.name, answer);
    } catch (error) {
      return measurementError(`${check.name}: ${error instanceof Error ? error.message : String(error)}`, WEBHOOK_BOUND);
    }
  }
}

function baselineOverrides(baseline: Check['document']['baseline']): Record<string, string> {
  const overrides: Record<string, string> = {};
  for (const [key, value] of Object.entries(baseline ?? {})) {
    if (key !== 'query' && key !== 'offset' && typeof value === 'string') overrides[key] = value;
  }
  return overrides;
}

function baselineTime(offset: string | undefined, context: MeasureContext): { time: Date } | { error: string } {
  if (offset === undefined) return { time: context.at };
  if (offset === 'promotion-start') {
    return context.promotionStartedAt ? { time: context.promotionStartedAt } : { error: 'baseline offset promotion-start needs a promotion' };
  }
  return { time: new Date(context.at.getTime() - durationMs(offset)) };
}

/** `ALERTS{alertstate="firing",label="value",...}` with every value escaped as a whole. */
function alertsQuery(matchers: Readonly<Record<string, string>>, variables: Readonly<Record<string, string>>): { query: string } | { error: string } {
  const parts = ['alertstate="firing"'];
  for (const [label, template] of Object.entries(matchers).sort(([a], [b]) => a.localeCompare(b))) {
    const value = expandTemplate(template, variables);
    if ('error' in value) return value;
    parts.push(`${label}="${escapeQuoted(value.text, '"')}"`);
  }
  return { query: `ALERTS{${parts.join(',')}}` };
}

function readInstant(result: QueryResult, reduce: Check['document']['reduce']): Reading {
  switch (result.resultType) {
    case 'vector':
      return reduceValues(result.result.map((sample) => sample.value), reduce);
    case 'scalar':
      return reduceValues([result.result.value], reduce);
    default:
      return { error: `the query returned a ${result.resultType}, not an instant vector or scalar` };
  }
}

/** All finite values of a range result; several series are combined per timestamp by `reduce`. */
function readRange(result: QueryResult, reduce: Check['document']['reduce']): { values: number[] } | { error: string } {
  if (result.resultType !== 'matrix') return { error: `the range query returned a ${result.resultType}` };
  if (result.result.length > 1 && (reduce ?? 'none') === 'none') {
    return { error: `the query returned ${result.result.length} series; aggregate it or set reduce` };
  }
  const byTime = new Map<number, number[]>();
  for (const series of result.result) {
    for (const sample of series.samples) {
      if (!Number.isFinite(sample.value)) continue;
      const bucket = byTime.get(sample.time) ?? [];
      bucket.push(sample.value);
      byTime.set(sample.time, bucket);
    }
  }
  const values: number[] = [];
  for (const bucket of byTime.values()) {
    const reading = reduceValues(bucket, bucket.length > 1 ? reduce : 'none');
    if ('value' in reading) values.push(reading.value);
  }
  return { values };
}

