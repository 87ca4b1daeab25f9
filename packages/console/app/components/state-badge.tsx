/** A promotion state in colour and in words (colour alone says nothing to some people). */
import type { PromotionState } from '@promoter/sdk';
import { stateTone } from '../lib/tone.js';

export function StateBadge(props: { state: PromotionState }) {
  return (
    <span class={`badge tone-${stateTone(props.state)}`} data-state={props.state}>
      {props.state.replace('_', ' ')}
    </span>
  );
}
