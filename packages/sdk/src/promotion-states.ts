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
