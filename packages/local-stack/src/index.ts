/**
 * The outside world of a promotion on one machine, for promoter's demo (`npm run demo`) and its tests:
 * - `startExporter`: an HTTP `/metrics` endpoint with series the caller sets;
 * - `startTraffic`: request, latency and token series per Deployment that follow the image it runs;
 * - `startPrometheus`: the real `prometheus` binary scraping them (optionally backfilled);
 * - `startGitServer`: bare repositories behind `git http-backend`, with token auth;
 * - `startGitOpsController`: an Argo CD stand-in that applies a repository's image to a Kubernetes API.
 * The Kubernetes API itself is `@promoter/fake-kube`.
 *
 * @example
 * const exporter = await startExporter();
 * const prometheus = await startPrometheus({ targets: [exporter.target] });
 * exporter.set('app_error_ratio', { variant: 'canary' }, 0.01);
 * await prometheus.waitForSeries('app_error_ratio');
 * await prometheus.stop();
 * await exporter.close();
 */
export { startExporter, toOpenMetrics, type BackfillSeries, type Exporter, type SeriesLabels } from './exporter.js';
export { startTraffic, LATENCY_BUCKETS, type ImageHealth, type ObservedDeployment, type Traffic, type TrafficOptions, type TrafficTarget } from './traffic.js';
export { startPrometheus, MISSING_PROMETHEUS, type PrometheusInstance, type StartPrometheusOptions } from './prometheus.js';
export { queryVector, PrometheusQueryError, type VectorSample } from './prometheus-query.js';
export { GitServer, startGitServer, type FileEdit, type GitRequestLog, type GitServerOptions, type RequestMatch } from './git-server.js';
export { GitOpsController, startGitOpsController, type GitOpsApplication, type GitOpsControllerOptions, type Observation, type SyncMode, type SyncRecord } from './gitops-controller.js';
export { findOnPath, freePort, supportsPdeathsig, tiedToParent } from './processes.js';
