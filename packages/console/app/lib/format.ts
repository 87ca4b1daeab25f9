/** Formatting for people: durations, times, numbers. */

export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  return `${h}h ${m % 60}m`;
}

/**
 * Every time the console shows, in one format: `2026-12-05 14:03:07`, the browser's local time, 24-hour,
 * largest unit first, so it reads the same in every locale and sorts as text. Tables, the timeline, the
 * policy versions and the charts' axes all use these; nothing else formats a date. (Built from the Date's
 * own fields: an Intl formatter per call cost tens of milliseconds per render of a long page.)
 */
export function time(at: string | number | Date): string {
  const date = new Date(at);
  return `${day(date)} ${clock(date)}`;
}

/** `2026-12-05`, local. */
export function day(date: Date): string {
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}`;
}

/** `14:03:07`, or `14:03` without seconds, local. */
export function clock(date: Date, seconds = true): string {
  const hm = `${two(date.getHours())}:${two(date.getMinutes())}`;
  return seconds ? `${hm}:${two(date.getSeconds())}` : hm;
}

/**
 * Labels for a chart's time axis, ticks in Unix seconds `spacing` apart: the clock (seconds only when
 * ticks are less than a minute apart), with the day under the first tick and under each tick on a new day.
 */
export function axisTimes(ticks: readonly number[], spacing: number): string[] {
  let shownDay = '';
  return ticks.map((tick) => {
    const date = new Date(tick * 1000);
    const label = clock(date, spacing < 60);
    const today = day(date);
    if (today === shownDay) return label;
    shownDay = today;
    return `${label}\n${today}`;
  });
}

/** The value of a `datetime-local` input for `date` (the browser's local time, minutes). */
export function localInputValue(date: Date): string {
  return `${day(date)}T${clock(date, false)}`;
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}

export function number(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  return Math.abs(value) >= 1000 || value === 0 ? String(Math.round(value * 1000) / 1000) : String(Number(value.toPrecision(4)));
}

/** A Go-style duration (`30s`, `1h30m`, `250ms`) in milliseconds. */
export function parseDuration(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/([0-9]+)(ms|s|m|h|d)/g)) total += Number(amount) * (units[unit ?? 's'] ?? 0);
  return total;
}

/**
 * The cluster a promotion is in, when worth saying: `default` is the one cluster of a service that names
 * none, so it is not shown.
 */
export function clusterName(target: { readonly cluster?: string | undefined }): string | undefined {
  return target.cluster === undefined || target.cluster === 'default' ? undefined : target.cluster;
}
