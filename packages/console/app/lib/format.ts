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

// One formatter for every time shown: toLocaleString with options builds a new one per call, which cost
// tens of milliseconds per render of a page with a few hundred times on it.
const TIME = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });

export function time(iso: string): string {
  return TIME.format(new Date(iso));
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
