/** Keeping a list of promotions (newest first) up to date from the event feed, one promotion at a time. */
import type { Promotion, PromotionState } from '@promoter/sdk';

export interface RowOptions {
  /** The list's state filter: a promotion that leaves the state leaves the list. */
  readonly state?: PromotionState | undefined;
  readonly limit: number;
}

/**
 * The list with `promotion` as it now stands: replaced in place, added by its creation time, or removed
 * when it no longer matches the state filter. An older copy (the feed and a read of the list may cross)
 * never replaces a newer one.
 */
export function upsertPromotion(list: readonly Promotion[], promotion: Promotion, options: RowOptions): Promotion[] {
  const index = list.findIndex((p) => p.id === promotion.id);
  const existing = index === -1 ? undefined : list[index];
  if (existing && Date.parse(existing.updatedAt) > Date.parse(promotion.updatedAt)) return [...list];
  const rest = index === -1 ? [...list] : list.filter((_, i) => i !== index);
  if (options.state !== undefined && promotion.state !== options.state) return rest;
  if (index !== -1) {
    rest.splice(index, 0, promotion);
    return rest;
  }
  const at = rest.findIndex((p) => p.createdAt < promotion.createdAt);
  rest.splice(at === -1 ? rest.length : at, 0, promotion);
  return rest.slice(0, options.limit);
}
