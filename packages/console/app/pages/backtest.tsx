/**
 * Backtest: run a policy over a past window (`POST /v1/evaluations` with `window`) and see the verdict of
 * every interval on the same charts as a promotion's checks: "would this policy have stopped last Tuesday's
 * incident?". Patches nothing.
 */
import { useState } from 'preact/hooks';
import type { Check, Evaluation, EvaluationRequest } from '@promoter/sdk';
import { CheckPanel } from '../components/check-panel.js';
import { describeError } from '../lib/errors.js';
import { localInputValue, number, time } from '../lib/format.js';
import { useLive } from '../lib/live.js';
import { may, type Session } from '../lib/session.js';
import { ErrorLine } from '../components/error-line.js';


export function Backtest(props: { session: Session }) {
  const { client, principal } = props.session;
  const policies = useLive((signal) => client.policies.list({ signal }), [], null);
  const [result, setResult] = useState<Evaluation | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // The last hour as of the page's opening: defaults only, so a re-render (the run) keeps the window typed in.
  const [defaultWindow] = useState(() => {
    const now = new Date();
    return { start: localInputValue(new Date(now.getTime() - 3_600_000)), end: localInputValue(now) };
  });

  const run = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const field = (name: string) => String(form.get(name) ?? '').trim();
    const request: EvaluationRequest = {
      policy: field('policy'),
      target: { namespace: field('namespace'), deployment: field('deployment'), container: field('container') },
      phase: field('phase') as EvaluationRequest['phase'] & string,
      window: { start: new Date(field('start')).toISOString(), end: new Date(field('end')).toISOString() },
      ...(field('source') ? { source: { deployment: field('source') } } : {}),
    };
    setBusy(true);
    setError(null);
    try {
      setResult(await client.evaluations.create(request));
    } catch (caught) {
      setResult(null);
      setError(describeError(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="backtest-title">
      <h1 id="backtest-title">Backtest a policy</h1>
      <p class="muted">Runs the policy's checks at every interval of a past window against what Prometheus recorded. Nothing is patched.</p>
      {!may(principal, 'operator') && <p class="note">Backtests need an operator token; the API will refuse this one.</p>}
      <form class="backtest" onSubmit={run}>
        <label>
          Policy
          <select name="policy" required>
            {policies.data?.map((p) => (
              <option value={p.name}>{p.name}</option>
            ))}
          </select>
        </label>
        <label>
          Namespace <input name="namespace" required />
        </label>
        <label>
          Deployment <input name="deployment" required />
        </label>
        <label>
          Container <input name="container" required />
        </label>
        <label>
          Canary Deployment (optional) <input name="source" />
        </label>
        <label>
          Phase
          <select name="phase">
            <option value="pre">pre</option>
            <option value="rollout">rollout</option>
            <option value="post">post</option>
          </select>
        </label>
        <label>
          From <input type="datetime-local" name="start" required defaultValue={defaultWindow.start} />
        </label>
        <label>
          To <input type="datetime-local" name="end" required defaultValue={defaultWindow.end} />
        </label>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Running…' : 'Run backtest'}
        </button>
      </form>
      <ErrorLine message={error} />
      {result && <BacktestResult evaluation={result} checks={policies.data?.find((p) => p.name === result.policy.name)?.document.checks ?? []} />}
    </section>
  );
}

function BacktestResult(props: { evaluation: Evaluation; checks: readonly Check[] }) {
  const e = props.evaluation;
  return (
    <section class="backtest-result" data-verdict={e.verdict} aria-live="polite">
      <h2>
        Verdict: <span class={`result result-${e.verdict}`}>{e.verdict}</span>
      </h2>
      {e.reason && <p class="message">{e.reason}</p>}
      {e.checks.map((check) => (
        <CheckPanel key={check.name} id={`backtest:${check.name}`} name={check.name} check={props.checks.find((c) => c.name === check.name)} results={check.measurements}>
          <details open>
            <summary>Verdict per interval ({check.measurements.length})</summary>
            <table class="intervals">
              <thead>
                <tr>
                  <th scope="col">Interval</th>
                  <th scope="col">Value</th>
                  <th scope="col">Verdict</th>
                  <th scope="col">Why</th>
                </tr>
              </thead>
              <tbody>
                {check.measurements.map((m) => (
                  <tr data-interval={m.measuredAt} data-result={m.result}>
                    <td>{time(m.measuredAt)}</td>
                    <td>{number(m.value)}</td>
                    <td class={`result-${m.result}`}>{m.result}</td>
                    <td>{m.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        </CheckPanel>
      ))}
    </section>
  );
}
