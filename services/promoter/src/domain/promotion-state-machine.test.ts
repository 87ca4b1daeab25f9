import { describe, expect, it } from 'vitest';
import {
  ACTION_ALLOWED_STATES,
  ACTIVE_STATES,
  PROMOTION_STATES,
  TERMINAL_STATES,
  canTransition,
  isActive,
  isPromotionState,
  isTerminal,
  type PromotionAction,
  type PromotionState,
} from './promotion-state-machine.js';

const exits = (from: PromotionState) => PROMOTION_STATES.filter((to) => canTransition(from, to));

function reachable(from: PromotionState): Set<PromotionState> {
  const seen = new Set<PromotionState>([from]);
  const queue = [from];
  for (let state = queue.shift(); state !== undefined; state = queue.shift()) {
    for (const next of exits(state)) {
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return seen;
}

describe('promotion states', () => {
  it('active and terminal states partition the states', () => {
    const active = new Set<PromotionState>(ACTIVE_STATES);
    const terminal = new Set<PromotionState>(TERMINAL_STATES);
    expect([...active].filter((s) => terminal.has(s))).toEqual([]);
    expect([...active, ...terminal].sort()).toEqual([...PROMOTION_STATES].sort());
    expect(new Set(PROMOTION_STATES).size).toBe(PROMOTION_STATES.length);
    for (const state of PROMOTION_STATES) expect(isActive(state)).toBe(!isTerminal(state));
  });

  it.each(TERMINAL_STATES.filter((s) => s !== 'succeeded'))('terminal %s has no exits', (state) => {
    expect(exits(state)).toEqual([]);
  });

  it('succeeded is terminal but leaves only for a requested rollback (the API rolls back a finished promotion)', () => {
    expect(exits('succeeded')).toEqual(['rolling_back']);
    expect(ACTION_ALLOWED_STATES.rollback).toEqual(['succeeded']);
  });

  it.each(ACTIVE_STATES)('active %s can still fail and can reach a terminal state', (state) => {
    expect(canTransition(state, 'failed')).toBe(true);
    expect([...reachable(state)].some((s) => isTerminal(s))).toBe(true);
  });

  it('no state leads back to pending, and no state leads to itself', () => {
    for (const state of PROMOTION_STATES) {
      expect(canTransition(state, 'pending')).toBe(false);
      expect(canTransition(state, state)).toBe(false);
    }
  });

  it('every state is reachable from pending', () => {
    expect([...reachable('pending')].sort()).toEqual([...PROMOTION_STATES].sort());
  });

  // The states and edges README.md's "Promotion states" documents, edge by edge.
  const documented: ReadonlyArray<[PromotionState, PromotionState]> = [
    ['pending', 'analyzing'],
    ['analyzing', 'awaiting_approval'],
    ['analyzing', 'promoting'],
    ['awaiting_approval', 'promoting'],
    ['promoting', 'verifying'],
    ['verifying', 'succeeded'],
    ['analyzing', 'rejected'],
    ['analyzing', 'succeeded'], // a dry run stops after the gate with its verdict
    ['promoting', 'rolling_back'],
    ['promoting', 'rejected'], // the image it is about to set is blocked; nothing is patched
    ['verifying', 'rolling_back'],
    ['rolling_back', 'rolled_back'],
    ['pending', 'frozen'], // a freeze holds a promotion before it starts
    ['analyzing', 'frozen'], // and before it patches
    ['awaiting_approval', 'frozen'],
    ['frozen', 'analyzing'], // when the freeze ends the gate runs again
    ['frozen', 'aborted'],
  ];
  it.each(documented)('%s -> %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
  });

  const forbidden: ReadonlyArray<[PromotionState, PromotionState]> = [
    ['pending', 'promoting'], // the gate cannot be skipped
    ['awaiting_approval', 'succeeded'],
    ['analyzing', 'rolling_back'], // nothing is patched yet
    ['pending', 'rolling_back'],
    ['rejected', 'promoting'],
    ['rolled_back', 'rolling_back'],
    ['verifying', 'rejected'], // patched already: a block never undoes a change, only a rollback does
    ['aborted', 'analyzing'],
    ['failed', 'rolling_back'],
    ['frozen', 'promoting'], // metrics are stale after a freeze: the gate runs again
    ['rolling_back', 'frozen'], // rollbacks are never frozen
    ['succeeded', 'frozen'],
    ['promoting', 'frozen'], // once patching, a freeze does not interrupt
  ];
  it.each(forbidden)('not %s -> %s', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
  });

  it('isPromotionState knows exactly the states', () => {
    for (const state of PROMOTION_STATES) expect(isPromotionState(state)).toBe(true);
    for (const other of ['', 'Pending', 'running', 'succeeded ', 'toString', '__proto__']) expect(isPromotionState(other)).toBe(false);
  });
});

describe('ACTION_ALLOWED_STATES', () => {
  const actions = Object.keys(ACTION_ALLOWED_STATES) as PromotionAction[];

  it.each(actions)('%s is accepted only in active or succeeded states', (action) => {
    for (const state of ACTION_ALLOWED_STATES[action]) {
      expect(isActive(state) || state === 'succeeded', state).toBe(true);
    }
  });

  it('abort is not accepted in any terminal state', () => {
    for (const state of TERMINAL_STATES) expect((ACTION_ALLOWED_STATES.abort as readonly PromotionState[]).includes(state)).toBe(false);
  });

  it('abort from each allowed state has a way to aborted: directly, or rolling back first when patched', () => {
    for (const state of ACTION_ALLOWED_STATES.abort) {
      const direct = canTransition(state, 'aborted');
      const viaRollback = canTransition(state, 'rolling_back') && canTransition('rolling_back', 'aborted');
      expect(direct || viaRollback, state).toBe(true);
    }
  });

  it('approve moves awaiting_approval on to promoting; rollback moves succeeded to rolling_back', () => {
    expect(ACTION_ALLOWED_STATES.approve).toEqual(['awaiting_approval']);
    expect(canTransition('awaiting_approval', 'promoting')).toBe(true);
    expect(canTransition('succeeded', 'rolling_back')).toBe(true);
  });
});
