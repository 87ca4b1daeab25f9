/**
 * Promotions, newest first, live: the list is read once, then the feed of every promotion's events
 * (`GET /v1/events`, server-sent events) adds new promotions and updates rows in place as their state
 * changes, without a reload. If the stream cannot be had, the list is read again every two seconds.
 * Filters are kept in the URL so a link can be shared.
 */
import { useEffect, useState } from 'preact/hooks';
import { PROMOTION_STATES, type Promotion, type PromotionState } from '@promoter/sdk';
import { ImageChange } from '../components/image-change.js';
import { StateBadge } from '../components/state-badge.js';
import { FreezeBanner } from '../components/freeze-banner.js';
import { describeError } from '../lib/errors.js';
import { followFeed } from '../lib/event-feed.js';
import { clusterName, duration, time } from '../lib/format.js';
import { navigate, type Location } from '../lib/router.js';
import type { Session } from '../lib/session.js';
import { upsertPromotion } from '../lib/promotion-rows.js';
import { reasonTone } from '../lib/tone.js';
import { useTicking } from '../lib/ticking.js';
import { ErrorLine } from '../components/error-line.js';

const FAILED: readonly PromotionState[] = ['rejected', 'rolled_back', 'failed', 'aborted'];
/** States whose reason says what the promotion waits for, shown under the target. */
const WAITING: readonly PromotionState[] = ['frozen'];
const LIMIT = 100;
const POLL_MS = 2_000;

export function PromotionsList(props: { session: Session; location: Location }) {
  const { query } = props.location;
  const { client } = props.session;
  const filters = { namespace: query.get('namespace') ?? '', deployment: query.get('deployment') ?? '', state: query.get('state') ?? '' };
  const [items, setItems] = useState<Promotion[] | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [polling, setPolling] = useState(false);
  const active = items?.some((p) => p.finishedAt === null) ?? false;
  useTicking(active ? 1_000 : null);

  useEffect(() => {
    setItems(undefined);
    setPolling(false);
    const controller = new AbortController();
    const { signal } = controller;
    const state = filters.state ? (filters.state as PromotionState) : undefined;
    const upsert = (list: Promotion[], promotion: Promotion) => upsertPromotion(list, promotion, { state, limit: LIMIT });
    // Rows the feed brought while the list was being read: applied on top of what the read returns.
    let arrived: Promotion[] | null = null;
    const read = async () => {
      arrived = [];
      try {
        const page = await client.promotions.list(
          {
            limit: LIMIT,
            ...(filters.namespace ? { namespace: filters.namespace } : {}),
            ...(filters.deployment ? { deployment: filters.deployment } : {}),
            ...(state ? { state } : {}),
          },
          { signal },
        );
        if (signal.aborted) return;
        const late: Promotion[] = arrived ?? [];
        setItems(late.reduce(upsert, page.items));
        setError(null);
      } catch (caught) {
        if (!signal.aborted) setError(describeError(caught));
      } finally {
        arrived = null;
      }
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      await read();
      if (!signal.aborted) timer = setTimeout(poll, POLL_MS);
    };
    const feedFilters = { ...(filters.namespace ? { namespace: filters.namespace } : {}), ...(filters.deployment ? { deployment: filters.deployment } : {}) };
    followFeed(
      client,
      feedFilters,
      {
        // A fresh stream starts now: read the list as it stands; a resumed one missed nothing.
        onReady: (_after, resumed) => {
          if (!resumed) void read();
        },
        onEvent: ({ promotion }) => {
          if (arrived) arrived.push(promotion);
          else setItems((current) => current && upsert(current, promotion));
        },
      },
      signal,
    ).catch(() => {
      if (signal.aborted) return;
      setPolling(true);
      void poll();
    });
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the list depends on the filters only
  }, [filters.namespace, filters.deployment, filters.state]);

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
      <FreezeBanner client={client} namespace={filters.namespace || undefined} />
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
      <ErrorLine message={error} />
      {polling && <p class="muted">The live event stream is unavailable; the list is read again every two seconds.</p>}
      {items === undefined ? (
        <p class="muted">Loading…</p>
      ) : items.length === 0 ? (
        <p class="muted">No promotions{filters.namespace || filters.deployment || filters.state ? ' match these filters' : ' yet'}.</p>
      ) : (
        <div class="table-scroll">
          <table class="promotions" aria-live="polite" data-live={polling ? 'polling' : 'stream'}>
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
              {items.map((promotion) => (
                <Row key={promotion.id} promotion={promotion} />
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
  return (
    <tr data-promotion={p.id} data-state={p.state}>
      <td>
        <StateBadge state={p.state} />
        {p.dryRun && <span class="tag">dry run</span>}
      </td>
      <td>
        {clusterName(p.target) && <span class="tag cluster">{clusterName(p.target)}</span>}
        <a href={`/ui/promotions/${p.id}`}>
          {p.target.namespace}/{p.target.deployment}
        </a>
        {(FAILED.includes(p.state) || WAITING.includes(p.state)) && p.stateReason && <div class={`reason tone-${reasonTone(p.state)}`}>{p.stateReason}</div>}
      </td>
      <td class="images">
        <ImageChange promotion={p} />
      </td>
      <td>{p.actor}</td>
      <td>
        <time dateTime={p.createdAt}>{time(p.createdAt)}</time>
      </td>
      <td data-volatile>{duration(end - Date.parse(p.createdAt))}</td>
    </tr>
  );
}

