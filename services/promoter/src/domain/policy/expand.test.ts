import { describe, expect, it } from 'vitest';
import { expandTemplate, plainTemplateVariables } from './expand.js';

const variables = { namespace: 'shop', deployment: 'web', 'labels.app': 'web-app', empty: '' };

describe('expandTemplate', () => {
  const cases: ReadonlyArray<[string, { given: string; want: { text: string } | { error: string } }]> = [
    ['text without placeholders is unchanged', { given: 'no placeholders', want: { text: 'no placeholders' } }],
    ['every placeholder is replaced, unescaped', { given: '{{namespace}}/{{deployment}}="{{namespace}}"', want: { text: 'shop/web="shop"' } }],
    ['spaces inside the braces are allowed', { given: '{{ namespace }}-{{  deployment}}', want: { text: 'shop-web' } }],
    ['a dotted label variable', { given: 'app={{labels.app}}', want: { text: 'app=web-app' } }],
    ['a variable whose value is empty expands to nothing', { given: '[{{empty}}]', want: { text: '[]' } }],
    ['an unknown variable is named', { given: '{{namespace}} {{team}} {{other}}', want: { error: 'unknown variable {{team}}' } }],
    ['an inherited name is not a variable', { given: '{{toString}}', want: { error: 'unknown variable {{toString}}' } }],
    ['a placeholder that is not a name is malformed', { given: 'a {{ not a name }} b', want: { error: 'malformed placeholder: write {{name}}' } }],
    ['an unclosed placeholder is malformed', { given: '{{namespace', want: { error: 'malformed placeholder: write {{name}}' } }],
  ];
  it.each(cases)('%s', (_name, { given, want }) => expect(expandTemplate(given, variables)).toEqual(want));

  it('a value holding {{ is reported as malformed rather than passed on half-expanded', () => {
    expect(expandTemplate('{{v}}', { v: '{{x}}' })).toEqual({ error: 'malformed placeholder: write {{name}}' });
  });
});

describe('plainTemplateVariables', () => {
  const cases: ReadonlyArray<[string, { given: string; want: string[] }]> = [
    ['none', { given: 'plain text', want: [] }],
    ['each name once, in order of first use', { given: '{{b}} {{ a }} {{b}} {{labels.app}}', want: ['b', 'a', 'labels.app'] }],
    ['malformed placeholders name nothing', { given: '{{ not a name }} {{x', want: [] }],
  ];
  it.each(cases)('%s', (_name, { given, want }) => expect(plainTemplateVariables(given)).toEqual(want));
});
