/**
 * `npm run demo` as a newcomer runs it, from the repository root: with `--ci` it must run the four
 * promotions to the endings the runbook expects and say so in its summary; and a Ctrl-C (SIGINT to the
 * whole process group, as a terminal sends it) or a supervisor's SIGTERM to npm in the middle of a
 * promotion must leave no process and no temporary folder behind.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface DemoRun {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or the signal's name) once npm has exited. */
  readonly exited: Promise<number | string>;
}

function startDemo(): DemoRun {
  // Its own process group, so the test can signal the group as a terminal's Ctrl-C does.
  const child = spawn('npm', ['run', 'demo', '--', '--ci'], { cwd: ROOT, detached: true, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return { child, output: () => output, exited };
}

/** The pids below `root` now, read from /proc (parent pid is the 4th field of /proc/PID/stat). */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // exited while we read
    }
  }
  const found: number[] = [];
  const walk = (pid: number): void => {
    for (const child of children.get(pid) ?? []) {
      found.push(child);
      walk(child);
    }
  };
  walk(root);
  return found;
}

/** Alive and not a zombie, with its command line. */
function alive(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return undefined;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return undefined;
  }
}

async function waitForOutput(run: DemoRun, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(run.output());
    if (match) return match;
    if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms; output:\n${run.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The temporary folders the demo says it made: its own, Prometheus's and the Git server's. */
function foldersOf(output: string): string[] {
  return [...output.matchAll(/folder (\/\S+)/g)].map((match) => (match[1] ?? '').replace(/\)$/, ''));
}

function expectFoldersGone(output: string): void {
  const folders = foldersOf(output);
  expect(folders.map((folder) => /(promoter-demo|promoter-prometheus|git-server)-\w+$/.exec(folder)?.[1]).sort(), output).toEqual(['git-server', 'promoter-demo', 'promoter-prometheus']);
  expect(folders.filter((folder) => existsSync(folder)), 'left behind').toEqual([]);
}

describe('npm run demo', () => {
  it('without prometheus on PATH says in one line how to install it, and stops with exit 1', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'examples/demo/main.ts', '--ci'], { cwd: ROOT, env: { PATH: '', HOME: process.env['HOME'] ?? '/tmp' }, encoding: 'utf8', timeout: 60_000 });
    expect(result.status, result.stderr).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^demo: the `prometheus` binary is not on PATH; install it with `apt-get update && apt-get install -y prometheus` .* https:\/\/prometheus\.io\/download\/$/)]);
  });

  it('--ci runs a good and a bad promotion directly and through Git, each ending as the runbook expects, and exits 0', async () => {
    const run = startDemo();
    const code = await run.exited;
    const output = run.output();
    expect(code, output).toBe(0);
    const rows = output.split('\n').filter((line) => /^\d\s{2}/.test(line));
    expect(rows.map((row) => row.split(/\s{2,}/).slice(1, 7)), output).toEqual([
      ['good canary, direct patch', 'kubernetes', '1.2.1', 'succeeded', 'succeeded', expect.stringMatching(/^\d+ s$/)],
      ['bad canary, direct patch', 'kubernetes', '1.3.0', 'rolled_back', 'rolled_back', expect.stringMatching(/^\d+ s$/)],
      ['good canary, through Git', 'git', '1.3.1', 'succeeded', 'succeeded', expect.stringMatching(/^\d+ s$/)],
      ['bad canary, through Git', 'git', '1.4.0', 'rolled_back', 'rolled_back', expect.stringMatching(/^\d+ s$/)],
    ]);
    expect(rows.every((row) => row.split(/\s{2,}/)[7] === 'ok'), output).toBe(true);
    // What each ending left: the release in Git, the revert, production's image, and that a check failed
    // once production served the bad build (during the rollout or in the bake: the traffic is random).
    expect(output).toMatch(/commit [0-9a-f]{8}, tag v1\.3\.1, VERSION 1\.3\.1/);
    expect(output).toMatch(/revert [0-9a-f]{8} pushed, production back on 1\.3\.1; (post-)?rollout check failed/);
    expect(output).toMatch(/production back on 1\.2\.1; (post-)?rollout check failed/);
    expect(output).toMatch(/^all 4 promotions ended as expected, in \d+ s$/m);
    expect(output).toMatch(/Console: http:\/\/127\.0\.0\.1:\d+\/ui\/ {2}\(sign in with the token demo-[0-9a-f]{24}\)/);
    expectFoldersGone(output);
    const servicePid = Number(/\(pid (\d+),/.exec(output)?.[1]);
    expect(alive(servicePid)).toBeUndefined();
  }, 360_000);

  it.each([
    ['SIGINT to the process group, as Ctrl-C in a terminal', 'group'],
    ['SIGTERM to npm alone, as a supervisor sends it', 'npm'],
  ] as const)('%s in the middle of a promotion stops every process it started and removes its folders', async (_name, target) => {
    const run = startDemo();
    const pid = run.child.pid ?? 0;
    try {
      await waitForOutput(run, /^\s+\d\d:\d\d:\d\d {2}pending -> analyzing/m, 180_000);
      const started = descendants(pid);
      const commands = started.map((child) => alive(child) ?? '');
      // The demo itself, the service and Prometheus at least (git runs only now and then).
      expect(commands.some((command) => command.includes('examples/demo/main.ts')), commands.join('\n')).toBe(true);
      expect(commands.some((command) => command.includes('services/promoter/src/main.ts')), commands.join('\n')).toBe(true);
      expect(commands.some((command) => /prometheus --config\.file/.test(command)), commands.join('\n')).toBe(true);
      if (target === 'group') process.kill(-pid, 'SIGINT');
      else process.kill(pid, 'SIGTERM');
      const code = await run.exited;
      const output = run.output();
      expect(output).toContain(`${target === 'group' ? 'SIGINT' : 'SIGTERM'}: stopping everything the demo started`);
      expect([130, 143, 'SIGINT', 'SIGTERM'], output).toContain(code);
      const left = started.map((child) => ({ pid: child, command: alive(child) })).filter((entry) => entry.command !== undefined);
      expect(left, output).toEqual([]);
      expectFoldersGone(output);
    } finally {
      if (run.child.exitCode === null && run.child.signalCode === null) process.kill(-pid, 'SIGKILL');
    }
  }, 240_000);
});
