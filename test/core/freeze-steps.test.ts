/**
 * The engine's decisions under deployment freezes, in memory: where a freeze holds a promotion (before it
 * starts, before it patches, at approval), what it does while held, how it resumes (the gate again), and
 * what it never holds (rollbacks, dry runs, an overridden promotion).
 */
import { describe, expect, it } from 'vitest';
import type { Freeze } from '../../services/promoter/src/domain/freeze/freeze.js';
import { CannedPrometheus, NEW, OLD, policy, TARGET, World, type WorldOptions } from './harness.js';

function world(options: Partial<WorldOptions> = {}): World {
  const w = new World({ policy: policy(), prometheus: new CannedPrometheus().answer(/error_ratio/, 0.01), ...options });
  w.beforeStep = (self) => self.kube.advanceRollout(TARGET);
  return w;
}

const iso = (ms: number) => new Date(ms).toISOString();
const freeze = (name: string, start: number, end: number, scope: Freeze['scope'] = { namespaces: ['mcp'] }): Freeze => ({
  name,
  window: { start: iso(start), end: iso(end) },
  scope,
  reason: `${name} reason`,
});

describe('a promotion under a deployment freeze', () => {
  it('waits in frozen from the start, looks again each minute, and runs the whole promotion once the freeze ends', async () => {
    const w = world();
    const end = w.now + 5 * 60_000 + 30_000;
    w.freezes = [freeze('release', w.now - 1, end)];
    const first = await w.step();
    expect(w.promotion.state).toBe('frozen');
    expect(w.promotion.hold).toEqual({ freeze: 'release', reason: 'release reason', until: iso(end) });
    expect(w.promotion.stateReason).toBe(`held by freeze 'release' (release reason) until ${iso(end)}, before it starts`);
    expect(first.transition?.data).toEqual({ hold: w.promotion.hold });
    expect(first.nextRunInMs).toBe(60_000);
    const before = w.stepsRun;
    await w.run({ until: (p) => p.state !== 'frozen', limit: 20 });
    // Looked at each minute (1..5 min, still held), then at the end itself (5 min 30 s), when it lets go.
    expect(w.stepsRun - before).toBe(6);
    expect(w.events.filter((e) => e.type === 'freeze')).toHaveLength(1);
    expect(w.promotion.hold).toBeNull();
    const done = await w.run();
    expect(w.states).toEqual(['pending', 'frozen', 'analyzing', 'promoting', 'verifying', 'succeeded']);
    expect(done.resolvedImage).toBe(NEW);
    expect(w.events.filter((e) => e.type === 'freeze').map((e) => e.reason)).toEqual(["freeze 'release' no longer holds"]);
  });

  it('holds after the gate passed, before the patch, and measures the gate afresh when the freeze ends', async () => {
    const w = world();
    // Starts just after the promotion does: the gate runs, then the freeze stops the patch.
    w.freezes = [freeze('late', w.now + 1, w.now + 120_000)];
    await w.run({ until: (p) => p.state === 'frozen' });
    expect(w.states).toEqual(['pending', 'analyzing', 'frozen']);
    expect(w.promotion.stateReason).toMatch(/^held by freeze 'late' \(late reason\) until .*, after the gate passed \(.*\); nothing was patched$/);
    expect(w.kube.patches).toEqual([]);
    const gateBefore = w.measurements.filter((m) => m.measurement.phase === 'pre').length;
    expect(gateBefore).toBeGreaterThan(0);
    expect(w.promotion.progress.tallies?.pre).toBeDefined();
    await w.run({ until: (p) => p.state === 'analyzing' });
    // The stale tallies are gone: the gate counts from its first sample again.
    expect(w.promotion.progress.tallies?.pre).toBeUndefined();
    await w.run();
    expect(w.states).toEqual(['pending', 'analyzing', 'frozen', 'analyzing', 'promoting', 'verifying', 'succeeded']);
    const gateAfter = w.measurements.filter((m) => m.measurement.phase === 'pre').slice(gateBefore).map((m) => m.sample);
    expect(gateAfter[0]).toBe(1);
    expect(w.kube.patches).toEqual([{ ref: TARGET, container: 'proxy', from: OLD, to: NEW }]);
  });

  it('holds an approved promotion, consumes the approval, and asks for it again after the gate', async () => {
    const w = world({ policy: policy({ approval: 'required' } as never) });
    await w.run({ until: (p) => p.state === 'awaiting_approval' });
    w.freezes = [freeze('approval-time', w.now - 1, w.now + 90_000)];
    w.request('approve');
    await w.step();
    expect(w.promotion.state).toBe('frozen');
    expect(w.promotion.requestedAction).toBeNull();
    expect(w.promotion.stateReason).toContain('though approved; approval is asked again after the gate runs again');
    await w.run({ until: (p) => p.state === 'awaiting_approval' });
    expect(w.states).toEqual(['pending', 'analyzing', 'awaiting_approval', 'frozen', 'analyzing', 'awaiting_approval']);
  });

  it('follows a freeze changed meanwhile: another freeze holding it is recorded; an abort ends it', async () => {
    const w = world();
    w.freezes = [freeze('first', w.now - 1, w.now + 30_000)];
    await w.step();
    w.freezes = [freeze('first', w.now - 1, w.now + 30_000), freeze('second', w.now - 1, w.now + 600_000)];
    const outcome = await w.step();
    expect(outcome.transition).toBeUndefined();
    expect(w.promotion.hold?.freeze).toBe('second');
    expect(w.events.at(-1)?.reason).toMatch(/^now held by freeze 'second' \(second reason\) until /);
    w.request('abort');
    await w.step();
    expect(w.promotion.state).toBe('aborted');
    expect(w.kube.patches).toEqual([]);
  });

  it('never holds a rollback, a dry run, an overridden promotion, or one outside its scope', async () => {
    const rollback = world();
    await rollback.run();
    rollback.freezes = [freeze('everything', rollback.now - 1, rollback.now + 3_600_000, {})];
    rollback.request('rollback');
    await rollback.run({ until: (p) => p.state === 'rolled_back', limit: 50 });
    expect(rollback.states).toEqual(['pending', 'analyzing', 'promoting', 'verifying', 'succeeded', 'rolling_back', 'rolled_back']);
    expect(rollback.kube.image(TARGET, 'proxy')).toBe(OLD);

    const dry = world({ dryRun: true });
    dry.freezes = [freeze('everything', dry.now - 1, dry.now + 3_600_000, {})];
    expect((await dry.run()).state).toBe('succeeded');
    expect(dry.states).not.toContain('frozen');

    const overridden = world();
    overridden.freezes = [freeze('everything', overridden.now - 1, overridden.now + 3_600_000, {})];
    overridden.promotion = { ...overridden.promotion, freezeOverride: { by: 'root', reason: 'hotfix', at: iso(overridden.now) } };
    expect((await overridden.run()).state).toBe('succeeded');
    expect(overridden.states).not.toContain('frozen');

    const elsewhere = world();
    elsewhere.freezes = [
      freeze('other-namespace', elsewhere.now - 1, elsewhere.now + 3_600_000, { namespaces: ['other'] }),
      freeze('other-cluster', elsewhere.now - 1, elsewhere.now + 3_600_000, { clusters: ['eu-west'] }),
      freeze('pipeline-stages', elsewhere.now - 1, elsewhere.now + 3_600_000, { pipelines: ['payments'] }),
      freeze('over', elsewhere.now - 3_600_000, elsewhere.now - 1, {}),
    ];
    expect((await elsewhere.run()).state).toBe('succeeded');
    expect(elsewhere.states).not.toContain('frozen');
  });
});
