/**
 * Wall-clock time in an IANA time zone, through Intl only (no time-zone database of our own): what a
 * zone's clock shows at an instant, and the first instant at which it shows a given wall time. Pure.
 */

/** A local date and time of day, as a zone's clock shows it. `weekday` 0 is Sunday. */
export interface LocalTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly weekday: number;
  /** Minutes since local midnight. */
  readonly minutes: number;
  readonly seconds: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let found = formatters.get(timeZone);
  if (!found) {
    found = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    // Bounded: the zones come from stored freezes, a handful in practice.
    if (formatters.size > 500) formatters.clear();
    formatters.set(timeZone, found);
  }
  return found;
}

/** Whether Intl knows the zone (an unknown one throws a RangeError there). */
export function isKnownTimeZone(timeZone: string): boolean {
  if (timeZone.length === 0 || timeZone.length > 64) return false;
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

export function localTime(instant: number, timeZone: string): LocalTime {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(instant))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const year = parts.year ?? 0;
  const month = parts.month ?? 1;
  const day = parts.day ?? 1;
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  return { year, month, day, weekday, minutes: (parts.hour ?? 0) * 60 + (parts.minute ?? 0), seconds: parts.second ?? 0 };
}

/** The zone's offset from UTC at an instant, in ms (whole seconds). */
function offsetAt(instant: number, timeZone: string): number {
  const local = localTime(instant, timeZone);
  const asUtc = Date.UTC(local.year, local.month - 1, local.day, 0, local.minutes, local.seconds);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/** The local date-time as if it were UTC: a number that orders local clock readings. */
function wallKey(local: LocalTime): number {
  return Date.UTC(local.year, local.month - 1, local.day, 0, local.minutes, local.seconds);
}

const HOUR_MS = 3_600_000;

/**
 * The first instant at which the zone's clock shows `minutes` past midnight of the given local date (or
 * later, when that wall time is skipped by a change to summer time: then the instant of the change). When
 * the clock shows it twice (the change back), the first of the two that comes after `after`.
 */
export function firstInstantAt(
  date: { readonly year: number; readonly month: number; readonly day: number },
  minutes: number,
  timeZone: string,
  after = Number.NEGATIVE_INFINITY,
): number {
  const wall = Date.UTC(date.year, date.month - 1, date.day, 0, minutes);
  // Every zone's offset lies within +-14 h, and at most one change happens within a day around `wall`.
  const offsets = new Set([offsetAt(wall - 14 * HOUR_MS, timeZone), offsetAt(wall, timeZone), offsetAt(wall + 14 * HOUR_MS, timeZone)]);
  const candidates = [...offsets].map((offset) => wall - offset).sort((a, b) => a - b);
  const exact = candidates.find((instant) => instant > after && wallKey(localTime(instant, timeZone)) === wall);
  if (exact !== undefined) return exact;
  // Skipped wall time: between the candidates the clock jumps forward past it; find the jump (to the second).
  let low = candidates[0] ?? wall;
  let high = candidates.at(-1) ?? wall;
  while (high - low > 1000) {
    const middle = Math.floor((low + high) / 2000) * 1000;
    if (wallKey(localTime(middle, timeZone)) >= wall) high = middle;
    else low = middle;
  }
  return high;
}

/** The local date `days` after the given one (calendar arithmetic, no zone involved). */
export function addDays(date: { readonly year: number; readonly month: number; readonly day: number }, days: number): { year: number; month: number; day: number } {
  const shifted = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate() };
}
