import { describe, expect, it } from 'vitest';
import { checkPipelineDocument, resolveStages, type PipelineDocument, type PipelineStage } from './model.js';

const stage = (name: string, extra: Partial<PipelineStage> = {}): PipelineStage => ({
  name,
  target: { namespace: `ns-${name}`, deployment: 'zai-proxy', container: 'proxy' },
  policy: 'zai-proxy-default',
  ...extra,
});
const doc = (...stages: PipelineStage[]): PipelineDocument => ({ stages });

describe('resolveStages', () => {
  it('a stage without after comes after the one before it; the first after none', () => {
    expect(resolveStages(doc(stage('staging'), stage('iad'), stage('fra')))).toEqual([
      { name: 'staging', after: [], soakMs: 0, approval: false },
      { name: 'iad', after: ['staging'], soakMs: 0, approval: false },
      { name: 'fra', after: ['iad'], soakMs: 0, approval: false },
    ]);
  });

  it('keeps an explicit after (an empty one starts with the run), the soak in ms and the approval', () => {
    const resolved = resolveStages(doc(stage('staging'), stage('iad', { soak: '30m', approval: 'required' }), stage('fra', { after: ['staging'], soak: '1h' }), stage('lab', { after: [] })));
    expect(resolved.map((s) => [s.name, s.after, s.soakMs, s.approval])).toEqual([
      ['staging', [], 0, false],
      ['iad', ['staging'], 1_800_000, true],
      ['fra', ['staging'], 3_600_000, false],
      ['lab', [], 0, false],
    ]);
  });
});

describe('checkPipelineDocument', () => {
  it('accepts the README pipeline', () => {
    expect(checkPipelineDocument(doc(stage('staging'), stage('apexalgo-iad', { soak: '10m' }), stage('apexalgo-fra', { soak: '10m', approval: 'required' })))).toEqual([]);
  });

  const cases: ReadonlyArray<[string, PipelineDocument, { pointer: string; detail: string }]> = [
    ['no stage', doc(), { pointer: '/body/stages', detail: 'a pipeline needs at least one stage' }],
    ['two stages of one name', doc(stage('a'), { ...stage('a'), target: { namespace: 'x', deployment: 'y', container: 'z' } }), { pointer: '/body/stages/1/name', detail: "stage 'a' is already stage 1" }],
    ['two stages of one Deployment', doc(stage('a'), { ...stage('b'), target: stage('a').target }), { pointer: '/body/stages/1/target', detail: "stage 'a' already promotes this Deployment; two stages of one run would wait for each other" }],
    ['after an unknown stage', doc(stage('a'), stage('b', { after: ['c'] })), { pointer: '/body/stages/1/after/0', detail: "no stage is named 'c'" }],
    ['after itself', doc(stage('a'), stage('b', { after: ['b'] })), { pointer: '/body/stages/1/after/0', detail: 'a stage cannot come after itself' }],
    ['a circle', doc(stage('a', { after: ['c'] }), stage('b'), stage('c')), { pointer: '/body/stages', detail: 'the stages wait for each other in a circle: a -> c -> b -> a' }],
    ['a soak on the first stage', doc(stage('a', { soak: '5m' })), { pointer: '/body/stages/0/soak', detail: 'a stage that comes after no other stage has nothing to soak' }],
    ['a soak over 30 days', doc(stage('a'), stage('b', { soak: '31d' })), { pointer: '/body/stages/1/soak', detail: "must be a duration up to 30d like 30m or 2h, got '31d'" }],
  ];
  it.each(cases)('refuses %s, naming the field', (_name, given, want) => {
    expect(checkPipelineDocument(given)).toContainEqual(want);
  });

  it('a stage of the same Deployment in another cluster is another target', () => {
    const iad = stage('iad', { target: { cluster: 'apexalgo-iad', namespace: 'mcp', deployment: 'zai-proxy', container: 'proxy' } });
    const fra = stage('fra', { target: { cluster: 'apexalgo-fra', namespace: 'mcp', deployment: 'zai-proxy', container: 'proxy' } });
    expect(checkPipelineDocument(doc(iad, fra))).toEqual([]);
  });
});
