/**
 * One check: its latest result and message, the chart of its measurements against the bound, the rendered
 * PromQL (and the baseline's) with a copy button, and a table of the measurements: the latest 50, newest
 * first, unless the caller passes a table of its own (the backtest lists every interval with its reason).
 */
import type { ComponentChildren } from 'preact';
import type { Check, CheckResult } from '@promoter/sdk';
import { number, time } from '../lib/format.js';
import { CheckChart } from './check-chart.js';
import { CopyButton } from './copy-button.js';

export function CheckPanel(props: { id: string; name: string; check: Check | undefined; results: readonly CheckResult[]; children?: ComponentChildren }) {
  const last = props.results.reduce<CheckResult | undefined>((latest, r) => (!latest || r.measuredAt >= latest.measuredAt ? r : latest), undefined);
  const failing = props.results.filter((r) => r.result === 'fail').length;
  return (
    <section class="check" data-check={props.name} aria-label={`check ${props.name}`}>
      <h3>
        {props.name} {last && <span class={`result result-${last.result}`}>{last.result}</span>}
        {/* How many measurements there are depends on when the page is read: left out of the screenshot check. */}
        <span class="muted" data-volatile>
          {' '}
          {props.results.length} measurement{props.results.length === 1 ? '' : 's'}, {failing} failed
        </span>
      </h3>
      {last && <p class="message">{last.message}</p>}
      <CheckChart id={props.id} name={props.name} check={props.check} results={props.results} />
      {last?.query && (
        <div class="query">
          <code>{last.query}</code>
          <CopyButton text={last.query} label={`Copy the PromQL of ${props.name}`} />
        </div>
      )}
      {last?.baselineQuery && (
        <div class="query">
          <code>{last.baselineQuery}</code>
          <CopyButton text={last.baselineQuery} label={`Copy the baseline PromQL of ${props.name}`} />
        </div>
      )}
      {props.children ?? <LatestMeasurements results={props.results} />}
    </section>
  );
}

function LatestMeasurements(props: { results: readonly CheckResult[] }) {
  return (
    <details>
      <summary>Latest measurements</summary>
      <table class="measurements">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Phase</th>
            <th scope="col">Value</th>
            <th scope="col">Baseline</th>
            <th scope="col">Result</th>
          </tr>
        </thead>
        <tbody>
          {props.results
            .slice(-50)
            .reverse()
            .map((r) => (
              <tr>
                <td>{time(r.measuredAt)}</td>
                <td>{r.phase}</td>
                <td>{number(r.value)}</td>
                <td>{number(r.baselineValue)}</td>
                <td class={`result-${r.result}`}>{r.result}</td>
              </tr>
            ))}
        </tbody>
      </table>
    </details>
  );
}
