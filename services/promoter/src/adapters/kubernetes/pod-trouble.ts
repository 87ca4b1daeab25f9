/**
 * Why a rollout does not progress, in the words of the runbook's "Pods Not Ready" section: the new pods'
 * waiting reasons and messages (ImagePullBackOff: manifest unknown), a crash loop with its last exit code,
 * or a container that runs but never becomes ready (its readiness probe fails). Pure, no I/O.
 */
import type { PodContainerStatus, PodSnapshot } from './types.js';

export interface PodTroubleReport {
  /** One sentence for a reason, e.g. `2 of 3 new pods are not ready: ImagePullBackOff: ... (web-1, web-2)`. */
  readonly sentence: string;
  /** Per pod, what was found (for the event's data). */
  readonly pods: readonly { readonly pod: string; readonly trouble: string }[];
}

/** The pods that run `image` in `container` (the new revision) and why those not ready are not; undefined when all are ready. */
export function describePodTrouble(pods: readonly PodSnapshot[], container: string, image: string): PodTroubleReport | undefined {
  const fresh = pods.filter((pod) => pod.images[container] === image);
  const troubled = fresh.flatMap((pod) => {
    const notReady = pod.containers.filter((c) => !c.ready);
    if (notReady.length === 0 && pod.containers.length > 0) return [];
    const trouble = notReady.length === 0 ? `${pod.phase}, no container status yet` : notReady.map(describeContainer).join('; ');
    return [{ pod: pod.name, trouble }];
  });
  if (troubled.length === 0) return undefined;
  const byTrouble = new Map<string, string[]>();
  for (const { pod, trouble } of troubled) byTrouble.set(trouble, [...(byTrouble.get(trouble) ?? []), pod]);
  const parts = [...byTrouble].map(([trouble, names]) => `${trouble} (${names.slice(0, 3).join(', ')}${names.length > 3 ? `, +${names.length - 3} more` : ''})`);
  return { sentence: `${troubled.length} of ${fresh.length} new pods are not ready: ${parts.join('; ')}`, pods: troubled };
}

function describeContainer(c: PodContainerStatus): string {
  const exit = c.lastTerminated ? `, last exit code ${c.lastTerminated.exitCode}${c.lastTerminated.reason ? ` (${c.lastTerminated.reason})` : ''}` : '';
  const restarts = c.restartCount > 0 ? `, ${c.restartCount} restart${c.restartCount === 1 ? '' : 's'}` : '';
  if (c.waiting) return `${c.name}: ${c.waiting.reason}${c.waiting.message ? `: ${c.waiting.message}` : ''}${exit}${restarts}`;
  return `${c.name}: running but not ready (its readiness probe fails)${exit}${restarts}`;
}
