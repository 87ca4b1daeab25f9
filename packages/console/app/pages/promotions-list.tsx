/**
 * Promotions, newest first, live: the list is read again every two seconds (new promotions and state
 * changes appear without a reload). Filters are kept in the URL so a link can be shared.
 */
import { PROMOTION_STATES, type Promotion, type PromotionState } from '@promoter/sdk';
import { StateBadge } from '../components/state-badge.js';
import { duration } from '../lib/format.js';
import { useLive } from '../lib/live.js';
import { navigate, type Location } from '../lib/router.js';
import type { Session } from '../lib/session.js';

const FAILED: readonly PromotionState[] = ['rejected', 'rolled_back', 'failed', 'aborted'];

export function PromotionsList(props: { session: Session; location: Location }) {
  const { query } = props.location;
  const filters = { namespace: query.get('namespace') ?? '', deployment: query.get('deployment') ?? '', state: query.get('state') ?? '' };
  const live = useLive(
    (signal) =>
      props.session.client.promotions.list(
        {
          limit: 100,
          ...(filters.namespace ? { namespace: filters.namespace } : {}),
          ...(filters.deployment ? { deployment: filters.deployment } : {}),
          ...(filters.state ? { state: filters.state as PromotionState } : {}),
        },
        { signal },
      ),
    [filters.namespace, filters.deployment, filters.state],
    2_000,
  );

  const setFilter = (name: keyof typeof filters, value: string) => {
    const next = new URLSearchParams(query);
    if (value) next.set(name, value);
    else next.delete(name);
    const search = next.toString();
    navigate(`/${search ? `?${search}` : ''}`, { replace: true });
  };

  return (
    <section aria-labelledby="promotions-title">
      <h1 id="promotions-title">Promotions</h1>
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Namespace
          <input name="namespace" value={filters.namespace} onChange={(e) => setFilter('namespace', (e.target as HTMLInputElement).value.trim())} />
        </label>
        <label>
          Deployment
          <input name="deployment" value={filters.deployment} onChange={(e) => setFilter('deployment', (e.target as HTMLInputElement).value.trim())} />
        </label>
        <label>
          State
          <select name="state" value={filters.state} onChange={(e) => setFilter('state', (e.target as HTMLSelectElement).value)}>
            <option value="">any</option>
            {PROMOTION_STATES.map((state) => (
              <option value={state}>{state}</option>
            ))}
          </select>
        </label>
      </form>
      {live.error && (
        <p class="error" role="alert">
          {live.error}
        </p>
      )}
      {live.data === undefined ? (
        <p class="muted">Loading…</p>
      ) : live.data.items.length === 0 ? (
        <p class="muted">No promotions{filters.namespace || filters.deployment || filters.state ? ' match these filters' : ' yet'}.</p>
      ) : (
        <div class="table-scroll">
          <table class="promotions" aria-live="polite">
            <thead>
              <tr>
                <th scope="col">State</th>
                <th scope="col">Target</th>
                <th scope="col">Images</th>
                <th scope="col">Actor</th>
                <th scope="col">Started</th>
                <th scope="col">Duration</th>
              </tr>
            </thead>
            <tbody>
              {live.data.items.map((promotion) => (
                <Row promotion={promotion} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Row(props: { promotion: Promotion }) {
  const p = props.promotion;
  const end = p.finishedAt ? Date.parse(p.finishedAt) : Date.now();
  const to = p.resolvedImage ?? p.image ?? (p.source ? `canary of ${p.source.deployment}` : '–');
  return (
    <tr data-promotion={p.id} data-state={p.state}>
      <td>
        <StateBadge state={p.state} />
        {p.dryRun && <span class="tag">dry run</span>}
      </td>
      <td>
        <a href={`/ui/promotions/${p.id}`}>
          {p.target.namespace}/{p.target.deployment}
        </a>
        {FAILED.includes(p.state) && p.stateReason && <div class="reason">{p.stateReason}</div>}
      </td>
      <td class="images">
        <span>{p.previousImage ?? '…'}</span> → <span>{to}</span>
      </td>
      <td>{p.actor}</td>
      <td>
        <time dateTime={p.createdAt}>{new Date(p.createdAt).toLocaleString()}</time>
      </td>
      <td>{duration(end - Date.parse(p.createdAt))}</td>
    </tr>
  );
}
