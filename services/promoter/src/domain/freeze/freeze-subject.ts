/** Where a promotion would change something, in the terms a freeze's scope uses. Pure. */
import type { Promotion } from '../promotion.js';
import type { FreezeSubject } from './freeze.js';

/** The cluster a promotion's target lives in (resolved when it was created; `default` for older records). */
export function clusterOf(promotion: Promotion): string {
  return promotion.target.cluster;
}

/** A pipeline stage's promotion names its pipeline (a freeze scoped to pipelines holds it); one made on its own, none. */
export function freezeSubject(promotion: Promotion): FreezeSubject {
  return { namespace: promotion.target.namespace, cluster: clusterOf(promotion), ...(promotion.pipeline ? { pipeline: promotion.pipeline.pipeline } : {}) };
}
