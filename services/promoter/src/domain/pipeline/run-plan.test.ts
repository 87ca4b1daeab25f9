import { describe, expect, it } from 'vitest';
import { resolveStages, type PipelineStage } from './model.js';
import { abortStages, initialStages, planRun, type PromotionStanding, type StageRecord } from './run-plan.js';

const T0 = Date.parse('2026-12-05T10:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const stage = (name: string, extra: Partial<PipelineStage> = {}): PipelineStage => ({ name, target: { namespace: name, deployment: 'zai-proxy', container: 'proxy' }, policy: 'p', ...extra });
/** staging, then iad after a 10 minute soak, then fra after a 5 minute soak. */
const STAGES = resolveStages({ stages: [stage('staging'), stage('iad', { soak: '10m' }), stage('fra', { soak: '5m' })] });
const standing = (state: string, sinceMs: number, stateReason: string | null = null): PromotionStanding => ({ state, stateReason, since: at(sinceMs) });
const plan = (records: readonly StageRecord[], promotions: Record<string, PromotionStanding>, nowMs: number) => planRun(STAGES, records, new Map(Object.entries(promotions)), T0 + nowMs, 2_000);

describe('planRun', () => {
  it('a new run starts its first stage and nothing else', () => {
    const result = plan(initialStages(STAGES), {}, 0);
    expect(result.start).toEqual(['staging']);
    expect(result.ended).toBeUndefined();
    expect(result.stages.map((s) => s.state)).toEqual(['waiting', 'waiting', 'waiting']);
  });

  it('a running stage is looked at again after the poll interval', () => {
    const result = plan([{ name: 'staging', state: 'running', promotionId: 'p1' }, { name: 'iad', state: 'waiting' }, { name: 'fra', state: 'waiting' }], { p1: standing('verifying', 0) }, 1_000);
    expect(result).toMatchObject({ start: [], nextLookInMs: 2_000 });
  });

  it('the succeeded stage makes the next one soak until its success plus the soak, then start', () => {
    const records: StageRecord[] = [{ name: 'staging', state: 'running', promotionId: 'p1' }, { name: 'iad', state: 'waiting' }, { name: 'fra', state: 'waiting' }];
    const soaking = plan(records, { p1: standing('succeeded', 60_000) }, 61_000);
    expect(soaking.stages).toEqual([
      { name: 'staging', state: 'succeeded', promotionId: 'p1', endedAt: at(60_000) },
      { name: 'iad', state: 'soaking', startsAt: at(660_000) },
      { name: 'fra', state: 'waiting' },
    ]);
    expect(soaking.start).toEqual([]);
    expect(soaking.nextLookInMs).toBe(599_000);
    expect(soaking.events.map((e) => e.message)).toEqual(["stage 'staging' succeeded (promotion p1)", `stage 'iad' soaks until ${at(660_000)} (staging must hold)`]);
    const due = plan(soaking.stages, { p1: standing('succeeded', 60_000) }, 660_000);
    expect(due.start).toEqual(['iad']);
    expect(due.events).toEqual([]);
  });

  it('an upstream stage rolled back during the soak fails the run; the rest never start', () => {
    const records: StageRecord[] = [{ name: 'staging', state: 'succeeded', promotionId: 'p1', endedAt: at(0) }, { name: 'iad', state: 'soaking', startsAt: at(600_000) }, { name: 'fra', state: 'waiting' }];
    const result = plan(records, { p1: standing('rolled_back', 300_000, 'rolled back on request') }, 300_000);
    expect(result.ended).toEqual({ state: 'failed', reason: "stage 'staging' failed: its promotion p1 was rolled_back after it succeeded" });
    expect(result.stages.map((s) => [s.name, s.state])).toEqual([['staging', 'failed'], ['iad', 'skipped'], ['fra', 'skipped']]);
    expect(result.stages[1]?.reason).toBe("not started: stage 'staging' failed");
  });

  it('a rejected stage fails the run with its promotion state and reason', () => {
    const records: StageRecord[] = [{ name: 'staging', state: 'succeeded', promotionId: 'p1', endedAt: at(0) }, { name: 'iad', state: 'running', promotionId: 'p2' }, { name: 'fra', state: 'waiting' }];
    const result = plan(records, { p1: standing('succeeded', 0), p2: standing('rolled_back', 900_000, 'error-rate = 0.31 above <= 0.05') }, 900_000);
    expect(result.ended).toEqual({ state: 'failed', reason: "stage 'iad' failed: its promotion p2 ended rolled_back: error-rate = 0.31 above <= 0.05" });
    expect(result.stages[2]).toEqual({ name: 'fra', state: 'skipped', reason: "not started: stage 'iad' failed" });
  });

  it('every stage succeeded: the run succeeded', () => {
    const records: StageRecord[] = STAGES.map((s, i) => ({ name: s.name, state: i < 2 ? 'succeeded' : 'running', promotionId: `p${i}`, endedAt: at(0) }));
    const result = plan(records, { p0: standing('succeeded', 0), p1: standing('succeeded', 0), p2: standing('succeeded', 5_000) }, 6_000);
    expect(result.ended).toEqual({ state: 'succeeded', reason: 'all 3 stages succeeded' });
  });

  it('a stage after two upstream stages waits for both, and soaks from the later success', () => {
    const fanIn = resolveStages({ stages: [stage('a'), stage('b', { after: [] }), stage('c', { after: ['a', 'b'], soak: '1m' })] });
    const records: StageRecord[] = [{ name: 'a', state: 'succeeded', promotionId: 'pa', endedAt: at(0) }, { name: 'b', state: 'running', promotionId: 'pb' }, { name: 'c', state: 'waiting' }];
    const waiting = planRun(fanIn, records, new Map([['pa', standing('succeeded', 0)], ['pb', standing('verifying', 0)]]), T0 + 10_000, 2_000);
    expect(waiting.stages[2]?.state).toBe('waiting');
    const soaking = planRun(fanIn, records, new Map([['pa', standing('succeeded', 0)], ['pb', standing('succeeded', 30_000)]]), T0 + 31_000, 2_000);
    expect(soaking.stages[2]).toEqual({ name: 'c', state: 'soaking', startsAt: at(90_000) });
  });
});

describe('abortStages', () => {
  it('aborts the running stage and skips what has not started; ended stages stay', () => {
    const records: StageRecord[] = [{ name: 'staging', state: 'succeeded', promotionId: 'p1' }, { name: 'iad', state: 'running', promotionId: 'p2' }, { name: 'fra', state: 'soaking', startsAt: at(1) }];
    expect(abortStages(records, 'aborted by alice: incident')).toEqual([
      { name: 'staging', state: 'succeeded', promotionId: 'p1' },
      { name: 'iad', state: 'aborted', promotionId: 'p2', reason: 'aborted by alice: incident' },
      { name: 'fra', state: 'skipped', reason: 'not started: aborted by alice: incident' },
    ]);
  });
});
