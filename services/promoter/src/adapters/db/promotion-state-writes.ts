/**
 * The one writer of a promotion's state: the column assignments for a `Transition`, which only the state
 * machine's `transition()` can make. The engine's step writes and the API's immediate abort both use it.
 */
import { sql, type RawBuilder } from 'kysely';
import { isTerminal, type Transition } from '../../domain/promotion-state-machine.js';

/** `state`, `state_reason` and `finished_at` for a transition; nothing when it changes no state. */
export function stateAssignments(change: Transition): RawBuilder<unknown>[] {
  if (change.to === change.from) return [];
  return [
    sql`state = ${change.to}`,
    sql`state_reason = ${change.reason}`,
    ...(isTerminal(change.to) ? [sql`finished_at = now()`] : [sql`finished_at = NULL`]),
  ];
}
