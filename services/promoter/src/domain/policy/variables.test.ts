import { describe, expect, it } from 'vitest';
import { BUILTIN_VARIABLES, baselineVariables, judgedDeployment, variablesFor, type PromotionContext } from './variables.js';

const production: PromotionContext = { namespace: 'shop', deployment: 'web', container: 'app' };
const withCanary: PromotionContext = {
  ...production,
  canaryDeployment: 'web-canary',
  canaryContainer: 'app-canary',
  image: 'ghcr.io/acme/web:1.3.0',
  canaryImage: 'ghcr.io/acme/web:1.3.0-rc1',
  previousImage: 'ghcr.io/acme/web:1.2.0',
};

describe('judgedDeployment', () => {
  const cases: ReadonlyArray<[string, { context: PromotionContext; phase: 'pre' | 'rollout' | 'post'; want: string }]> = [
    ['pre with a canary judges the canary', { context: withCanary, phase: 'pre', want: 'web-canary' }],
    ['rollout judges production even with a canary', { context: withCanary, phase: 'rollout', want: 'web' }],
    ['post judges production', { context: withCanary, phase: 'post', want: 'web' }],
    ['pre without a canary judges production', { context: production, phase: 'pre', want: 'web' }],
    ['pre with an empty canary name judges production', { context: { ...production, canaryDeployment: '' }, phase: 'pre', want: 'web' }],
  ];
  it.each(cases)('%s', (_name, { context, phase, want }) => expect(judgedDeployment(context, phase)).toBe(want));
});

describe('variablesFor', () => {
  it('pre with a canary: the canary is judged, production is named apart', () => {
    expect(variablesFor(withCanary, 'pre')).toEqual({
      namespace: 'shop',
      deployment: 'web-canary',
      container: 'app-canary',
      variant: 'canary',
      image: 'ghcr.io/acme/web:1.3.0',
      version: '1.3.0',
      productionDeployment: 'web',
      canaryDeployment: 'web-canary',
      canaryContainer: 'app-canary',
      canaryImage: 'ghcr.io/acme/web:1.3.0-rc1',
      canaryVersion: '1.3.0-rc1',
      previousImage: 'ghcr.io/acme/web:1.2.0',
      previousVersion: '1.2.0',
      phase: 'pre',
    });
  });

  it('rollout with a canary: production is judged', () => {
    expect(variablesFor(withCanary, 'rollout')).toMatchObject({
      deployment: 'web',
      container: 'app',
      variant: 'production',
      canaryDeployment: 'web-canary',
      canaryContainer: 'app-canary',
      phase: 'rollout',
    });
  });

  it('without images or a canary: empty strings, and the canary falls back to the production container', () => {
    expect(variablesFor(production, 'post')).toEqual({
      namespace: 'shop',
      deployment: 'web',
      container: 'app',
      variant: 'production',
      image: '',
      version: '',
      productionDeployment: 'web',
      canaryDeployment: '',
      canaryContainer: 'app',
      canaryImage: '',
      canaryVersion: '',
      previousImage: '',
      previousVersion: '',
      phase: 'post',
    });
  });

  it('pre without a canary container judges the production container, still as the canary variant', () => {
    expect(variablesFor({ ...production, canaryDeployment: 'web-canary' }, 'pre')).toMatchObject({ container: 'app', variant: 'canary' });
  });

  it('the canary image defaults to the promoted image, and its version with it', () => {
    expect(variablesFor({ ...production, image: 'web@sha256:' + 'a'.repeat(64) }, 'pre')).toMatchObject({
      canaryImage: 'web@sha256:' + 'a'.repeat(64),
      canaryVersion: 'sha256:' + 'a'.repeat(64),
      version: 'sha256:' + 'a'.repeat(64),
    });
    expect(variablesFor({ ...production, image: 'web' }, 'pre')).toMatchObject({ version: 'latest', canaryVersion: 'latest' });
  });

  it("a policy's vars are added and cannot shadow a builtin", () => {
    const variables = variablesFor(production, 'post', { team: 'payments', namespace: 'elsewhere', phase: 'pre' });
    expect(variables).toMatchObject({ team: 'payments', namespace: 'shop', phase: 'post' });
    expect(Object.keys(variables).sort()).toEqual([...BUILTIN_VARIABLES, 'team'].sort());
  });
});

describe('baselineVariables', () => {
  it('production by default, then the production labels, then the check overrides', () => {
    const judged = variablesFor(withCanary, 'pre');
    const baseline = baselineVariables(judged, withCanary, { 'labels.track': 'stable' }, { 'labels.app': 'web', 'labels.track': 'prod' });
    expect(baseline).toEqual({
      ...judged,
      variant: 'production',
      deployment: 'web',
      container: 'app',
      'labels.app': 'web',
      'labels.track': 'stable',
    });
  });

  it('an override can name another variant, deployment or container', () => {
    const baseline = baselineVariables(variablesFor(withCanary, 'pre'), withCanary, { variant: 'baseline', deployment: 'web-baseline', container: 'b' });
    expect(baseline).toMatchObject({ variant: 'baseline', deployment: 'web-baseline', container: 'b' });
  });

  it('without production labels only the overrides are added', () => {
    const judged = variablesFor(production, 'post');
    expect(baselineVariables(judged, production, {})).toEqual(judged);
  });
});
