/**
 * Policies: the latest version of each; one policy's YAML with its versions, a diff between two versions,
 * and which promotions used each version (from the most recent promotions: up to 1,000).
 */
import type { Promotion } from '@promoter/sdk';
import { StateBadge } from '../components/state-badge.js';
import { Actor } from '../components/actor.js';
import { compareWith, diffLines } from '../lib/diff.js';
import { time } from '../lib/format.js';
import { useLive } from '../lib/live.js';
import { navigate, type Location } from '../lib/router.js';
import type { Session } from '../lib/session.js';
import { POLICY_ORDER } from '../lib/policy-order.js';
import { toYaml } from '../lib/yaml.js';

const PROMOTIONS_SCANNED = 1_000;

export function PoliciesList(props: { session: Session }) {
  const live = useLive((signal) => props.session.client.policies.list({ signal }), [], null);
  return (
    <section aria-labelledby="policies-title">
      <h1 id="policies-title">Policies</h1>
      {live.error && <p class="error" role="alert">{live.error}</p>}
      {live.data?.length === 0 && <p class="muted">No policies yet: PUT one to /v1/policies/NAME.</p>}
      <ul class="policy-list">
        {live.data?.map((policy) => (
          <li data-policy={policy.name}>
            <a href={`/ui/policies/${policy.name}`}>{policy.name}</a> <span class="muted">v{policy.version} by <Actor name={policy.createdBy} identity={policy.createdByIdentity} />, {time(policy.createdAt)}</span>
            {policy.document.description && <div>{policy.document.description}</div>}
          </li>
        ))}
      </ul>
    </section>
  );
}

export function PolicyPage(props: { session: Session; name: string; location: Location }) {
  const { client } = props.session;
  const versions = useLive((signal) => client.policies.versions(props.name, { signal }), [props.name], null);
  const usage = useLive(
    async (signal) => {
      const used: Promotion[] = [];
      let seen = 0;
      for await (const page of client.promotions.listPages({ limit: 200 }, { signal })) {
        used.push(...page.items.filter((p) => p.policy.name === props.name));
        seen += page.items.length;
        if (seen >= PROMOTIONS_SCANNED) break;
      }
      return used;
    },
    [props.name],
    null,
  );
  const list = versions.data ?? [];
  const latest = list[0]?.version;
  const selected = Number(props.location.query.get('version') ?? latest);
  const requested = props.location.query.get('compare');
  const compare = compareWith(
    list.map((v) => v.version),
    selected,
    requested === null ? undefined : Number(requested),
  );
  const shown = list.find((v) => v.version === selected);
  const other = list.find((v) => v.version === compare);
  const set = (key: 'version' | 'compare', value: string) => {
    const next = new URLSearchParams(props.location.query);
    next.set(key, value);
    navigate(`/policies/${props.name}?${next.toString()}`, { replace: true });
  };

  return (
    <article aria-labelledby="policy-title">
      <h1 id="policy-title">Policy {props.name}</h1>
      {versions.error && <p class="error" role="alert">{versions.error}</p>}
      {shown && (
        <>
          <form class="filters" onSubmit={(e) => e.preventDefault()}>
            <label>
              Version
              <select name="version" value={String(selected)} onChange={(e) => set('version', (e.target as HTMLSelectElement).value)}>
                {list.map((v) => (
                  <option value={String(v.version)}>
                    v{v.version} ({v.source}, {v.createdBy}, {time(v.createdAt)})
                  </option>
                ))}
              </select>
            </label>
            {other && (
              <label>
                Compare with
                <select name="compare" value={String(other.version)} onChange={(e) => set('compare', (e.target as HTMLSelectElement).value)}>
                  {list
                    .filter((v) => v.version !== shown.version)
                    .map((v) => (
                      <option value={String(v.version)}>v{v.version}</option>
                    ))}
                </select>
              </label>
            )}
          </form>
          <div class={other ? 'two-columns' : undefined}>
            <section>
              <h2>v{shown.version} as YAML</h2>
              <p class="muted" data-rendering>
                Rendered from the stored document in the documented field order: the service keeps a policy as data, so the comments and
                layout of the YAML it was sent are not kept.
              </p>
              <pre class="yaml" data-yaml>{toYaml(shown.document, POLICY_ORDER)}</pre>
            </section>
            {other && (
              <section>
                <h2>
                  Diff v{other.version} → v{shown.version}
                </h2>
                <pre class="diff" data-diff>
                  {diffLines(toYaml(other.document, POLICY_ORDER), toYaml(shown.document, POLICY_ORDER)).map((line) => (
                    <div class={`diff-${line.kind}`}>
                      {line.kind === 'added' ? '+ ' : line.kind === 'removed' ? '- ' : '  '}
                      {line.text}
                    </div>
                  ))}
                </pre>
              </section>
            )}
          </div>
        </>
      )}
      <h2>Promotions by version</h2>
      {usage.error && <p class="error" role="alert">{usage.error}</p>}
      {usage.data === undefined ? (
        <p class="muted">Loading…</p>
      ) : (
        list.map((v) => {
          const used = usage.data!.filter((p) => p.policy.version === v.version);
          return (
            <section data-version-usage={v.version}>
              <h3>
                v{v.version}: {used.length} promotion{used.length === 1 ? '' : 's'}
              </h3>
              <ul>
                {used.slice(0, 20).map((p) => (
                  <li>
                    <StateBadge state={p.state} /> <a href={`/ui/promotions/${p.id}`}>{p.target.namespace}/{p.target.deployment}</a> <span class="muted">{time(p.createdAt)}</span>
                  </li>
                ))}
              </ul>
            </section>
          );
        })
      )}
    </article>
  );
}
