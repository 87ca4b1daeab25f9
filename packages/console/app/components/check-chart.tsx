/**
 * One check's measurements over time with uPlot: the measured value (one point per measurement), the bound
 * as a line, the baseline series for baseline checks, pass/fail/inconclusive/error markers at the measured
 * value, and the measurements without a value as a labelled row of rings along the bottom. The plotted
 * arrays are also published on `window.__promoterCharts[id]` and the point count on `data-points`, so tests
 * (and curious people) can read what is drawn without reading pixels.
 */
import { useEffect, useMemo, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Check, CheckResult } from '@promoter/sdk';
import { axisTimes } from '../lib/format.js';
import { chartSeries, NO_VALUE_BAND, NO_VALUE_RANGE, noValueSummary, timeRange, valueRange, type ChartData } from '../lib/chart-data.js';

declare global {
  interface Window {
    __promoterCharts?: Record<string, ChartData>;
  }
}

const DENSE_POINTS = 300;
// Tick spacings for the time axis, in seconds: whole seconds at the least, since times are shown to the second.
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 2592000, 31536000];
// x, value, bound, lower bound, baseline, four result markers, then the no-value row.
const NO_VALUE_SERIES = 9;
const COLORS = { value: '#2563eb', bound: '#dc2626', baseline: '#7c3aed', pass: '#16a34a', fail: '#dc2626', inconclusive: '#ca8a04', error: '#6b7280' };

export function CheckChart(props: { id: string; check: Check | undefined; name: string; results: readonly CheckResult[] }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  // Measurements are never changed once stored: the same count and the same newest one are the same data, so a
  // live page's refresh neither recomputes the series nor redraws the chart when nothing was measured meanwhile.
  const newest = props.results.reduce((max, r) => Math.max(max, r.id), 0);
  // eslint-disable-next-line react-hooks/exhaustive-deps -- keyed on what identifies the measurements (see above)
  const data = useMemo(() => chartSeries(props.check, props.results), [props.name, props.results.length, newest]);

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    (window.__promoterCharts ??= {})[props.id] = data;
    const aligned: uPlot.AlignedData = [data.x, data.value, data.upper, data.lower, data.baseline, ...data.markers.map((m) => m.y), data.noValue];
    if (plot.current) {
      plot.current.setData(aligned);
      plot.current.setSeries(3, { show: data.lower.some((v) => v !== null) });
      plot.current.setSeries(4, { show: data.baseline.some((v) => v !== null) });
      plot.current.setSeries(NO_VALUE_SERIES, { show: data.noValue.some((v) => v !== null) });
      return;
    }
    const text = getComputedStyle(element).color;
    const grid = { stroke: 'rgba(128,128,128,0.25)', width: 1 };
    const axis = { stroke: text, grid, ticks: grid };
    const none = () => null;
    const dense = data.x.length > DENSE_POINTS;
    plot.current = new uPlot(
      {
        width: Math.max(280, element.clientWidth),
        height: 220,
        // Room on the right for the last time label, which is centred on the plot's edge.
        padding: [null, 32, null, null],
        // The measurements' own span, never uPlot's guess (years, for one time or a series without values).
        // The no-value row has a scale of its own with no axis: its height means nothing.
        scales: {
          x: { time: true, range: (u) => timeRange(u.data[0]) },
          y: { range: (u, min, max) => valueRange(wanted(min, max), hasNoValue(u)) },
          noValue: { auto: false, range: NO_VALUE_RANGE },
        },
        legend: { live: false },
        // The x range as drawn, on the element: tests read what the axis spans without reading pixels.
        hooks: {
          setScale: [(u, key) => void (key === 'x' && (element.dataset.xRange = `${u.scales.x?.min} ${u.scales.x?.max}`))],
          drawAxes: [(u) => hasNoValue(u) && drawNoValueBand(u, text)],
        },
        // No tick labels inside the no-value band: a number there would read as the height of its marks.
        axes: [{ ...axis, space: 80, incrs: TIME_STEPS, values: (_u, ticks, _axis, _space, spacing) => axisTimes(ticks, spacing) }, { ...axis, size: 60, filter: (u, splits) => splits.map((v) => (hasNoValue(u) && v < valueFloor(u) ? null : v)) }],
        series: [
          {},
          // Past a few hundred points, dots hide the line and cost a draw each: the line and the non-pass markers say it all.
          { label: 'value', stroke: COLORS.value, width: 2, points: { show: dense ? false : true, size: 4 }, spanGaps: false },
          { label: 'bound', stroke: COLORS.bound, width: 1.5, dash: [6, 4], points: { show: false } },
          { label: 'lower bound', stroke: COLORS.bound, width: 1.5, dash: [2, 4], points: { show: false }, show: data.lower.some((v) => v !== null) },
          { label: 'baseline', stroke: COLORS.baseline, width: 1.5, points: { show: false }, show: data.baseline.some((v) => v !== null) },
          ...data.markers.map((marker) => ({
            label: marker.result,
            stroke: COLORS[marker.result],
            fill: COLORS[marker.result],
            paths: none,
            points: { show: !(dense && marker.result === 'pass'), size: 9, fill: COLORS[marker.result], stroke: COLORS[marker.result] },
          })),
          {
            label: 'no value (error, no data)',
            scale: 'noValue',
            stroke: COLORS.error,
            paths: none,
            points: { show: true, size: 9, width: 2, fill: 'transparent', stroke: COLORS.error },
            show: data.noValue.some((v) => v !== null),
          },
        ],
      },
      aligned,
      element,
    );
  }, [data]);

  // Once per chart: it follows its box's width, and is destroyed with it.
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(280, element.clientWidth), height: 220 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, []);

  return (
    <figure class="chart">
      <div ref={box} class="chart-plot" data-chart={props.id} data-points={data.x.length} role="img" aria-label={`${props.name}: ${data.x.length} measurement${data.x.length === 1 ? '' : 's'}`} />
      <figcaption class="muted" data-volatile>
        {data.x.length} measurement{data.x.length === 1 ? '' : 's'}
        {data.boundLabel ? `; bound: ${data.boundLabel}` : ''}
        {data.noValueCounts.length > 0 ? `; ${noValueSummary(data.noValueCounts)}` : ''}
      </figcaption>
    </figure>
  );
}

/** The range the values themselves want (uPlot's rounding), or 0..1 when there is none at all. */
function wanted(min: number | null, max: number | null): [number, number] {
  if (min === null || max === null) return [0, 1];
  const [low, high] = uPlot.rangeNum(min, max, 0.1, true);
  return [low ?? 0, high ?? 1];
}

function hasNoValue(u: uPlot): boolean {
  return (u.data[NO_VALUE_SERIES] ?? []).some((v) => v !== null && v !== undefined);
}

/** The lowest value the value axis labels: the band's top edge. */
function valueFloor(u: uPlot): number {
  const min = u.scales.y?.min ?? 0;
  const max = u.scales.y?.max ?? 1;
  return min + NO_VALUE_BAND * (max - min) - 1e-9 * Math.abs(max - min);
}

/** A shaded strip along the bottom of the plot, labelled, under the no-value marks. */
function drawNoValueBand(u: uPlot, text: string): void {
  const { left, top, width, height } = u.bbox;
  const band = Math.round(height * NO_VALUE_BAND);
  const ctx = u.ctx;
  ctx.save();
  ctx.fillStyle = 'rgba(107,114,128,0.14)';
  ctx.fillRect(left, top + height - band, width, band);
  ctx.fillStyle = text;
  ctx.font = `${Math.round(11 * uPlot.pxRatio)}px system-ui, sans-serif`;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'right';
  ctx.fillText('no value', left - 6 * uPlot.pxRatio, top + height - band / 2);
  ctx.restore();
}
