/**
 * The SDK is published on its own and carries its own copy of the promotion states. Which states are
 * final decides when `follow` and `waitForPromotion` stop: a copy that lags behind the service would wait
 * forever on a new final state. Both lists must equal the service's, in the same order.
 */
import { expect, it } from 'vitest';
import { CLOSED_STATES, PROMOTION_STATES, TERMINAL_STATES } from '@promoter/sdk';
import * as service from '../../services/promoter/src/domain/promotion-state-machine.js';

it("the SDK's promotion states and final states are the service's", () => {
  expect([...PROMOTION_STATES]).toEqual([...service.PROMOTION_STATES]);
  expect([...TERMINAL_STATES]).toEqual([...service.TERMINAL_STATES]);
});

it("the SDK's closed states are the service's final states that no action and no transition leaves", () => {
  const closed = service.TERMINAL_STATES.filter(
    (state) =>
      !Object.values(service.ACTION_ALLOWED_STATES).some((states) => (states as readonly string[]).includes(state)) &&
      !service.PROMOTION_STATES.some((to) => service.canTransition(state, to)),
  );
  expect([...CLOSED_STATES]).toEqual(closed);
});
