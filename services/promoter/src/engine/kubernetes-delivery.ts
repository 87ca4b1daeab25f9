/**
 * Delivery by patching the Deployment: a JSON patch guarded by a `test` of the current image, with the
 * promotion id annotated in the same write, so a resumed step can tell its own patch from someone else's.
 */
import type { KubernetesClient } from '../adapters/kubernetes/types.js';
import { asClusterClients, type ClusterClients } from '../adapters/kubernetes/clusters.js';
import { containerImage } from '../adapters/kubernetes/snapshot.js';
import type { DeliveryResult, ImageChangeRequest, ImageDelivery } from './image-delivery.js';

export const PROMOTION_ANNOTATION = 'promoter.dev/promotion-id';
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause';

export class KubernetesDelivery implements ImageDelivery {
  readonly mode = 'kubernetes' as const;
  readonly convergesLater = false;
  readonly #clusters: ClusterClients;

  /** One client for every promotion, or the client of each promotion's cluster. */
  constructor(kube: KubernetesClient | ClusterClients) {
    this.#clusters = asClusterClients(kube);
  }

  async apply({ promotion, from, to, purpose, why }: ImageChangeRequest): Promise<DeliveryResult> {
    const { namespace, deployment: name, container } = promotion.target;
    const ref = { namespace, name };
    const kube = this.#clusters.client(promotion.target.cluster);
    const deployment = await kube.getDeployment(ref);
    const current = containerImage(deployment, container);
    const where = `Deployment ${namespace}/${name}`;
    if (current === to) {
      // For a rollback the old image is enough (nothing to revert); for a promotion it must be ours.
      if (purpose === 'rollback' || deployment.annotations[PROMOTION_ANNOTATION] === promotion.id) {
        return {
          outcome: 'applied',
          event: { type: 'patch', reason: purpose === 'rollback' ? `the Deployment already runs ${to}; nothing to revert` : 'found the Deployment already patched by this promotion (resumed after a restart)' },
        };
      }
    }
    if (current !== from) return { outcome: 'conflict', found: current, where };
    await kube.setContainerImage(ref, {
      container,
      expectedImage: from,
      newImage: to,
      annotations: { [PROMOTION_ANNOTATION]: promotion.id, [CHANGE_CAUSE_ANNOTATION]: `promoter ${promotion.id}: ${why}` },
    });
    return {
      outcome: 'applied',
      event: { type: 'patch', reason: purpose === 'rollback' ? `set ${container} back to ${to}` : `set ${container} to ${to}`, data: { from, to } },
    };
  }
}
