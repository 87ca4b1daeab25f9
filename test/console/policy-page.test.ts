/**
 * The policy page's pure parts: the YAML in the documented field order (held to openapi/promoter.yaml),
 * and which version a diff compares with (never a version with itself).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { compareWith } from '../../packages/console/app/lib/diff.js';
import { POLICY_ORDER } from '../../packages/console/app/lib/policy-order.js';
import { toYaml, type KeyOrder } from '../../packages/console/app/lib/yaml.js';

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode | { $ref: string };
  $ref?: string;
}

const spec = parse(readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), '../../openapi/promoter.yaml'), 'utf8')) as { components: { schemas: Record<string, SchemaNode> } };

/** The KeyOrder the spec's schema implies: its properties in order, nested objects and arrays of refs followed. */
function orderOf(schema: SchemaNode): KeyOrder {
  const children: Record<string, KeyOrder> = {};
  for (const [key, node] of Object.entries(schema.properties ?? {})) {
    const items = node.items && '$ref' in node.items && node.items.$ref ? spec.components.schemas[node.items.$ref.split('/').at(-1)!] : undefined;
    if (node.properties) children[key] = orderOf(node);
    else if (items?.properties) children[key] = { keys: [], items: orderOf(items) };
  }
  return { keys: Object.keys(schema.properties ?? {}), ...(Object.keys(children).length > 0 ? { children } : {}) };
}

describe('the policy YAML', () => {
  it('orders fields as the spec lists them', () => {
    expect(POLICY_ORDER).toEqual(orderOf(spec.components.schemas.Policy!));
  });

  it('writes a document stored with jsonb key order in the documented order, unknown keys after', () => {
    // As PostgreSQL's jsonb returns it: shorter keys first.
    const stored = { bake: '4s', checks: [{ max: 0.05, name: 'error-rate', query: 'up', phases: ['pre'] }], interval: '1s', description: 'd', extra: 1 };
    expect(toYaml(stored, POLICY_ORDER)).toBe(
      ['description: d', 'interval: 1s', 'bake: 4s', 'checks:', '  - name: error-rate', '    phases:', '      - pre', '    query: up', '    max: 0.05', 'extra: 1'].join('\n'),
    );
    // Without an order, as stored.
    expect(toYaml({ b: 1, a: 2 })).toBe('b: 1\na: 2');
  });
});

describe('compareWith', () => {
  const cases: ReadonlyArray<[string, { versions: number[]; selected: number; requested?: number; want: number | null }]> = [
    ['one version: no diff', { versions: [1], selected: 1, want: null }],
    ['one version, asked to diff with itself: no diff', { versions: [1], selected: 1, requested: 1, want: null }],
    ['the previous version by default', { versions: [3, 2, 1], selected: 3, want: 2 }],
    ['the oldest selected: the next newer one', { versions: [3, 2, 1], selected: 1, want: 2 }],
    ['a requested other version', { versions: [3, 2, 1], selected: 3, requested: 1, want: 1 }],
    ['itself requested: the default instead', { versions: [3, 2, 1], selected: 2, requested: 2, want: 1 }],
    ['an unknown version requested: the default instead', { versions: [2, 1], selected: 2, requested: 7, want: 1 }],
  ];
  it.each(cases)('%s', (_name, { versions, selected, requested, want }) => {
    expect(compareWith(versions, selected, requested)).toBe(want);
  });
});
