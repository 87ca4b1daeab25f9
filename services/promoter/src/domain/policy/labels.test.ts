import { describe, expect, it } from 'vitest';
import { checkLabelKeys, labelKey, labelKeyProblem, labelVariables } from './labels.js';
import type { CheckDocument } from './model.js';
import { parseTemplate, renderTemplate, templateVariables } from './template.js';
import { validatePolicy } from './validate.js';

describe('labelKeyProblem', () => {
  // A prefix of exactly 253 characters: three 63-character labels and one of 61, joined by dots.
  const longestPrefix = `${'p'.repeat(63)}.${'p'.repeat(63)}.${'p'.repeat(63)}.${'p'.repeat(61)}`;
  const valid = ['variant', 'app.kubernetes.io/name', 'a', 'A_b-c.D', 'example.com/x', 'x'.repeat(63), 'a/b', `${longestPrefix}/x`];
  it.each(valid)('accepts %s', (key) => {
    expect(labelKeyProblem(key)).toBeUndefined();
  });

  const invalid: ReadonlyArray<[string, { given: string; want: RegExp }]> = [
    ['a name starting with a dash', { given: '-variant', want: /'-variant' is not a Kubernetes label name/ }],
    ['a name ending with a dot', { given: 'variant.', want: /not a Kubernetes label name/ }],
    ['a name of 64 characters', { given: 'x'.repeat(64), want: /at most 63 characters/ }],
    ['an empty name after the prefix', { given: 'example.com/', want: /'' is not a Kubernetes label name/ }],
    ['an upper-case prefix', { given: 'Example.com/x', want: /'Example.com' is not a label prefix/ }],
    ['two slashes', { given: 'a/b/c', want: /'a\/b' is not a label prefix/ }],
    ['a prefix of 254 characters', { given: `${'p'.repeat(63)}.${'p'.repeat(63)}.${'p'.repeat(63)}.${'p'.repeat(62)}/x`, want: /is not a label prefix: a DNS subdomain \(lowercase letters, digits, - and \.\) of at most 253 characters$/ }],
  ];
  it.each(invalid)('refuses %s', (_name, { given, want }) => {
    expect(labelKeyProblem(given)).toMatch(want);
  });
});

describe('labels as template variables', () => {
  it('parses {{labels.<key>}} with a prefixed key as one placeholder', () => {
    expect(templateVariables('up{a="{{labels.variant}}", b="{{ labels.app.kubernetes.io/name }}"}')).toEqual(['labels.variant', 'labels.app.kubernetes.io/name']);
    expect(labelKey('labels.app.kubernetes.io/name')).toBe('app.kubernetes.io/name');
    expect(labelKey('variant')).toBeUndefined();
  });

  it('escapes label values like every variable: quoted, and literal in a regex', () => {
    const variables = labelVariables({ variant: 'te"st', version: '1.2.1' });
    expect(renderTemplate('up{variant="{{labels.variant}}",v=~"{{labels.version}}"}', variables)).toEqual({ query: 'up{variant="te\\"st",v=~"1\\\\.2\\\\.1"}' });
  });

  it('keeps refusing names that are neither variables nor labels', () => {
    expect(parseTemplate('{{.Values.x}}')).toEqual({ error: expect.stringMatching(/malformed placeholder/) });
    expect(renderTemplate('up{a="{{labels.variant}}"}', {})).toEqual({ error: 'unknown variable {{labels.variant}}' });
  });
});

describe('checkLabelKeys: which Deployment each label is read from', () => {
  const query = 'rate(x{variant="{{labels.variant}}",track="{{labels.track}}"}[5m])';
  const cases: ReadonlyArray<[string, { given: CheckDocument; want: { judged: string[]; production: string[] } }]> = [
    ['no labels', { given: { name: 'c', query: 'up{v="{{variant}}"}', max: 1 }, want: { judged: [], production: [] } }],
    ['a threshold: the judged Deployment', { given: { name: 'c', query, max: 1 }, want: { judged: ['variant', 'track'], production: [] } }],
    [
      'a baseline of the same query: production for it',
      { given: { name: 'c', query, baseline: { variant: 'x' }, maxIncrease: 1 }, want: { judged: ['variant', 'track'], production: ['variant', 'track'] } },
    ],
    [
      'a baseline overriding a label: not read for it',
      { given: { name: 'c', query, baseline: { 'labels.variant': 'production' }, maxIncrease: 1 }, want: { judged: ['variant', 'track'], production: ['track'] } },
    ],
    [
      'a baseline at an earlier time: the judged Deployment',
      { given: { name: 'c', query, baseline: { offset: '1h' }, maxIncrease: 1 }, want: { judged: ['variant', 'track'], production: [] } },
    ],
    [
      'a baseline with its own query',
      { given: { name: 'c', query: 'up', baseline: { query: 'x{z="{{labels.zone}}"}' }, maxIncrease: 1 }, want: { judged: [], production: ['zone'] } },
    ],
    ['alerts values', { given: { name: 'c', alerts: { variant: '{{labels.variant}}', ns: '{{namespace}}' } }, want: { judged: ['variant'], production: [] } }],
    ['a webhook: none', { given: { name: 'c', webhook: { url: 'https://x.example/' } }, want: { judged: [], production: [] } }],
    ['a check without a query: none', { given: { name: 'c', max: 1 } as CheckDocument, want: { judged: [], production: [] } }],
    ['a malformed query: none (validation says why)', { given: { name: 'c', query: 'up{a="{{labels.variant"}', max: 1 }, want: { judged: [], production: [] } }],
  ];
  it.each(cases)('%s', (_name, { given, want }) => {
    expect(checkLabelKeys(given)).toEqual(want);
  });
});

describe('validatePolicy: labels', () => {
  it('accepts {{labels.<name>}} in queries, baseline queries, overrides and alerts', () => {
    expect(
      validatePolicy({
        checks: [
          { name: 'rate', query: 'x{variant="{{labels.variant}}",n="{{labels.app.kubernetes.io/name}}"}', max: 1 },
          { name: 'p95', query: 'y{variant="{{labels.variant}}"}', baseline: { 'labels.variant': 'production' }, maxIncrease: '10%' },
          { name: 'base', query: 'y', baseline: { query: 'y{variant="{{labels.variant}}"}' }, maxIncrease: 1 },
          { name: 'alerts', alerts: { variant: '{{labels.variant}}' } },
        ],
      }),
    ).toEqual([]);
  });

  it('names a label key Kubernetes would not allow, wherever it stands', () => {
    expect(
      validatePolicy({
        checks: [
          { name: 'rate', query: 'x{variant="{{labels.-variant}}"}', max: 1 },
          { name: 'alerts', alerts: { variant: '{{labels.a/b/c}}' } },
          { name: 'p95', query: 'y{v="{{labels.v}}"}', baseline: { 'labels.v.': 'x' }, maxIncrease: 1 },
        ],
      }),
    ).toEqual([
      { pointer: '/checks/0/query', detail: expect.stringMatching(/^\{\{labels\.-variant\}\}: '-variant' is not a Kubernetes label name/) },
      { pointer: '/checks/1/alerts/variant', detail: expect.stringMatching(/^\{\{labels\.a\/b\/c\}\}: 'a\/b' is not a label prefix/) },
      { pointer: '/checks/2/baseline/labels.v.', detail: expect.stringMatching(/'v\.' is not a Kubernetes label name/) },
    ]);
  });

  it('still calls another dotted name an unknown variable, and lists labels.<label> among the known', () => {
    expect(validatePolicy({ checks: [{ name: 'rate', query: 'x{a="{{vars.x}}"}', max: 1 }] })).toEqual([
      { pointer: '/checks/0/query', detail: expect.stringMatching(/^unknown variable \{\{vars\.x\}\}; known: .*variant.* and labels\.<label>$/) },
    ]);
  });

  it('refuses a label override the query does not use', () => {
    expect(validatePolicy({ checks: [{ name: 'p95', query: 'y{v="{{variant}}"}', baseline: { 'labels.variant': 'production' }, maxIncrease: 1 }] })).toEqual([
      { pointer: '/checks/0/baseline/labels.variant', detail: 'the query does not use {{labels.variant}}, so overriding it changes nothing' },
    ]);
  });
});
