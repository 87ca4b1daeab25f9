/**
 * One check's measurements over time with uPlot: the measured value (one point per measurement), the bound
 * as a line, the baseline series for baseline checks, and pass/fail/inconclusive/error markers. The plotted
 * arrays are also published on `window.__promoterCharts[id]` and the point count on `data-points`, so tests
 * (and curious people) can read what is drawn without reading pixels.
 */
import { useEffect, useMemo, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Check, CheckResult } from '@promoter/sdk';
import { chartSeries, type ChartData } from '../lib/chart-data.js';

declare global {
  interface Window {
    __promoterCharts?: Record<string, ChartData>;
  }
}

const DENSE_POINTS = 300;
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
    const aligned: uPlot.AlignedData = [data.x, data.value, data.upper, data.lower, data.baseline, ...data.markers.map((m) => m.y)];
    if (plot.current) {
      plot.current.setData(aligned);
      plot.current.setSeries(3, { show: data.lower.some((v) => v !== null) });
      plot.current.setSeries(4, { show: data.baseline.some((v) => v !== null) });
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
        // One measurement is a zero-width range, which uPlot widens to years: show a minute either side instead.
        scales: { x: { time: true, range: (_u, min, max) => (min === max ? [min - 60, max + 60] : [min, max]) } },
        legend: { live: false },
        axes: [axis, { ...axis, size: 60 }],
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
      <figcaption class="muted">
        {data.x.length} measurement{data.x.length === 1 ? '' : 's'}{data.boundLabel ? `; bound: ${data.boundLabel}` : ''}
      </figcaption>
    </figure>
  );
}
