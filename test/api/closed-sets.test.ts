/**
 * The service's closed sets (states, event types, problem codes, verdicts) are the contract's enums: a
 * value added on one side only fails here, not in a client that meets it in production.
 */
import { expect, it } from 'vitest';
import { PROBLEM_CODES } from '../../services/promoter/src/errors.js';
import { EVENT_TYPES } from '../../services/promoter/src/domain/promotion-events.js';
import { PROMOTION_STATES } from '../../services/promoter/src/domain/promotion-state-machine.js';
import { openApiDocument } from '../fixtures/contract.js';

const schemas = (openApiDocument as { components: { schemas: Record<string, { enum?: unknown[] }> } }).components.schemas;
const enumOf = (name: string) => schemas[name]?.enum;

it.each([
  ['PromotionState', PROMOTION_STATES],
  ['EventType', EVENT_TYPES],
  ['ProblemCode', PROBLEM_CODES],
  ['CheckOutcome', ['pass', 'fail', 'inconclusive', 'error']],
] as const)('the contract enum %s is exactly the service set', (name, values) => {
  expect([...(enumOf(name) ?? [])].sort()).toEqual([...values].sort());
});
