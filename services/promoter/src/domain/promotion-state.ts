/** Promotion states and the transitions between them (DESIGN.md section 4). Pure, no I/O. */
export const PROMOTION_STATES = [
  'pending',
  'analyzing',
  'awaiting_approval',
  'promoting',
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
  'promoting',
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
  pending: ['analyzing', 'aborted', 'failed'],
  analyzing: ['awaiting_approval', 'promoting', 'rejected', 'succeeded', 'aborted', 'failed'],
  awaiting_approval: ['promoting', 'aborted', 'failed'],
  promoting: ['verifying', 'rolling_back', 'aborted', 'failed'],
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

/** The manual actions of the API and the states in which each is accepted. */
export const ACTION_ALLOWED_STATES = {
  approve: ['awaiting_approval'],
  abort: ['pending', 'analyzing', 'awaiting_approval', 'promoting', 'verifying'],
  rollback: ['succeeded'],
} as const satisfies Record<string, readonly PromotionState[]>;

export type PromotionAction = keyof typeof ACTION_ALLOWED_STATES;
