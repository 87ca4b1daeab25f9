/**
 * The one writer of a promotion's state: the column assignments for a `Transition`, which only the state
 * machine's `transition()` can make. The engine's step writes and the API's immediate abort both use it.
 */
import { sql, type RawBuilder } from 'kysely';
import { isTerminal, type Transition } from '../../domain/promotion-state-machine.js';

/**
 * `state`, `state_reason` and `finished_at` for a transition; nothing when it changes no state. A promotion
 * that ends other than `succeeded` will never be released: a release still `pending` becomes `skipped`
 * with the reason, in the same write (unless the caller writes the release itself: `recordsRelease`).
 */
export function stateAssignments(change: Transition, options: { readonly recordsRelease?: boolean } = {}): RawBuilder<unknown>[] {
  if (change.to === change.from) return [];
  const endsUnreleased = isTerminal(change.to) && change.to !== 'succeeded' && options.recordsRelease !== true;
  return [
    sql`state = ${change.to}`,
    sql`state_reason = ${change.reason}`,
    ...(isTerminal(change.to) ? [sql`finished_at = now()`] : [sql`finished_at = NULL`]),
    ...(endsUnreleased
      ? [sql`release = CASE WHEN release->>'state' = 'pending' THEN release || jsonb_build_object('state', 'skipped', 'reason', ${`the promotion ended ${change.to}, so there is nothing to release`}::text) ELSE release END`]
      : []),
  ];
}
