/**
 * The release a policy asks for after success (VERSION commit and annotated tag) is made by a step of its
 * own once the promotion is `succeeded`, so the record `waitForPromotion` returns still says `pending`.
 * `--wait` waits for it too, re-reading the record, so the final summary can show the tag or why it failed.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { PromoterAbortError, type PromoterClient, type PromotionDetail, type PromotionEvent } from '@promoter/sdk';

export interface ReleaseWaitOptions {
  readonly signal: AbortSignal;
  /** Epoch ms after which it stops waiting (from `--timeout`); none: until the release settles. */
  readonly deadline: number | undefined;
  /** The id of the last event already shown; newer ones (the `release` event) go to `onEvent`. */
  readonly after: number;
  readonly onEvent: (event: PromotionEvent) => Promise<void> | void;
  readonly pollMs?: number;
}

/** Whether the promotion succeeded and its release is still to be made. */
export function releasePending(detail: PromotionDetail): boolean {
  return detail.state === 'succeeded' && detail.release?.state === 'pending';
}

/** The record once the release is `done` or `failed`; `settled: false` when the deadline came first. */
export async function waitForRelease(client: Pick<PromoterClient, 'promotions'>, detail: PromotionDetail, options: ReleaseWaitOptions): Promise<{ detail: PromotionDetail; settled: boolean }> {
  let current = detail;
  let after = options.after;
  const pollMs = options.pollMs ?? 500;
  while (releasePending(current)) {
    const left = options.deadline === undefined ? pollMs : Math.min(pollMs, options.deadline - Date.now());
    if (left <= 0) return { detail: current, settled: false };
    await delay(left, undefined, { signal: options.signal }).catch((error: unknown) => {
      throw new PromoterAbortError(`stopped waiting for the release of promotion ${current.id}`, options.signal.reason ?? error);
    });
    current = await client.promotions.get(current.id, { signal: options.signal });
    for (const event of current.events.filter((e) => e.id > after)) {
      after = event.id;
      await options.onEvent(event);
    }
  }
  return { detail: current, settled: true };
}
