/**
 * A check's errors over a backtest, identical ones grouped. Over a window every interval is measured, and
 * when Prometheus fails throughout (or a query is wrong) each interval fails with the same message: 121
 * copies of one sentence hide what happened. One group per message says it once, how often, and when.
 */
import type { Measurement } from '../domain/judge/index.js';

export interface ErrorGroup {
  readonly message: string;
  readonly count: number;
  /** When the first and the last measurement with this error were about (ISO 8601). */
  readonly first: string;
  readonly last: string;
}

/** The measurements that are errors, grouped by message, in the order each message first appeared. */
export function groupErrors(measurements: readonly Pick<Measurement, 'result' | 'message' | 'measuredAt'>[]): ErrorGroup[] {
  const groups = new Map<string, { count: number; first: Date; last: Date }>();
  for (const { result, message, measuredAt } of measurements) {
    if (result !== 'error') continue;
    const group = groups.get(message);
    if (!group) groups.set(message, { count: 1, first: measuredAt, last: measuredAt });
    else groups.set(message, { count: group.count + 1, first: measuredAt < group.first ? measuredAt : group.first, last: measuredAt > group.last ? measuredAt : group.last });
  }
  return [...groups].map(([message, group]) => ({ message, count: group.count, first: group.first.toISOString(), last: group.last.toISOString() }));
}
