/**
 * The promotion state machine: the states, the transitions allowed between them, and `transition()`, the
 * only way to make a state change (its result is what the stores write; nothing else can be written).
 * Pure, no I/O. The state lists here are checked against the contract's `PromotionState` enum by a test.
 */
export const PROMOTION_STATES = [
  'pending',
  'analyzing',
  'awaiting_approval',
  'frozen',
  'promoting',
  'awaiting_merge',
  'verifying',
  'succeeded',
  'rejected',
  'rolling_back',
  'rolled_back',
  'aborted',
  'failed',
] as const;

export type PromotionState = (typeof PROMOTION_STATES)[number];

export const ACTIVE_STATES = [
  'pending',
  'analyzing',
  'awaiting_approval',
  'frozen',
  'promoting',
  'awaiting_merge',
  'verifying',
  'rolling_back',
] as const satisfies readonly PromotionState[];

export type ActiveState = (typeof ACTIVE_STATES)[number];

export const TERMINAL_STATES = [
  'succeeded',
  'rejected',
  'rolled_back',
  'aborted',
  'failed',
] as const satisfies readonly PromotionState[];

const TRANSITIONS: Readonly<Record<PromotionState, readonly PromotionState[]>> = {
  // A deployment freeze holds a promotion before it starts and before it patches (never a rollback).
  pending: ['analyzing', 'frozen', 'aborted', 'failed'],
  analyzing: ['awaiting_approval', 'frozen', 'promoting', 'rejected', 'succeeded', 'aborted', 'failed'],
  awaiting_approval: ['promoting', 'frozen', 'aborted', 'failed'],
  // When the freeze ends the gate runs again: its measurements are stale after the wait.
  frozen: ['analyzing', 'aborted', 'failed'],
  // A repository that takes changes through pull requests: the change waits for the forge's merge.
  // Rejected before anything is changed: the image it is about to set is blocked (blocked-images).
  promoting: ['awaiting_merge', 'verifying', 'rolling_back', 'rejected', 'aborted', 'failed'],
  // Merged: the rollout is followed as after a push. Closed unmerged: nothing reached the branch. An abort
  // closes the pull request through the rollback step (which reverts instead if it was merged meanwhile).
  awaiting_merge: ['promoting', 'rolling_back', 'aborted', 'failed'],
  verifying: ['succeeded', 'rolling_back', 'failed'],
  // A succeeded promotion can be rolled back on request.
  succeeded: ['rolling_back'],
  rolling_back: ['rolled_back', 'aborted', 'failed'],
  rejected: [],
  rolled_back: [],
  aborted: [],
  failed: [],
};

export function isActive(state: PromotionState): state is ActiveState {
  return (ACTIVE_STATES as readonly PromotionState[]).includes(state);
}

export function isTerminal(state: PromotionState): boolean {
  return (TERMINAL_STATES as readonly PromotionState[]).includes(state);
}

export function canTransition(from: PromotionState, to: PromotionState): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isPromotionState(value: string): value is PromotionState {
  return (PROMOTION_STATES as readonly string[]).includes(value);
}

declare const checked: unique symbol;

/** A state change that `transition()` allowed; the stores accept nothing else. */
export interface Transition {
  readonly from: PromotionState;
  readonly to: PromotionState;
  readonly reason: string;
  /** Set when the change asked for was refused and replaced by `failed`: a bug, to be logged and counted. */
  readonly refused?: PromotionState;
  readonly [checked]: true;
}

/**
 * The change from `from` to `to`, if the machine allows it. A forbidden change is a bug in the caller: it
 * is not carried out; the promotion goes to `failed` instead, with a reason that says what was refused
 * (from a terminal state nothing can be written, and the result says so with `to === from`).
 */
export function transition(from: PromotionState, to: PromotionState, reason: string): Transition {
  if (canTransition(from, to)) return { from, to, reason } as Transition;
  const refusal = `internal error: the transition ${from} -> ${to} is not allowed (${reason})`;
  if (!canTransition(from, 'failed')) return { from, to: from, reason: refusal, refused: to } as Transition;
  return { from, to: 'failed', reason: refusal, refused: to } as Transition;
}

export const PROMOTION_ACTIONS = ['approve', 'abort', 'rollback', 'finalize'] as const;

/** The manual actions of the API and the states in which each is accepted. */
export const ACTION_ALLOWED_STATES = {
  approve: ['awaiting_approval'],
  abort: ['pending', 'analyzing', 'awaiting_approval', 'frozen', 'promoting', 'awaiting_merge', 'verifying'],
  rollback: ['succeeded'],
  // Finalization (the release commit and tag) runs after success, and again on request after a failure.
  finalize: ['succeeded'],
} as const satisfies Record<string, readonly PromotionState[]>;

export type PromotionAction = (typeof PROMOTION_ACTIONS)[number];

export function isPromotionAction(value: string): value is PromotionAction {
  return (PROMOTION_ACTIONS as readonly string[]).includes(value);
}
