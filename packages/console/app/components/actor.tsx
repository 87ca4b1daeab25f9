/** Who did something, as every page shows it: the name, and what kind of identity it is (issue 25). */
import type { PromotionEvent } from '@promoter/sdk';
import { actorTitle } from '../lib/approval.js';

/** A name, with what kind of identity it is on hover, and in small print for people and workloads. */
export function Actor(props: { name: string; identity: PromotionEvent['actorIdentity'] | undefined }) {
  const kind = props.identity?.kind;
  return (
    <span class="actor" title={actorTitle(props.identity)} data-actor-kind={kind}>
      {props.name}
      {kind && kind !== 'token' && <small class="actor-kind"> ({kind})</small>}
    </span>
  );
}
