import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { activeAt, endsAfter, WEEKDAYS, type FreezeWindow, type Weekday } from './freeze-window.js';
import { checkFreezeWindow, validateFreezeWindow } from './freeze-validation.js';

const at = (iso: string) => Date.parse(iso);
const weekly = (days: Weekday[], from: string, to: string, timeZone = 'Europe/Berlin'): FreezeWindow => ({ weekly: { days, from, to, timeZone } });

describe('activeAt and endsAfter across changes of the clock (Europe/Berlin, 2026)', () => {
  // Summer time starts Sun 29 Mar 2026 at 01:00Z (02:00 -> 03:00) and ends Sun 25 Oct 2026 at 01:00Z (03:00 -> 02:00).
  const cases: ReadonlyArray<[string, { window: FreezeWindow; t: string; active: boolean; ends?: string }]> = [
    ['a weekend over the change to summer time ends at local midnight, 22:00Z', { window: weekly(['sat', 'sun'], '00:00', '24:00'), t: '2026-03-28T11:00:00Z', active: true, ends: '2026-03-29T22:00:00Z' }],
    ['the same weekend a week earlier ends at 23:00Z', { window: weekly(['sat', 'sun'], '00:00', '24:00'), t: '2026-03-21T11:00:00Z', active: true, ends: '2026-03-22T23:00:00Z' }],
    ['an overnight window over the change is an hour shorter', { window: weekly(['sat'], '22:00', '04:00'), t: '2026-03-28T22:00:00Z', active: true, ends: '2026-03-29T02:00:00Z' }],
    ['an overnight window is not active before it opens', { window: weekly(['sat'], '22:00', '04:00'), t: '2026-03-28T20:59:00Z', active: false }],
    ['an end time the clock skips ends at the jump', { window: weekly(['sun'], '01:00', '02:30'), t: '2026-03-29T00:30:00Z', active: true, ends: '2026-03-29T01:00:00Z' }],
    ['an end time the clock shows twice ends the first time', { window: weekly(['sun'], '00:00', '02:30'), t: '2026-10-24T23:00:00Z', active: true, ends: '2026-10-25T00:30:00Z' }],
    ['the repeated hour holds again on the wall clock, and ends at the second 02:30', { window: weekly(['sun'], '00:00', '02:30'), t: '2026-10-25T01:10:00Z', active: true, ends: '2026-10-25T01:30:00Z' }],
    ['between the two 02:30s it does not hold', { window: weekly(['sun'], '00:00', '02:30'), t: '2026-10-25T00:45:00Z', active: false }],
    ['a winter weekday window in New York', { window: weekly(['fri'], '18:00', '23:00', 'America/New_York'), t: '2026-12-04T23:30:00Z', active: true, ends: '2026-12-05T04:00:00Z' }],
    ['a fixed window holds from its start', { window: { start: '2026-12-24T00:00:00Z', end: '2026-12-27T00:00:00+01:00' }, t: '2026-12-24T00:00:00Z', active: true, ends: '2026-12-26T23:00:00Z' }],
    ['a fixed window does not hold at its end', { window: { start: '2026-12-24T00:00:00Z', end: '2026-12-27T00:00:00Z' }, t: '2026-12-27T00:00:00Z', active: false }],
  ];
  it.each(cases)('%s', (_name, { window, t, active, ends }) => {
    expect(activeAt(window, at(t))).toBe(active);
    const end = endsAfter(window, at(t));
    expect(end === undefined ? undefined : new Date(end).toISOString()).toBe(ends === undefined ? undefined : new Date(at(ends)).toISOString());
  });
});

// An oracle independent of localTime(): Intl's own weekday and hour:minute, formatted as strings.
function oracle(window: { days: readonly Weekday[]; from: string; to: string; timeZone: string }, t: number): boolean {
  const text = new Date(t).toLocaleString('en-GB', { timeZone: window.timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const [dayName, clock] = text.split(' ') as [string, string];
  const day = WEEKDAYS.findIndex((d) => d === dayName.toLowerCase().slice(0, 3));
  const previous = WEEKDAYS[(day + 6) % 7] as Weekday;
  const today = WEEKDAYS[day] as Weekday;
  const now = clock;
  const to = window.to === '24:00' ? '99:99' : window.to;
  if (window.from < to) return window.days.includes(today) && now >= window.from && now < to;
  return (window.days.includes(today) && now >= window.from) || (window.days.includes(previous) && now < to);
}

const zones = ['Europe/Berlin', 'America/New_York', 'Australia/Sydney', 'Asia/Kolkata', 'UTC', 'America/St_Johns', 'Pacific/Chatham', 'Europe/London'];
const clock = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 15, 30, 45, 59)).map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
const weeklyWindow = fc
  .record({
    days: fc.uniqueArray(fc.constantFrom(...WEEKDAYS), { minLength: 1, maxLength: 6 }),
    from: clock,
    to: fc.oneof(clock, fc.constant('24:00')),
    timeZone: fc.constantFrom(...zones),
  })
  .filter((w) => w.from !== w.to);
const instant = fc.integer({ min: at('2020-01-01T00:00:00Z'), max: at('2030-12-31T00:00:00Z') }).map((t) => Math.floor(t / 1000) * 1000);

describe('weekly windows (properties)', () => {
  it('an instant is inside iff its local weekday and time are in range', () => {
    fc.assert(fc.property(weeklyWindow, instant, (window, t) => activeAt({ weekly: window }, t) === oracle(window, t)), { numRuns: 2000 });
  });

  it('the end of a hold is after it, holds until just before, and does not hold at the end', () => {
    fc.assert(
      fc.property(weeklyWindow, instant, (window, t) => {
        const freeze = { weekly: window };
        fc.pre(activeAt(freeze, t));
        const end = endsAfter(freeze, t);
        if (end === undefined) return false;
        return end > t && !activeAt(freeze, end) && activeAt(freeze, end - 1000);
      }),
      { numRuns: 1000 },
    );
  });

  it('outside the window there is no end', () => {
    fc.assert(
      fc.property(weeklyWindow, instant, (window, t) => {
        fc.pre(!activeAt({ weekly: window }, t));
        return endsAfter({ weekly: window }, t) === undefined;
      }),
      { numRuns: 300 },
    );
  });
});

describe('validateFreezeWindow', () => {
  const cases: ReadonlyArray<[string, { window: FreezeWindow; want: { pointer: string }[] }]> = [
    ['a good fixed window', { window: { start: '2026-12-24T00:00:00Z', end: '2026-12-27T00:00:00Z' }, want: [] }],
    ['end before start', { window: { start: '2026-12-27T00:00:00Z', end: '2026-12-24T00:00:00Z' }, want: [{ pointer: '/w/end' }] }],
    ['a start without an offset', { window: { start: '2026-12-24T00:00:00', end: '2026-12-27T00:00:00Z' }, want: [{ pointer: '/w/start' }] }],
    ['an impossible date', { window: { start: '2026-02-31T00:00:00Z', end: '2026-12-27T00:00:00Z' }, want: [{ pointer: '/w/start' }] }],
    ['a good weekly window', { window: weekly(['sat', 'sun'], '18:00', '08:00'), want: [] }],
    ['an unknown time zone', { window: weekly(['sat'], '18:00', '08:00', 'Mars/Olympus_Mons'), want: [{ pointer: '/w/weekly/timeZone' }] }],
    ['an unknown day', { window: weekly(['sat', 'caturday' as Weekday], '18:00', '08:00'), want: [{ pointer: '/w/weekly/days/1' }] }],
    ['a day twice', { window: weekly(['sat', 'sat'], '18:00', '08:00'), want: [{ pointer: '/w/weekly/days/1' }] }],
    ['from equal to to', { window: weekly(['sat'], '08:00', '08:00'), want: [{ pointer: '/w/weekly/to' }] }],
    ['a time past midnight', { window: weekly(['sat'], '25:00', '08:00'), want: [{ pointer: '/w/weekly/from' }] }],
    ['every day, all day', { window: weekly([...WEEKDAYS], '00:00', '24:00'), want: [{ pointer: '/w/weekly/days' }] }],
  ];
  it.each(cases)('%s', (_name, { window, want }) => {
    expect(validateFreezeWindow(window, '/w').map(({ pointer }) => ({ pointer }))).toEqual(want);
  });
});

describe('checkFreezeWindow', () => {
  const weeklyWindow = { days: ['sat' as const], from: '18:00', to: '08:00', timeZone: 'UTC' };
  const cases: ReadonlyArray<[string, { given: Parameters<typeof checkFreezeWindow>[0]; want: FreezeWindow | string[] }]> = [
    ['fixed', { given: { start: '2026-12-24T00:00:00Z', end: '2026-12-27T00:00:00Z' }, want: { start: '2026-12-24T00:00:00Z', end: '2026-12-27T00:00:00Z' } }],
    ['weekly', { given: { weekly: weeklyWindow }, want: { weekly: weeklyWindow } }],
    ['both', { given: { start: '2026-12-24T00:00:00Z', weekly: weeklyWindow }, want: ['/w/start'] }],
    ['neither', { given: {}, want: ['/w/start'] }],
    ['a start without an end', { given: { start: '2026-12-24T00:00:00Z' }, want: ['/w/end'] }],
    ['a bad weekly window', { given: { weekly: { ...weeklyWindow, timeZone: 'Nowhere/At_All' } }, want: ['/w/weekly/timeZone'] }],
  ];
  it.each(cases)('%s', (_name, { given, want }) => {
    const checked = checkFreezeWindow(given, '/w');
    expect('window' in checked ? checked.window : checked.problems.map((p) => p.pointer)).toEqual(want);
  });
});
