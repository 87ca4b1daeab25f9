/** A promotion state in colour and in words (colour alone says nothing to some people). */
import type { PromotionState } from '@promoter/sdk';

const TONE: Record<PromotionState, string> = {
  pending: 'neutral',
  analyzing: 'active',
  awaiting_approval: 'waiting',
  promoting: 'active',
  verifying: 'active',
  succeeded: 'good',
  rejected: 'bad',
  rolling_back: 'warn',
  rolled_back: 'bad',
  aborted: 'neutral',
  failed: 'bad',
};

export function StateBadge(props: { state: PromotionState }) {
  return (
    <span class={`badge tone-${TONE[props.state]}`} data-state={props.state}>
      {props.state.replace('_', ' ')}
    </span>
  );
}
