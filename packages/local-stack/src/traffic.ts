/**
 * Traffic on Deployments, as the exporter of a real service would count it: per Deployment (its pods'
 * `namespace` and `variant` labels) `zai_proxy_requests_total{status}`, the latency histogram
 * `zai_proxy_request_duration_seconds_bucket{le}` with `_sum` and `_count`, and `zai_proxy_tokens_total`.
 * What the requests see depends on the image the Deployment runs, read from the cluster on every tick:
 * while a rollout is under way the updated share of the replicas serves with the new image's health and the
 * rest with the old one's, so a bad image hurts production in proportion to how far it has rolled out.
 * Counts are noisy (each request draws its own latency and outcome) so the series look like traffic.
 */
import type { Exporter } from './exporter.js';

/** How one build behaves under a Deployment's traffic. */
export interface ImageHealth {
  /** Share of requests answered 5xx, 0..1. */
  readonly errorRatio: number;
  /** Median latency in seconds; the spread is log-normal around it. */
  readonly medianSeconds: number;
}

/** What the traffic needs of a Deployment (the fake API's stored object has this shape). */
export interface ObservedDeployment {
  readonly spec: {
    readonly replicas: number;
    readonly template: {
      readonly metadata: { readonly labels: Readonly<Record<string, string>> };
      readonly spec: { readonly containers: ReadonlyArray<{ readonly name: string; readonly image: string }> };
    };
  };
  readonly status: { readonly updatedReplicas?: number };
}

export interface TrafficTarget {
  readonly namespace: string;
  readonly deployment: string;
  /** The container whose image decides the health. */
  readonly container: string;
  readonly requestsPerSecond: number;
}

export interface TrafficOptions {
  readonly exporter: Exporter;
  /** Reads a Deployment as the cluster has it now (e.g. `FakeKube.getDeployment`). */
  readonly readDeployment: (namespace: string, name: string) => ObservedDeployment | undefined;
  readonly targets: readonly TrafficTarget[];
  /** The health of `image` when it serves the pods labelled `variant`. */
  readonly health: (image: string, variant: string) => ImageHealth;
  /** Default 1000 ms: a Prometheus scraping every second sees a new count each time. */
  readonly tickMs?: number;
  /** Default Math.random; a seeded one makes the series repeatable. */
  readonly random?: () => number;
}

export interface Traffic {
  /** Completed ticks. */
  readonly ticks: number;
  /** The images each Deployment served in the last tick, with the share of the new one. */
  serving(namespace: string, deployment: string): { readonly image: string; readonly previous: string | undefined; readonly share: number } | undefined;
  stop(): void;
}

/** Upper bounds of the latency histogram, in seconds. */
export const LATENCY_BUCKETS: readonly number[] = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const LATENCY_SPREAD = 0.35; // sigma of ln(latency): p95 is about 1.8 x the median
const TOKENS_PER_REQUEST = 180;

interface Serving {
  image: string;
  previous: string | undefined;
  share: number;
}

/**
 * Starts counting traffic on every target each tick; `stop()` ends it (the series stay, frozen).
 *
 * @example
 * const traffic = startTraffic({
 *   exporter, readDeployment: (ns, name) => kube.getDeployment(ns, name),
 *   targets: [{ namespace: 'mcp', deployment: 'zai-proxy', container: 'proxy', requestsPerSecond: 40 }],
 *   health: (image) => (image.endsWith(':1.3.0') ? { errorRatio: 0.3, medianSeconds: 0.4 } : { errorRatio: 0.005, medianSeconds: 0.08 }),
 * });
 */
export function startTraffic(options: TrafficOptions): Traffic {
  const random = options.random ?? Math.random;
  const tickMs = options.tickMs ?? 1_000;
  const serving = new Map<string, Serving>();
  let ticks = 0;

  const tick = (): void => {
    for (const target of options.targets) {
      const deployment = options.readDeployment(target.namespace, target.deployment);
      if (deployment === undefined) continue;
      const state = observe(serving, target, deployment);
      const labels = { namespace: target.namespace, variant: deployment.spec.template.metadata.labels['variant'] ?? target.deployment };
      const requests = Math.max(0, Math.round(target.requestsPerSecond * (tickMs / 1_000) * (0.85 + 0.3 * random())));
      const counts = { ok: 0, failed: 0, seconds: 0, buckets: LATENCY_BUCKETS.map(() => 0) };
      for (let i = 0; i < requests; i++) {
        // Each request lands on an updated pod with the rollout's share, else on an old one.
        const image = state.previous !== undefined && random() >= state.share ? state.previous : state.image;
        const health = options.health(image, labels.variant);
        if (random() < health.errorRatio) counts.failed++;
        else counts.ok++;
        const latency = health.medianSeconds * Math.exp(LATENCY_SPREAD * gaussian(random));
        counts.seconds += latency;
        LATENCY_BUCKETS.forEach((le, index) => {
          if (latency <= le) counts.buckets[index] = (counts.buckets[index] ?? 0) + 1;
        });
      }
      const { exporter } = options;
      exporter.inc('zai_proxy_requests_total', { ...labels, status: '200' }, counts.ok);
      exporter.inc('zai_proxy_requests_total', { ...labels, status: '500' }, counts.failed);
      LATENCY_BUCKETS.forEach((le, index) => exporter.inc('zai_proxy_request_duration_seconds_bucket', { ...labels, le: String(le) }, counts.buckets[index]));
      exporter.inc('zai_proxy_request_duration_seconds_bucket', { ...labels, le: '+Inf' }, requests);
      exporter.inc('zai_proxy_request_duration_seconds_sum', labels, counts.seconds);
      exporter.inc('zai_proxy_request_duration_seconds_count', labels, requests);
      exporter.inc('zai_proxy_tokens_total', labels, counts.ok * TOKENS_PER_REQUEST);
    }
    ticks++;
  };

  tick();
  const timer = setInterval(tick, tickMs);
  return {
    get ticks() {
      return ticks;
    },
    serving: (namespace, deployment) => serving.get(`${namespace}/${deployment}`),
    stop: () => clearInterval(timer),
  };
}

/** Updates what a Deployment serves: a new image starts a rollout from the one served before. */
function observe(serving: Map<string, Serving>, target: TrafficTarget, deployment: ObservedDeployment): Serving {
  const key = `${target.namespace}/${target.deployment}`;
  const image = deployment.spec.template.spec.containers.find((c) => c.name === target.container)?.image ?? '';
  const replicas = Math.max(1, deployment.spec.replicas);
  const share = Math.min(1, (deployment.status.updatedReplicas ?? 0) / replicas);
  let state = serving.get(key);
  if (state === undefined) {
    state = { image, previous: undefined, share: 1 };
    serving.set(key, state);
  } else if (state.image !== image) {
    // A rollback in the middle of a rollout goes back from the image the pods were moving to.
    state.previous = state.image;
    state.image = image;
  }
  state.share = share;
  if (share >= 1) state.previous = undefined;
  return state;
}

/** A standard normal draw (Box-Muller). */
function gaussian(random: () => number): number {
  const u = Math.max(random(), Number.EPSILON);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}
