/**
 * A banner while a deployment freeze holds in scope: its name, until when, why and who put it. Re-read every 30 s
 * (freezes change rarely); nothing is shown when none holds or when they cannot be read.
 */
import type { PromoterClient } from '@promoter/sdk';
import { freezesInScope } from '../lib/freezes.js';
import { time } from '../lib/format.js';
import { Actor } from './actor.js';
import { useLive } from '../lib/live.js';

export function FreezeBanner(props: { client: PromoterClient; namespace?: string | undefined }) {
  const live = useLive((signal) => props.client.freezes.list({ signal }), [], 30_000);
  const holding = freezesInScope(live.data ?? [], props.namespace);
  if (holding.length === 0) return null;
  return (
    <div class="note freeze-banner" role="status" data-freezes={holding.map((f) => f.name).join(' ')}>
      {holding.map((freeze) => (
        <p>
          <strong>Deployment freeze {freeze.name}</strong> holds {freeze.scope.namespaces ? `namespaces ${freeze.scope.namespaces.join(', ')}` : 'every namespace'}
          {freeze.scope.clusters ? ` in clusters ${freeze.scope.clusters.join(', ')}` : ''}
          {freeze.until ? (
            <>
              {' '}
              until <time dateTime={freeze.until}>{time(freeze.until)}</time>
            </>
          ) : null}
          : {freeze.reason} (put by <Actor name={freeze.updatedBy} identity={freeze.updatedByIdentity} />). Promotions wait in <em>frozen</em>; rollbacks are never held.
        </p>
      ))}
    </div>
  );
}
