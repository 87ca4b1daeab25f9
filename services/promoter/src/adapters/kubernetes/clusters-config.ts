/**
 * The Kubernetes clusters the operator names, read once at boot from the YAML or JSON file named by
 * PROMOTER_CLUSTERS_FILE. A promotion names one of these by `target.cluster`; it can never supply a server
 * or a kubeconfig, so no API token holder can make the service reach another API server.
 *
 * Without the file there is one cluster, `default`, from KUBECONFIG or the pod's service account, exactly as
 * before clusters existed.
 *
 * @example
 * ```yaml
 * default: staging                   # the cluster of a promotion that names none (optional with one cluster)
 * clusters:
 *   - name: staging
 *     inCluster: true                # the pod's own service account
 *   - name: apexalgo-iad
 *     kubeconfig: kubeconfigs/iad    # relative to this file
 *     context: iad-admin             # default: the kubeconfig's current-context
 * ```
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';

export const CLUSTERS_FILE_VARIABLE = 'PROMOTER_CLUSTERS_FILE';

/** What is wrong with the file, naming the file and the key at fault (config.ts adds the variable's name). */
export class ClustersFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClustersFileError';
  }
}
/** The one cluster's name when no clusters file is given (and the cluster of promotions stored before clusters existed). */
export const DEFAULT_CLUSTER_NAME = 'default';
export const MAX_CLUSTERS = 50;
export const MAX_CLUSTERS_FILE_BYTES = 1024 * 1024;
/** A cluster name: a DNS label (RFC 1123), as Kubernetes names namespaces. */
export const CLUSTER_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export type ClusterSource =
  /** A kubeconfig file (absolute), and the context to use (default: its current-context). */
  | { readonly kind: 'kubeconfig'; readonly kubeconfig: string; readonly context: string | undefined }
  /** The pod's service account. */
  | { readonly kind: 'in-cluster' }
  /** No clusters file: KUBECONFIG, the pod's service account, or ~/.kube/config, as before clusters. */
  | { readonly kind: 'environment' };

export interface ClusterConfig {
  readonly name: string;
  readonly source: ClusterSource;
}

export interface ClustersConfig {
  readonly clusters: readonly ClusterConfig[];
  /** The cluster of a promotion that names none; undefined when several are configured and none is the default. */
  readonly defaultCluster: string | undefined;
  /** The file they came from; undefined for the implicit single cluster. */
  readonly file: string | undefined;
}

/** The single cluster `default` of a service without a clusters file. */
export const ENVIRONMENT_CLUSTERS: ClustersConfig = Object.freeze({
  clusters: Object.freeze([Object.freeze({ name: DEFAULT_CLUSTER_NAME, source: Object.freeze({ kind: 'environment' as const }) })]),
  defaultCluster: DEFAULT_CLUSTER_NAME,
  file: undefined,
});

/** Reads and validates the file; a ClustersFileError names the file and the key at fault. */
export function loadClustersFile(path: string): ClustersConfig {
  const fail = (message: string): never => {
    throw new ClustersFileError(`${path}: ${message}`);
  };
  let text = '';
  try {
    if (statSync(path).size > MAX_CLUSTERS_FILE_BYTES) fail(`is larger than ${MAX_CLUSTERS_FILE_BYTES} bytes`);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof ClustersFileError) throw error;
    fail(`cannot read it: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return parseClustersConfig(text, path);
}

/** `source` is the file's path: relative kubeconfig paths are resolved against its folder. */
export function parseClustersConfig(text: string, source: string): ClustersConfig {
  const fail = (message: string): never => {
    throw new ClustersFileError(`${source}: ${message}`);
  };
  let raw: unknown;
  try {
    // YAML is a superset of JSON: one parser reads both.
    raw = parseYaml(text, { maxAliasCount: 100 });
  } catch (error) {
    return fail(`not valid YAML or JSON: ${(error as Error).message.split('\n')[0] ?? ''}`);
  }
  if (!isRecord(raw)) return fail('expected an object with a clusters list');
  checkKeys(raw, ['clusters', 'default'], '', fail);
  if (!Array.isArray(raw.clusters) || raw.clusters.length === 0) return fail('clusters must be a non-empty list');
  if (raw.clusters.length > MAX_CLUSTERS) fail(`clusters has ${raw.clusters.length} entries; at most ${MAX_CLUSTERS} are allowed`);
  const folder = dirname(resolve(source));
  const clusters = raw.clusters.map((entry: unknown, index: number) => parseCluster(entry, index, folder, fail));
  const names = new Set<string>();
  for (const cluster of clusters) {
    if (names.has(cluster.name)) fail(`clusters: the name '${cluster.name}' is used twice`);
    names.add(cluster.name);
  }
  let defaultCluster: string | undefined;
  if (raw.default !== undefined) {
    if (typeof raw.default !== 'string' || !names.has(raw.default)) {
      fail(`default must name one of the clusters (${[...names].join(', ')}), got ${JSON.stringify(raw.default)}`);
    }
    defaultCluster = raw.default as string;
  } else if (clusters.length === 1) {
    defaultCluster = clusters[0]?.name;
  }
  return Object.freeze({ clusters: Object.freeze(clusters), defaultCluster, file: resolve(source) });
}

type Fail = (message: string) => never;

function parseCluster(entry: unknown, index: number, folder: string, failFile: Fail): ClusterConfig {
  const label = isRecord(entry) && typeof entry.name === 'string' ? `clusters[${index}] '${entry.name}'` : `clusters[${index}]`;
  const fail: Fail = (message) => failFile(`${label}: ${message}`);
  if (!isRecord(entry)) return fail('expected an object with name and kubeconfig, or name and inCluster: true');
  checkKeys(entry, ['name', 'kubeconfig', 'context', 'inCluster'], '', fail);
  const name = entry.name;
  if (typeof name !== 'string' || !CLUSTER_NAME.test(name)) return fail('name is required: a lowercase DNS label (a-z, 0-9, -; at most 63 characters)');
  if (entry.inCluster !== undefined) {
    if (entry.inCluster !== true) fail('inCluster must be true (or left out, with kubeconfig)');
    if (entry.kubeconfig !== undefined || entry.context !== undefined) fail('inCluster: true takes no kubeconfig or context');
    return Object.freeze({ name, source: Object.freeze({ kind: 'in-cluster' as const }) });
  }
  if (typeof entry.kubeconfig !== 'string' || entry.kubeconfig.trim() === '') return fail('kubeconfig is required (a path, relative to this file), or inCluster: true');
  if (entry.context !== undefined && (typeof entry.context !== 'string' || entry.context.trim() === '')) fail('context must be a non-empty string');
  const kubeconfig = isAbsolute(entry.kubeconfig) ? entry.kubeconfig : resolve(folder, entry.kubeconfig);
  return Object.freeze({ name, source: Object.freeze({ kind: 'kubeconfig' as const, kubeconfig, context: entry.context as string | undefined }) });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkKeys(record: Record<string, unknown>, allowed: readonly string[], prefix: string, fail: Fail): void {
  const unknown = Object.keys(record).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) fail(`unknown field ${unknown.map((k) => `${prefix}${k}`).join(', ')} (allowed: ${allowed.join(', ')})`);
}
