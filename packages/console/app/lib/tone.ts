/**
 * The colour a state, and a sentence about it, is shown in: the outcome decides (a success is never red).
 * Always paired with words: the colour only repeats what the badge or the sentence says.
 */
import type { PromotionState } from '@promoter/sdk';

export type Tone = 'good' | 'bad' | 'warn' | 'active' | 'waiting' | 'neutral';

const STATE_TONE: Record<PromotionState, Tone> = {
  pending: 'neutral',
  analyzing: 'active',
  awaiting_approval: 'waiting',
  frozen: 'waiting',
  promoting: 'active',
  awaiting_merge: 'waiting',
  verifying: 'active',
  succeeded: 'good',
  rejected: 'bad',
  rolling_back: 'warn',
  rolled_back: 'bad',
  aborted: 'neutral',
  failed: 'bad',
};

export function stateTone(state: PromotionState): Tone {
  return STATE_TONE[state];
}

/**
 * A state's reason: green for a success, red for a failure, amber while rolling back, and the text's own
 * colour while the promotion is under way or was aborted (a progress note is not an alarm).
 */
export function reasonTone(state: PromotionState): 'good' | 'bad' | 'warn' | 'plain' {
  const tone = STATE_TONE[state];
  return tone === 'good' || tone === 'bad' || tone === 'warn' ? tone : 'plain';
}
