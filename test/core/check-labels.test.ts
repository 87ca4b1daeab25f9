/**
 * `{{labels.*}}` through the check runner: which Deployment's pod-template labels each side of a check
 * sees, and that a label that cannot be had is an `error` measurement naming the label and the
 * Deployment, never a pass. In memory: the Deployments in InMemoryKubernetes, Prometheus from a table.
 */
import { describe, expect, it } from 'vitest';
import { InMemoryKubernetes } from '../../services/promoter/src/adapters/kubernetes/in-memory-kubernetes.js';
import type { DeploymentRef, DeploymentSnapshot } from '../../services/promoter/src/adapters/kubernetes/types.js';
import { normalizePolicy, type CheckDocument, type Phase } from '../../services/promoter/src/domain/policy/model.js';
import { CheckRunner } from '../../services/promoter/src/evaluation/check-runner.js';
import { measureRound } from '../../services/promoter/src/evaluation/evaluate-phase.js';
import { CannedPrometheus } from '../fixtures/canned-prometheus.js';

const PRODUCTION = { namespace: 'mcp', name: 'zai-proxy' };
const CANARY = { namespace: 'mcp', name: 'zai-proxy-test' };
const ERRORS = 'sum(rate(zai_proxy_requests_total{variant="{{labels.variant}}",status=~"5.."}[5m]))';

function cluster(): InMemoryKubernetes {
  const kube = new InMemoryKubernetes();
  kube.addDeployment(PRODUCTION, [{ name: 'proxy', image: 'ronaldraygun/zai-proxy:1.2.0' }], 3, { variant: 'production' });
  kube.addDeployment(CANARY, [{ name: 'proxy', image: 'ronaldraygun/zai-proxy:1.2.1-canary' }], 1, { variant: 'test' });
  return kube;
}

const context = (phase: Phase, canary: string | undefined) => ({
  target: { namespace: 'mcp', deployment: PRODUCTION.name, container: 'proxy', canaryDeployment: canary, canaryContainer: canary ? 'proxy' : undefined },
  phase,
  at: new Date('2026-11-28T12:00:00Z'),
});

async function measure(check: CheckDocument, phase: Phase, options: { kube?: InMemoryKubernetes | null; canary?: string | null } = {}) {
  const kube = options.kube === null ? undefined : (options.kube ?? cluster());
  const prometheus = new CannedPrometheus().answer(/./, 0.01);
  const runner = new CheckRunner({ prometheus, deployments: kube });
  const policy = normalizePolicy({ checks: [check] });
  return runner.measure(policy, policy.checks[0] as (typeof policy.checks)[0], context(phase, options.canary === null ? undefined : (options.canary ?? CANARY.name)));
}

describe('check runner: which Deployment {{labels.*}} come from', () => {
  const cases: ReadonlyArray<[string, { check: CheckDocument; phase: Phase; canary?: null; query: string; baselineQuery?: string }]> = [
    ['pre with a canary: the canary Deployment', { check: { name: 'e', query: ERRORS, max: 1 }, phase: 'pre', query: ERRORS.replace('{{labels.variant}}', 'test') }],
    ['rollout: production', { check: { name: 'e', query: ERRORS, max: 1 }, phase: 'rollout', query: ERRORS.replace('{{labels.variant}}', 'production') }],
    ['post: production', { check: { name: 'e', query: ERRORS, max: 1 }, phase: 'post', query: ERRORS.replace('{{labels.variant}}', 'production') }],
    [
      'pre without a canary: production, as {{deployment}} is',
      { check: { name: 'e', query: 'x{d="{{deployment}}",v="{{labels.variant}}"}', max: 1 }, phase: 'pre', canary: null, query: 'x{d="zai-proxy",v="production"}' },
    ],
    [
      'a baseline of the same query: the canary for the query, production for the baseline',
      {
        check: { name: 'p95', query: 'p95{v="{{labels.variant}}",app="{{labels.app}}"}', baseline: { variant: 'production' }, maxIncrease: '10%' },
        phase: 'pre',
        query: 'p95{v="test",app="zai-proxy-test"}',
        baselineQuery: 'p95{v="production",app="zai-proxy"}',
      },
    ],
    [
      'a baseline overriding the label',
      {
        check: { name: 'p95', query: 'p95{v="{{labels.variant}}"}', baseline: { 'labels.variant': 'stable' }, maxIncrease: '10%' },
        phase: 'pre',
        query: 'p95{v="test"}',
        baselineQuery: 'p95{v="stable"}',
      },
    ],
    [
      'a baseline at an earlier time: the same Deployment as the query',
      { check: { name: 'p95', query: 'p95{v="{{labels.variant}}"}', baseline: { offset: '1h' }, maxIncrease: '10%' }, phase: 'pre', query: 'p95{v="test"}', baselineQuery: 'p95{v="test"}' },
    ],
    ['alerts matchers', { check: { name: 'a', alerts: { variant: '{{labels.variant}}' } }, phase: 'pre', query: 'ALERTS{alertstate="firing",variant="test"}' }],
  ];
  it.each(cases)('%s', async (_name, { check, phase, canary, query, baselineQuery }) => {
    const measurement = await measure(check, phase, canary === null ? { canary } : {});
    expect(measurement.result, measurement.message).not.toBe('error');
    expect(measurement.query).toBe(query);
    expect(measurement.baselineQuery).toBe(baselineQuery ?? null);
  });
});

describe('check runner: labels that cannot be had are errors', () => {
  it('names the missing label and the Deployment, and lists the labels it has', async () => {
    const measurement = await measure({ name: 'e', query: 'x{t="{{labels.track}}"}', max: 1 }, 'pre');
    expect(measurement).toMatchObject({
      result: 'error',
      query: null,
      message: "e: Deployment mcp/zai-proxy-test has no pod-template label 'track' for {{labels.track}} (its labels: app, variant)",
    });
    expect(measurement.unmeasurable).toBeUndefined();
  });

  it('says the baseline when production lacks the label', async () => {
    const kube = new InMemoryKubernetes();
    kube.addDeployment(PRODUCTION, [{ name: 'proxy', image: 'a:1' }], 3);
    kube.addDeployment(CANARY, [{ name: 'proxy', image: 'a:2' }], 1, { variant: 'test' });
    const measurement = await measure({ name: 'p95', query: 'p95{v="{{labels.variant}}"}', baseline: { variant: 'x' }, maxIncrease: 1 }, 'pre', { kube });
    expect(measurement).toMatchObject({ result: 'error', message: "p95: baseline: Deployment mcp/zai-proxy has no pod-template label 'variant' for {{labels.variant}} (its labels: app)" });
  });

  it('without a cluster: an error at once (unmeasurable), naming the Deployment', async () => {
    const measurement = await measure({ name: 'e', query: ERRORS, max: 1 }, 'post', { kube: null });
    expect(measurement).toMatchObject({
      result: 'error',
      unmeasurable: true,
      message: 'e: {{labels.variant}} needs the pod-template labels of Deployment mcp/zai-proxy, but no Kubernetes client is configured',
    });
  });

  it('a Deployment that cannot be read: an error with the reason', async () => {
    const measurement = await measure({ name: 'e', query: ERRORS, max: 1 }, 'pre', { canary: 'zai-proxy-gone' });
    expect(measurement.result).toBe('error');
    expect(measurement.message).toMatch(/^e: \{\{labels\.variant\}\}: the labels of Deployment mcp\/zai-proxy-gone could not be read: .+/);
  });

  it('checks without labels read no Deployment, even without a cluster', async () => {
    const measurement = await measure({ name: 'e', query: 'x{v="{{variant}}"}', max: 1 }, 'pre', { kube: null });
    expect(measurement).toMatchObject({ result: 'pass', query: 'x{v="canary"}' });
  });
});

describe('measureRound: each Deployment is read once per round', () => {
  it('reads the canary once for three checks using its labels', async () => {
    const kube = cluster();
    const reads: string[] = [];
    const counting = {
      getDeployment: (ref: DeploymentRef): Promise<DeploymentSnapshot> => {
        reads.push(`${ref.namespace}/${ref.name}`);
        return kube.getDeployment(ref);
      },
    };
    const prometheus = new CannedPrometheus().answer(/./, 0.01).answer(/^ALERTS/, 'no-data');
    const runner = new CheckRunner({ prometheus, deployments: counting });
    const policy = normalizePolicy({
      checks: [
        { name: 'a', query: 'a{v="{{labels.variant}}"}', max: 1 },
        { name: 'b', query: 'b{v="{{labels.variant}}"}', max: 1 },
        { name: 'c', alerts: { v: '{{labels.variant}}' } },
        { name: 'd', query: 'd', max: 1 },
      ],
    });
    const round = await measureRound(runner, prometheus, policy, policy.checks, context('pre', CANARY.name));
    expect(round.map((m) => m.result)).toEqual(['pass', 'pass', 'pass', 'pass']);
    expect(reads).toEqual(['mcp/zai-proxy-test']);
  });
});
