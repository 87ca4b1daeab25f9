/** Figures as the benchmarks record them, and their rendering as text and markdown. */

export interface Figure {
  readonly name: string;
  /** A number, or a short text (e.g. "yes"). */
  readonly value: number | string;
  readonly unit?: string;
  /** E.g. ">= 70%". */
  readonly target?: string;
  readonly met?: boolean;
  readonly note?: string;
}

export interface BenchResult {
  readonly bench: string;
  readonly title: string;
  /** 1/5/15-minute load average when the benchmark started. */
  readonly loadAtStart: readonly number[];
  readonly durationSec: number;
  readonly figures: Figure[];
  /** Free text: method notes, tables, EXPLAIN plans. */
  readonly details: string[];
}

export function formatValue(figure: Figure): string {
  const value = typeof figure.value === 'number' ? formatNumber(figure.value) : figure.value;
  return figure.unit ? `${value} ${figure.unit}` : value;
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return String(Math.round(value));
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return String(Math.round(value * 100) / 100);
}

export function figureTable(results: readonly BenchResult[]): string {
  const lines = ['| benchmark | figure | value | target | met |', '|---|---|---|---|---|'];
  for (const result of results) {
    for (const figure of result.figures) {
      const met = figure.met === undefined ? '' : figure.met ? 'yes' : '**no**';
      lines.push(`| ${result.bench} | ${figure.name}${figure.note ? ` (${figure.note})` : ''} | ${formatValue(figure)} | ${figure.target ?? ''} | ${met} |`);
    }
  }
  return lines.join('\n');
}

export function markdownReport(results: readonly BenchResult[], header: readonly string[]): string {
  const parts = [...header, '', '## Figures', '', figureTable(results), ''];
  for (const result of results) {
    parts.push(`## ${result.bench}: ${result.title}`, '', `Load average at start: ${result.loadAtStart.join(' / ')}; took ${Math.round(result.durationSec)} s.`, '');
    for (const detail of result.details) parts.push(detail, '');
  }
  return parts.join('\n');
}
