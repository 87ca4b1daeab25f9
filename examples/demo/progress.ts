/**
 * What the demo prints: a line per promotion event as it arrives (time, state change or event type, the
 * engine's sentence) and the summary table. Colours only on a terminal, never with NO_COLOR.
 */
import { styleText } from 'node:util';
import type { PromotionEvent } from '@promoter/sdk';

type Colour = 'green' | 'red' | 'yellow' | 'cyan' | 'dim' | 'bold';

const coloured = process.stdout.isTTY === true && process.env['NO_COLOR'] === undefined;
export const paint = (colour: Colour, text: string): string => (coloured ? styleText(colour, text) : text);

const STATE_COLOUR: Readonly<Record<string, Colour>> = { succeeded: 'green', rejected: 'red', rolled_back: 'red', failed: 'red', aborted: 'red', rolling_back: 'yellow', awaiting_approval: 'yellow', awaiting_merge: 'yellow' };

/** `12:00:03  analyzing -> promoting  the gate passed: ...` or `12:00:05  rollout  2/3 replicas updated`. */
export function eventLine(event: PromotionEvent): string {
  const time = paint('dim', event.at.slice(11, 19));
  const what = event.to ? `${event.from ?? event.type} -> ${paint(STATE_COLOUR[event.to] ?? 'cyan', event.to)}` : paint('dim', event.type);
  const actor = event.actor === 'engine' ? '' : paint('dim', `  (${event.actor})`);
  return `    ${time}  ${what}${event.reason ? `  ${event.reason}` : ''}${actor}`;
}

export interface SummaryRow {
  readonly name: string;
  readonly delivery: string;
  readonly image: string;
  readonly expected: string;
  readonly got: string;
  readonly seconds: number;
  readonly detail: string;
  readonly ok: boolean;
}

/** A plain-text table, one row per promotion; the verdict column says `ok` or `UNEXPECTED`. */
export function summaryTable(rows: readonly SummaryRow[]): string {
  const header = ['#', 'promotion', 'via', 'image', 'expected', 'ended', 'time', 'verdict', 'what it left'];
  const cells = rows.map((row, index) => [String(index + 1), row.name, row.delivery, row.image, row.expected, row.got, `${row.seconds.toFixed(0)} s`, row.ok ? 'ok' : 'UNEXPECTED', row.detail]);
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((line) => (line[column] ?? '').length)));
  const render = (line: readonly string[]) => line.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd();
  return [render(header), render(widths.map((width) => '-'.repeat(width))), ...cells.map(render)].join('\n');
}
