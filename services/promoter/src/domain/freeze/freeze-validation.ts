/**
 * The checks of a freeze that its JSON schema cannot make: instants that parse and are in order, times of
 * day, a time zone Intl knows, days named once, a weekly window that lets go some time. Field errors carry
 * JSON pointers under the given prefix.
 */
import { activeAt, clockMinutes, endsAfter, type FreezeWindow, type WeeklyWindow, WEEKDAYS } from './freeze-window.js';
import { isKnownTimeZone } from './local-time.js';

export interface FreezeFieldError {
  readonly pointer: string;
  readonly detail: string;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/i;

function instant(value: string): number | undefined {
  const match = RFC3339.exec(value);
  if (!match) return undefined;
  // Date.parse rolls 31 February over into March: the calendar date must exist.
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? undefined : parsed;
}

/** A window as the contract's schema lets it through: any of the three fields, each well-formed. */
export interface FreezeWindowInput {
  readonly start?: string;
  readonly end?: string;
  readonly weekly?: WeeklyWindow;
}

/** The window, fixed or weekly, or the field errors that say why it is neither. */
export function checkFreezeWindow(input: FreezeWindowInput, prefix: string): { window: FreezeWindow } | { problems: FreezeFieldError[] } {
  const { start, end, weekly } = input;
  if (weekly !== undefined) {
    if (start !== undefined || end !== undefined) return { problems: [{ pointer: `${prefix}/${start !== undefined ? 'start' : 'end'}`, detail: 'give either start and end, or weekly, not both' }] };
    const window: FreezeWindow = { weekly };
    const problems = validateFreezeWindow(window, prefix);
    return problems.length > 0 ? { problems } : { window };
  }
  if (start === undefined || end === undefined) {
    return { problems: [{ pointer: `${prefix}/${start === undefined ? 'start' : 'end'}`, detail: 'is required (or give weekly instead of start and end)' }] };
  }
  const window: FreezeWindow = { start, end };
  const problems = validateFreezeWindow(window, prefix);
  return problems.length > 0 ? { problems } : { window };
}

export function validateFreezeWindow(window: FreezeWindow, prefix: string): FreezeFieldError[] {
  if (!('weekly' in window)) {
    const start = instant(window.start);
    const end = instant(window.end);
    const problems: FreezeFieldError[] = [];
    if (start === undefined) problems.push({ pointer: `${prefix}/start`, detail: 'must be an RFC 3339 date-time with an offset, e.g. 2026-12-24T00:00:00Z' });
    if (end === undefined) problems.push({ pointer: `${prefix}/end`, detail: 'must be an RFC 3339 date-time with an offset, e.g. 2026-12-27T00:00:00Z' });
    if (start !== undefined && end !== undefined && end <= start) problems.push({ pointer: `${prefix}/end`, detail: 'must be after start' });
    return problems;
  }
  const weekly = window.weekly;
  const at = `${prefix}/weekly`;
  const problems: FreezeFieldError[] = [];
  weekly.days.forEach((day, index) => {
    if (!(WEEKDAYS as readonly string[]).includes(day)) problems.push({ pointer: `${at}/days/${index}`, detail: `must be one of ${WEEKDAYS.join(', ')}` });
    else if (weekly.days.indexOf(day) !== index) problems.push({ pointer: `${at}/days/${index}`, detail: `'${day}' is named twice` });
  });
  const from = clockMinutes(weekly.from);
  const to = clockMinutes(weekly.to);
  if (from === undefined || from === 1440) problems.push({ pointer: `${at}/from`, detail: 'must be a time of day HH:MM (00:00 to 23:59)' });
  if (to === undefined) problems.push({ pointer: `${at}/to`, detail: 'must be a time of day HH:MM (00:00 to 24:00)' });
  if (from !== undefined && to !== undefined && from === to) problems.push({ pointer: `${at}/to`, detail: 'must differ from from (use 00:00 to 24:00 for a whole day)' });
  if (!isKnownTimeZone(weekly.timeZone)) problems.push({ pointer: `${at}/timeZone`, detail: `'${weekly.timeZone}' is not a time zone this server knows (an IANA name, e.g. Europe/Berlin)` });
  if (problems.length === 0 && neverEnds(window)) problems.push({ pointer: `${at}/days`, detail: 'the window never ends (every day, all day): give fixed start and end instead' });
  return problems;
}

/** A weekly window that holds now and never lets go holds always (a week-long chain ends within 8 links). */
function neverEnds(window: FreezeWindow): boolean {
  const now = Date.now();
  return activeAt(window, now) && endsAfter(window, now) === undefined;
}
