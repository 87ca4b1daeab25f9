/** Which freezes the console warns of (packages/console/app/lib/freezes.ts). */
import { describe, expect, it } from 'vitest';
import type { Freeze } from '@promoter/sdk';
import { freezesInScope } from '../../packages/console/app/lib/freezes.js';

const freeze = (name: string, active: boolean, scope: Freeze['scope'], until: string | null = active ? '2026-12-07T07:00:00.000Z' : null): Freeze => ({
  name,
  version: 1,
  window: { start: '2026-12-01T00:00:00Z', end: '2026-12-31T00:00:00Z' },
  scope,
  reason: name,
  active,
  until,
  createdBy: 'alice',
  createdByIdentity: null,
  createdAt: '2026-11-20T09:15:00.000Z',
  updatedBy: 'alice',
  updatedByIdentity: null,
  updatedAt: '2026-11-20T09:15:00.000Z',
});

describe('freezesInScope', () => {
  const all = [
    freeze('everywhere', true, {}, '2026-12-05T00:00:00.000Z'),
    freeze('mcp-only', true, { namespaces: ['mcp'] }, '2026-12-09T00:00:00.000Z'),
    freeze('other-only', true, { namespaces: ['other'] }),
    freeze('not-now', false, {}),
    freeze('pipeline-stages', true, { pipelines: ['payments'] }),
  ];
  const cases: ReadonlyArray<[string, { namespace?: string; want: string[] }]> = [
    ['every namespace: every freeze holding now, the one ending last first', { want: ['mcp-only', 'other-only', 'everywhere'] }],
    ['one namespace: freezes over it or over all', { namespace: 'mcp', want: ['mcp-only', 'everywhere'] }],
    ['a namespace no freeze names', { namespace: 'web', want: ['everywhere'] }],
  ];
  it.each(cases)('%s', (_name, { namespace, want }) => {
    expect(freezesInScope(all, namespace).map((f) => f.name)).toEqual(want);
  });
});
