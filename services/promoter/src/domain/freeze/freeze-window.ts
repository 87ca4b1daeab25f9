/**
 * When a deployment freeze holds: a fixed window (two instants) or a weekly one (days, a time of day from
 * and to, in a time zone; `to` before `from` runs over midnight into the next day). Pure, no I/O; the
 * weekly window is read on the zone's wall clock, so it follows summer time wherever the zone does.
 */
import { addDays, firstInstantAt, localTime } from './local-time.js';

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface WeeklyWindow {
  /** The days on which the window opens (an overnight window closes the next day). */
  readonly days: readonly Weekday[];
  /** `HH:MM`, local time. */
  readonly from: string;
  /** `HH:MM` (or `24:00`, the end of the day), local time; before `from`: the next day. */
  readonly to: string;
  /** An IANA time zone, e.g. `Europe/Berlin`. */
  readonly timeZone: string;
}

export type FreezeWindow = { readonly start: string; readonly end: string } | { readonly weekly: WeeklyWindow };

/** `HH:MM` -> minutes since midnight; `24:00` is 1440. Undefined when malformed. */
export function clockMinutes(value: string): number | undefined {
  const match = /^([01]\d|2[0-4]):([0-5]\d)$/.exec(value);
  if (!match) return undefined;
  const minutes = Number(match[1]) * 60 + Number(match[2]);
  return minutes > 1440 ? undefined : minutes;
}

function minutesOf(value: string): number {
  const minutes = clockMinutes(value);
  // Windows reach the domain validated (freeze-validation.ts); a malformed one is a bug.
  if (minutes === undefined) throw new Error(`not a time of day: ${value}`);
  return minutes;
}

function weeklyActiveAt(window: WeeklyWindow, instant: number): boolean {
  const local = localTime(instant, window.timeZone);
  const from = minutesOf(window.from);
  const to = minutesOf(window.to);
  const today = WEEKDAYS[local.weekday] as Weekday;
  const yesterday = WEEKDAYS[(local.weekday + 6) % 7] as Weekday;
  if (from < to) return window.days.includes(today) && local.minutes >= from && local.minutes < to;
  // Over midnight: from `from` on an open day to `to` on the day after.
  return (window.days.includes(today) && local.minutes >= from) || (window.days.includes(yesterday) && local.minutes < to);
}

/** Whether the window holds at the instant (ms since the epoch). */
export function activeAt(window: FreezeWindow, instant: number): boolean {
  if ('weekly' in window) return weeklyActiveAt(window.weekly, instant);
  return instant >= Date.parse(window.start) && instant < Date.parse(window.end);
}

/** Weekly windows that open on consecutive days may chain; a week has 7 days, so 8 links cover any chain. */
const MAX_CHAINED_OCCURRENCES = 8;

/** The end of the weekly occurrence that holds at `instant` (which must hold). */
function occurrenceEnd(window: WeeklyWindow, instant: number): number {
  const local = localTime(instant, window.timeZone);
  const from = minutesOf(window.from);
  const to = minutesOf(window.to);
  const overnight = to <= from;
  // The occurrence opened today, unless it is the overnight tail of yesterday's.
  const openedOn = overnight && local.minutes < to ? addDays(local, -1) : local;
  const endsOn = overnight || to === 1440 ? addDays(openedOn, 1) : openedOn;
  // After `instant`: when the clock is set back, the end time may have been shown once already.
  return firstInstantAt(endsOn, to === 1440 ? 0 : to, window.timeZone, instant);
}

/**
 * When the freeze that holds at `instant` stops holding: the first later instant at which it is no longer
 * active (chained weekly occurrences count as one hold). `undefined` when it does not hold at `instant`,
 * or when a weekly window never lets go (every day, all day).
 */
export function endsAfter(window: FreezeWindow, instant: number): number | undefined {
  if (!activeAt(window, instant)) return undefined;
  if (!('weekly' in window)) return Date.parse(window.end);
  let end = instant;
  for (let link = 0; link < MAX_CHAINED_OCCURRENCES; link++) {
    const next = occurrenceEnd(window.weekly, end);
    if (next <= end) return undefined; // cannot happen for a validated window; never loop on it
    end = next;
    if (!weeklyActiveAt(window.weekly, end)) return end;
  }
  return undefined;
}
