/**
 * Which configured cluster a new promotion targets: the one it names, or the default. A name that is not
 * configured, or no name where several clusters and no default exist, is a 422 naming `target.cluster`.
 */
import { errors } from '../errors.js';

/** The clusters as the API sees them: their names and the default. */
export interface ClusterDirectory {
  readonly names: readonly string[];
  readonly defaultCluster: string | undefined;
}

const POINTER = '/body/target/cluster';

/** `visible`: whether the caller's token may see a cluster, so the names listed are only those it may use. */
export function resolveTargetCluster(named: string | undefined, clusters: ClusterDirectory, visible: (cluster: string) => boolean): string {
  const known = clusters.names.filter(visible);
  const listed = known.length > 0 ? known.map((name) => `'${name}'`).join(', ') : 'none this token may use';
  if (named === undefined) {
    if (clusters.defaultCluster !== undefined) return clusters.defaultCluster;
    throw errors.validation([{ pointer: POINTER, detail: `this service has several clusters and no default: name one (${listed})` }]);
  }
  if (!clusters.names.includes(named)) {
    throw errors.validation([{ pointer: POINTER, detail: `no cluster is named '${named}'; configured: ${listed}` }]);
  }
  return named;
}
