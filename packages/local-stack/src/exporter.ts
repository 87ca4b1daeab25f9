/**
 * A tiny metrics exporter for the demo and the tests: an HTTP server on 127.0.0.1 (random port) serving `/metrics` in the
 * Prometheus text exposition format, with series the test sets, increments and removes. Counters,
 * gauges and histogram buckets are all just samples here (`name_bucket{le="0.5"}`); no TYPE lines are
 * written, so Prometheus stores them as untyped, which every PromQL function accepts.
 *
 * The server answers from a worker thread, not from the caller's event loop: Prometheus gives a scrape one
 * interval (1 s here) and, when it fails, marks every series of the target stale, so a query then finds no
 * data. A test process whose loop is busy (a browser driven through playwright, a service, PGlite's queries)
 * answered some scrapes late on a loaded machine, and checks judged "no data". The series stay in this
 * thread, so `set` is synchronous as before: each change renders the exposition into shared memory (under a
 * sequence lock), and the worker serves whatever was rendered last.
 */
import { Worker } from 'node:worker_threads';

export type SeriesLabels = Readonly<Record<string, string>>;

/** Past samples of one series, for `toOpenMetrics` and `startPrometheus({ backfill })`. */
export interface BackfillSeries {
  readonly name: string;
  readonly labels?: SeriesLabels;
  /** [Unix time in seconds, value]; any order. */
  readonly samples: ReadonlyArray<readonly [timeSeconds: number, value: number]>;
}

export interface Exporter {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** `127.0.0.1:PORT`, as a Prometheus static target. */
  readonly target: string;
  /** Sets a sample's value (creating the series). NaN and +-Infinity are written as NaN, +Inf, -Inf. */
  set(name: string, labels: SeriesLabels, value: number): void;
  /** Adds `by` (default 1) to a sample, starting from 0. */
  inc(name: string, labels?: SeriesLabels, by?: number): void;
  /** Removes one series, or every series of `name` when `labels` is omitted. */
  remove(name: string, labels?: SeriesLabels): void;
  /** Current value of a series, if set. */
  get(name: string, labels?: SeriesLabels): number | undefined;
  /** How many times `/metrics` has been scraped. */
  readonly scrapes: number;
  /** The exposition text as served now. */
  render(): string;
  close(): Promise<void>;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** The shared memory's header (Int32 slots) and how much exposition text it holds. */
const VERSION = 0;
const LENGTH = 1;
const SCRAPES = 2;
const HEADER_BYTES = 16;
const TEXT_CAPACITY = 8 * 1024 * 1024;

/**
 * The worker: serves the last rendered text. A read is retried while the version is odd (a write under way)
 * or changed during the copy, so a scrape never sees half of one rendering and half of the next. Plain
 * JavaScript evaluated as the worker's script, so it runs the same under tsx, vitest and compiled code.
 */
const WORKER_SOURCE = `
const { createServer } = require('node:http');
const { parentPort, workerData } = require('node:worker_threads');
const header = new Int32Array(workerData.shared, 0, ${HEADER_BYTES / 4});
const text = new Uint8Array(workerData.shared, ${HEADER_BYTES});
const snapshot = () => {
  for (;;) {
    const before = Atomics.load(header, ${VERSION});
    if (before % 2 === 1) continue;
    const copy = Buffer.from(text.slice(0, Atomics.load(header, ${LENGTH})));
    if (Atomics.load(header, ${VERSION}) === before) return copy;
  }
};
const server = createServer((req, res) => {
  if (req.method === 'GET' && (req.url || '').split('?')[0] === '/metrics') {
    Atomics.add(header, ${SCRAPES}, 1);
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(snapshot());
    return;
  }
  res.writeHead(404, { 'Content-Type': 'text/plain' });
  res.end('not found\\n');
});
server.once('error', (error) => parentPort.postMessage({ error: String(error) }));
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
`;

/**
 * Starts an exporter; close it in `afterAll`.
 *
 * @example
 * const exporter = await startExporter();
 * exporter.set('zai_proxy_requests_total', { variant: 'canary', status: '200' }, 10);
 * const prometheus = await startPrometheus({ targets: [exporter.target] });
 */
export async function startExporter(): Promise<Exporter> {
  // name -> serialized labels -> value; a Map keeps the order series were created in.
  const series = new Map<string, Map<string, number>>();
  const shared = new SharedArrayBuffer(HEADER_BYTES + TEXT_CAPACITY);
  const header = new Int32Array(shared, 0, HEADER_BYTES / 4);
  const text = new Uint8Array(shared, HEADER_BYTES);
  const encoder = new TextEncoder();

  const render = (): string => {
    let rendered = '';
    for (const [name, bySeries] of series) {
      for (const [labelText, value] of bySeries) rendered += `${name}${labelText} ${formatValue(value)}\n`;
    }
    return rendered;
  };
  /** Renders into the shared memory: the version is odd while the bytes change. */
  const publish = (): void => {
    const bytes = encoder.encode(render());
    if (bytes.length > TEXT_CAPACITY) throw new RangeError(`exporter: ${bytes.length} bytes of series exceed the ${TEXT_CAPACITY} the exporter serves`);
    Atomics.add(header, VERSION, 1);
    text.set(bytes);
    Atomics.store(header, LENGTH, bytes.length);
    Atomics.add(header, VERSION, 1);
  };

  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { shared } });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', (message: { port?: number; error?: string }) => (message.port ? resolve(message.port) : reject(new Error(`exporter: ${message.error ?? 'no port'}`))));
    worker.once('error', reject);
  });

  const entry = (name: string): Map<string, number> => {
    if (!METRIC_NAME.test(name)) throw new TypeError(`exporter: invalid metric name ${JSON.stringify(name)}`);
    let bySeries = series.get(name);
    if (bySeries === undefined) {
      bySeries = new Map();
      series.set(name, bySeries);
    }
    return bySeries;
  };

  return {
    url: `http://127.0.0.1:${port}`,
    target: `127.0.0.1:${port}`,
    get scrapes() {
      return Atomics.load(header, SCRAPES);
    },
    set(name, labels, value) {
      entry(name).set(formatLabels(labels), value);
      publish();
    },
    inc(name, labels = {}, by = 1) {
      const bySeries = entry(name);
      const key = formatLabels(labels);
      bySeries.set(key, (bySeries.get(key) ?? 0) + by);
      publish();
    },
    remove(name, labels) {
      if (labels === undefined) series.delete(name);
      else series.get(name)?.delete(formatLabels(labels));
      publish();
    },
    get(name, labels = {}) {
      return series.get(name)?.get(formatLabels(labels));
    },
    render,
    // Ends the worker and with it the server and its connections.
    close: async () => {
      await worker.terminate();
    },
  };
}

/**
 * Samples with timestamps in the OpenMetrics text format, as `promtool tsdb create-blocks-from
 * openmetrics` reads it: a family's lines together, each series' samples in time order (seconds), no TYPE
 * lines (the samples become untyped), and the mandatory `# EOF`.
 *
 * @example
 * toOpenMetrics([{ name: 'x_total', labels: { a: '1' }, samples: [[1700000000, 1], [1700000015, 2]] }]);
 * // 'x_total{a="1"} 1 1700000000\nx_total{a="1"} 2 1700000015\n# EOF\n'
 */
export function toOpenMetrics(series: readonly BackfillSeries[]): string {
  const families = new Map<string, Map<string, Array<readonly [number, number]>>>();
  for (const { name, labels = {}, samples } of series) {
    if (!METRIC_NAME.test(name)) throw new TypeError(`toOpenMetrics: invalid metric name ${JSON.stringify(name)}`);
    const family = families.get(name) ?? new Map<string, Array<readonly [number, number]>>();
    families.set(name, family);
    const key = formatLabels(labels);
    family.set(key, [...(family.get(key) ?? []), ...samples]);
  }
  let text = '';
  for (const [name, family] of families) {
    for (const [labelText, samples] of family) {
      const ordered = [...samples].sort((a, b) => a[0] - b[0]);
      for (const [time, value] of ordered) text += `${name}${labelText} ${formatValue(value)} ${time}\n`;
    }
  }
  return `${text}# EOF\n`;
}

/** `{a="1",b="x\"y"}` with names sorted, so equal label sets give equal keys. */
function formatLabels(labels: SeriesLabels): string {
  const names = Object.keys(labels).sort();
  if (names.length === 0) return '';
  const parts = names.map((name) => {
    if (!LABEL_NAME.test(name) || name.startsWith('__')) {
      throw new TypeError(`exporter: invalid label name ${JSON.stringify(name)}`);
    }
    return `${name}="${escapeLabelValue(labels[name] ?? '')}"`;
  });
  return `{${parts.join(',')}}`;
}

/** The text format escapes backslash, double quote and line feed in label values. */
function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}
