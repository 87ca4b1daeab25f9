/** The colour of a state's reason follows the outcome (packages/console/app/lib/tone.ts). */
import { describe, expect, it } from 'vitest';
import { PROMOTION_STATES } from '@promoter/sdk';
import { reasonTone, stateTone } from '../../packages/console/app/lib/tone.js';

describe('reasonTone', () => {
  const cases: ReadonlyArray<[string, ReturnType<typeof reasonTone>]> = [
    ['succeeded', 'good'],
    ['rejected', 'bad'],
    ['rolled_back', 'bad'],
    ['failed', 'bad'],
    ['rolling_back', 'warn'],
    ['aborted', 'plain'],
    ['analyzing', 'plain'],
    ['verifying', 'plain'],
    ['awaiting_approval', 'plain'],
  ];
  it.each(cases)('%s: %s', (state, want) => {
    expect(reasonTone(state as (typeof PROMOTION_STATES)[number])).toBe(want);
  });

  it('is red only for a state whose badge is red', () => {
    for (const state of PROMOTION_STATES) expect(reasonTone(state) === 'bad', state).toBe(stateTone(state) === 'bad');
  });
});
