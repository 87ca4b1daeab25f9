/**
 * Blocked images: what must not be promoted, why, who blocked it and when, and, for the engine's own blocks
 * (policy blockOnRollback), a link to the promotion a failed check rolled back. Lifted blocks stay in the
 * record and are shown with "lifted" (who, when, why). The state filter lives in the query string.
 */
import type { BlockedImage } from '@promoter/sdk';
import { Actor } from '../components/actor.js';
import { time } from '../lib/format.js';
import { useLive } from '../lib/live.js';
import { navigate, type Location } from '../lib/router.js';
import type { Session } from '../lib/session.js';
import { ErrorLine } from '../components/error-line.js';

const STATES = ['active', 'lifted', 'all'] as const;
type State = (typeof STATES)[number];

export function BlockedImagesList(props: { session: Session; location: Location }) {
  const asked = props.location.query.get('state');
  const state: State = (STATES as readonly string[]).includes(asked ?? '') ? (asked as State) : 'active';
  const live = useLive((signal) => props.session.client.blockedImages.list({ state, limit: 500 }, { signal }), [state], 10_000);
  const items = live.data;
  return (
    <section aria-labelledby="blocked-title">
      <h1 id="blocked-title">Blocked images</h1>
      <p class="muted">Promotions of these images are refused until the block is lifted (promoter block lift ID --reason TEXT).</p>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Show
          <select name="state" value={state} onChange={(e) => navigate(`/blocked-images?state=${(e.target as HTMLSelectElement).value}`, { replace: true })}>
            {STATES.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </label>
      </form>
      <ErrorLine message={live.error} />
      {items === undefined ? (
        <p class="muted">Loading…</p>
      ) : items.length === 0 ? (
        <p class="muted">{state === 'active' ? 'No image is blocked.' : `No ${state === 'all' ? '' : `${state} `}blocks.`}</p>
      ) : (
        <div class="table-scroll">
          <table class="blocked-images">
            <thead>
              <tr>
                <th scope="col">Image</th>
                <th scope="col">Scope</th>
                <th scope="col">Reason</th>
                <th scope="col">By</th>
                <th scope="col">When</th>
                <th scope="col">Source</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {items.map((block) => (
                <Row key={block.id} block={block} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Row(props: { block: BlockedImage }) {
  const b = props.block;
  return (
    <tr data-block={b.id} data-state={b.state}>
      <td class="images">
        <code title={b.image === b.normalizedImage ? undefined : `given as ${b.image}`}>{b.normalizedImage}</code>
      </td>
      <td>{b.namespace ?? 'all namespaces'}</td>
      <td>{b.reason}</td>
      <td>
        <Actor name={b.createdBy} identity={b.createdByIdentity} />
      </td>
      <td data-volatile>
        <time dateTime={b.createdAt}>{time(b.createdAt)}</time>
      </td>
      <td>{b.promotionId ? <a href={`/ui/promotions/${b.promotionId}`}>rolled back by a failed check</a> : 'manual'}</td>
      <td>
        {b.state === 'active' ? (
          'active'
        ) : (
          <span>
            lifted by <Actor name={b.liftedBy ?? '?'} identity={b.liftedByIdentity} /> <span data-volatile>{b.liftedAt ? time(b.liftedAt) : ''}</span>: {b.liftReason}
          </span>
        )}
      </td>
    </tr>
  );
}
