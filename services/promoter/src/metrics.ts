/** The service's own Prometheus metrics, in a registry per app instance (no global state). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { PROMOTION_STATES, type PromotionState } from './domain/promotion-state-machine.js';

export interface ServiceMetrics {
  readonly registry: Registry;
  readonly httpRequestDuration: Histogram<'route' | 'method' | 'status_code'>;
  readonly promotionsTotal: Counter<'outcome'>;
  readonly promotionDuration: Histogram;
  readonly activePromotions: Gauge;
  readonly checkResultsTotal: Counter<'check' | 'result'>;
  readonly rollbacksTotal: Counter;
  readonly releasesTotal: Counter<'outcome'>;
  readonly refusedTransitionsTotal: Counter<'from' | 'to'>;
  readonly engineStepDuration: Histogram<'state'>;
  readonly engineLastStep: Gauge;
  readonly prometheusRequestsTotal: Counter<'outcome'>;
  /** Notification attempts by sink and outcome (delivered, retry, dead). */
  readonly notificationsTotal: Counter<'sink' | 'outcome'>;
  /** 1 when the cluster's API server answered its last health check (`/readyz`), 0 when not. */
  readonly kubernetesClusterUp: Gauge<'cluster'>;
  /** Console sign-ins and session ends by outcome (signed_in, no_access, failed, refreshed_refused, signed_out). */
  readonly signInsTotal: Counter<'outcome'>;
}

/** `countByState` feeds the `promoter_promotions` gauge at scrape time, straight from the database. */
export function createMetrics(
  countByState: () => Promise<Map<PromotionState, number>>,
  oldestUndeliveredSeconds?: () => Promise<number>,
): ServiceMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'promoter_promotions',
    help: 'Promotions stored, by state.',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      try {
        const counts = await countByState();
        for (const state of PROMOTION_STATES) this.set({ state }, counts.get(state) ?? 0);
      } catch {
        // The database is down: /readyz says so; the scrape still answers with the other metrics.
      }
    },
  });
  const metrics: ServiceMetrics = {
    registry,
    httpRequestDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by route template, method and status code.',
      labelNames: ['route', 'method', 'status_code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    promotionsTotal: new Counter({
      name: 'promoter_promotions_total',
      help: 'Promotions that reached a terminal state, by outcome.',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    promotionDuration: new Histogram({
      name: 'promoter_promotion_duration_seconds',
      help: 'Time from creation to a terminal state.',
      buckets: [10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200],
      registers: [registry],
    }),
    activePromotions: new Gauge({
      name: 'promoter_active_promotions',
      help: 'Promotions in an active state.',
      registers: [registry],
    }),
    checkResultsTotal: new Counter({
      name: 'promoter_check_results_total',
      help: 'Check measurements, by check name and result.',
      labelNames: ['check', 'result'],
      registers: [registry],
    }),
    releasesTotal: new Counter({
      name: 'promoter_releases_total',
      help: 'Release finalizations (VERSION commit and tag after a success), by outcome: done or failed.',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    rollbacksTotal: new Counter({
      name: 'promoter_rollbacks_total',
      help: 'Rollbacks started (automatic or requested).',
      registers: [registry],
    }),
    refusedTransitionsTotal: new Counter({
      name: 'promoter_refused_transitions_total',
      help: 'State changes the engine asked for that the state machine refused (a bug; the promotion went to failed).',
      labelNames: ['from', 'to'],
      registers: [registry],
    }),
    engineStepDuration: new Histogram({
      name: 'promoter_engine_step_duration_seconds',
      help: 'Duration of one engine step, by the state it started in.',
      labelNames: ['state'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    engineLastStep: new Gauge({
      name: 'promoter_engine_last_step_timestamp_seconds',
      help: 'Unix time of the last engine step on this replica.',
      registers: [registry],
    }),
    prometheusRequestsTotal: new Counter({
      name: 'promoter_prometheus_requests_total',
      help: 'Requests to Prometheus, by outcome.',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    notificationsTotal: new Counter({
      name: 'promoter_notifications_total',
      help: 'Notification delivery attempts, by sink and outcome (delivered, retry, dead).',
      labelNames: ['sink', 'outcome'],
      registers: [registry],
    }),
    kubernetesClusterUp: new Gauge({
      name: 'promoter_kubernetes_cluster_up',
      help: 'Whether the cluster\'s Kubernetes API server answered the last health check (1) or not (0); set by /readyz.',
      labelNames: ['cluster'],
      registers: [registry],
    }),
    signInsTotal: new Counter({
      name: 'promoter_console_sign_ins_total',
      help: 'Console sign-ins through the OpenID provider and session ends, by outcome (signed_in, no_access, failed, refresh_refused, signed_out).',
      labelNames: ['outcome'],
      registers: [registry],
    }),
  };
  if (oldestUndeliveredSeconds) {
    new Gauge({
      name: 'promoter_notifications_oldest_undelivered_seconds',
      help: 'Age of the oldest notification not yet delivered (0 when none): stuck sinks make it grow.',
      registers: [registry],
      async collect() {
        try {
          this.set(await oldestUndeliveredSeconds());
        } catch {
          // The database is down: /readyz says so.
        }
      },
    });
  }
  // Counters start at 0 for every outcome, so increase() sees the first failure after a restart.
  for (const outcome of ['succeeded', 'rejected', 'rolled_back', 'aborted', 'failed']) metrics.promotionsTotal.inc({ outcome }, 0);
  for (const outcome of ['ok', 'error']) metrics.prometheusRequestsTotal.inc({ outcome }, 0);
  for (const outcome of ['done', 'failed']) metrics.releasesTotal.inc({ outcome }, 0);
  for (const outcome of ['signed_in', 'no_access', 'failed']) metrics.signInsTotal.inc({ outcome }, 0);
  return metrics;
}
