/** The promotion states of the contract, and which of them are final. */
import { promotionStateValues } from './generated/promoter.js';
import type { PromotionState } from './types.js';

/**
 * Every promotion state, in the order a promotion moves through them.
 *
 * @example
 * ```ts
 * if (!PROMOTION_STATES.includes(input as PromotionState)) throw new Error(`unknown state ${input}`);
 * ```
 */
export const PROMOTION_STATES: readonly PromotionState[] = promotionStateValues;

/** The states a promotion ends in. `succeeded` is final too, though a rollback may later be requested. */
export const TERMINAL_STATES = ['succeeded', 'rejected', 'rolled_back', 'aborted', 'failed'] as const satisfies readonly PromotionState[];

export type TerminalState = (typeof TERMINAL_STATES)[number];

/**
 * Whether a promotion in this state has finished.
 *
 * @example
 * ```ts
 * const promotion = await client.promotions.get(id);
 * if (isTerminalState(promotion.state)) console.log('done:', promotion.state);
 * ```
 */
export function isTerminalState(state: string | null | undefined): state is TerminalState {
  return state != null && (TERMINAL_STATES as readonly string[]).includes(state);
}

/**
 * Whether a string names a promotion state (for validating user input such as a `--state` flag).
 *
 * @example
 * ```ts
 * isPromotionState('aborted'); // true
 * isPromotionState('done');    // false
 * ```
 */
export function isPromotionState(value: string): value is PromotionState {
  return (PROMOTION_STATES as readonly string[]).includes(value);
}

/**
 * The final states nothing can follow: the service accepts no action in them (no rollback, no release
 * finalization) and no state change leaves them. `succeeded` is final but not closed: a rollback or a
 * finalization may still be requested, so its timeline can still grow (`follow(id, { until: 'closed' })`).
 */
export const CLOSED_STATES = ['rejected', 'rolled_back', 'aborted', 'failed'] as const satisfies readonly TerminalState[];

export type ClosedState = (typeof CLOSED_STATES)[number];

/**
 * Whether nothing more can happen to a promotion in this state.
 *
 * @example
 * ```ts
 * const promotion = await client.promotions.get(id);
 * if (!isClosedState(promotion.state)) console.log('a rollback or a release may still come');
 * ```
 */
export function isClosedState(state: string | null | undefined): state is ClosedState {
  return state != null && (CLOSED_STATES as readonly string[]).includes(state);
}
