/**
 * Summaries of V8 CPU profiles (`node --cpu-prof`): self time by function and by where the code comes from
 * (a package in node_modules, a service source file, Node internals, GC), without opening DevTools.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

export interface ProfileSummary {
  readonly file: string;
  /** Busy time (everything but idle), ms. */
  readonly busyMs: number;
  readonly totalMs: number;
  readonly byOrigin: ReadonlyArray<{ origin: string; ms: number; share: number }>;
  readonly byFunction: ReadonlyArray<{ fn: string; origin: string; ms: number; share: number }>;
  /** Inclusive (self + callees) time of frames whose origin matches, e.g. everything under pino. */
  readonly inclusive: ReadonlyArray<{ origin: string; ms: number; share: number }>;
}

/**
 * The newest main-thread profile in `dir`. Node writes one file per thread (`CPU.<date>.<time>.<pid>.<thread>.<seq>
 * .cpuprofile`); under tsx, thread 1 is the module loader's worker, so thread 0 is the one that serves.
 */
export function newestProfile(dir: string): string | undefined {
  const files = readdirSync(dir)
    .filter((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return files[0];
}

export function originOf(url: string, functionName: string): string {
  if (url === '') {
    if (functionName === '(idle)' || functionName === '(program)' || functionName === '(garbage collector)') return functionName;
    return '(native)';
  }
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + '/node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1] ?? ''}` : (parts[0] ?? url);
  }
  const src = url.indexOf('/services/promoter/src/');
  if (src >= 0) return `service:${url.slice(src + '/services/promoter/src/'.length)}`;
  const bench = url.indexOf('/bench/');
  if (bench >= 0) return `bench:${url.slice(bench + 1)}`;
  return url;
}

/** A time range in the profile's clock: microseconds of the monotonic clock (`process.hrtime.bigint() / 1000n`). */
export interface ProfileWindow {
  readonly startUs: number;
  readonly endUs: number;
}

/**
 * Self and inclusive time, from the whole profile or only from the samples taken within `window` (e.g. the
 * measured rounds, leaving out start-up and warm-up).
 */
export function summarizeProfile(file: string, window?: ProfileWindow, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    at += delta;
    if (window && (at < window.startUs || at > window.endUs)) return;
    self.set(id, (self.get(id) ?? 0) + delta / 1000);
  });
  const origin = new Map<string, number>();
  const fn = new Map<string, { origin: string; ms: number }>();
  const inclusive = new Map<string, number>();
  let totalMs = 0;
  let idleMs = 0;
  for (const [id, ms] of self) {
    const node = byId.get(id);
    if (!node) continue;
    totalMs += ms;
    const o = originOf(node.callFrame.url, node.callFrame.functionName);
    if (o === '(idle)') {
      idleMs += ms;
      continue;
    }
    origin.set(o, (origin.get(o) ?? 0) + ms);
    const key = `${node.callFrame.functionName || '(anonymous)'} ${o}:${node.callFrame.lineNumber + 1}`;
    const entry = fn.get(key) ?? { origin: o, ms: 0 };
    entry.ms += ms;
    fn.set(key, entry);
    // Inclusive time by origin: credit each distinct origin on the stack once.
    const seen = new Set<string>();
    for (let frameId: number | undefined = id; frameId !== undefined; frameId = parent.get(frameId)) {
      const frame = byId.get(frameId);
      if (!frame) break;
      const fo = originOf(frame.callFrame.url, frame.callFrame.functionName);
      if (!seen.has(fo)) {
        seen.add(fo);
        inclusive.set(fo, (inclusive.get(fo) ?? 0) + ms);
      }
    }
  }
  const busyMs = totalMs - idleMs;
  const share = (ms: number) => (busyMs > 0 ? ms / busyMs : 0);
  return {
    file,
    busyMs,
    totalMs,
    byOrigin: [...origin].map(([o, ms]) => ({ origin: o, ms, share: share(ms) })).sort((a, b) => b.ms - a.ms).slice(0, top),
    byFunction: [...fn].map(([f, { origin: o, ms }]) => ({ fn: f, origin: o, ms, share: share(ms) })).sort((a, b) => b.ms - a.ms).slice(0, top),
    inclusive: [...inclusive]
      .filter(([o]) => !o.startsWith('('))
      .map(([o, ms]) => ({ origin: o, ms, share: share(ms) }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top),
  };
}

/** Inclusive time of the frames whose function name or origin matches `pattern` (each stack counted once). */
export function inclusiveTime(file: string, pattern: RegExp, window?: ProfileWindow): number {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const matches = new Map<number, boolean>();
  const matching = (id: number): boolean => {
    const known = matches.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id);
    const up = parent.get(id);
    const result =
      node !== undefined &&
      (pattern.test(`${node.callFrame.functionName} ${originOf(node.callFrame.url, node.callFrame.functionName)}`) || (up !== undefined && matching(up)));
    matches.set(id, result);
    return result;
  };
  let at = profile.startTime;
  let ms = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    at += delta;
    if (window && (at < window.startUs || at > window.endUs)) return;
    if (matching(id)) ms += delta / 1000;
  });
  return ms;
}

export function formatProfile(summary: ProfileSummary): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const lines = [
    `CPU profile ${summary.file}: busy ${Math.round(summary.busyMs)} ms of ${Math.round(summary.totalMs)} ms sampled`,
    '',
    'Self time by origin (share of busy time):',
    '',
    '| origin | self ms | share |',
    '|---|---|---|',
    ...summary.byOrigin.slice(0, 15).map((o) => `| ${o.origin} | ${Math.round(o.ms)} | ${pct(o.share)} |`),
    '',
    'Inclusive time by origin (a frame of that origin is on the stack):',
    '',
    '| origin | inclusive ms | share |',
    '|---|---|---|',
    ...summary.inclusive.slice(0, 15).map((o) => `| ${o.origin} | ${Math.round(o.ms)} | ${pct(o.share)} |`),
    '',
    'Hottest functions (self time):',
    '',
    '| function | self ms | share |',
    '|---|---|---|',
    ...summary.byFunction.slice(0, 20).map((f) => `| \`${f.fn}\` | ${Math.round(f.ms)} | ${pct(f.share)} |`),
  ];
  return lines.join('\n');
}
