/** What the pipeline pages derive from a pipeline and its runs (packages/console/app/lib/pipelines.ts). */
import { describe, expect, it } from 'vitest';
import type { PipelineRun, PipelineVersion } from '@promoter/sdk';
import type { FeedEvent } from '../../packages/console/app/lib/event-feed.js';
import { eventConcernsRun, runUnderWay, soakRemainingMs, stagesLine } from '../../packages/console/app/lib/pipelines.js';

const target = (namespace: string) => ({ namespace, deployment: 'zai-proxy', container: 'proxy' });
const version: Pick<PipelineVersion, 'document'> = {
  document: {
    stages: [
      { name: 'staging', target: target('mcp-staging'), policy: 'gate' },
      { name: 'iad', target: target('mcp'), policy: 'gate', soak: '30m' },
    ],
  },
};
const STAGING_PROMOTION = '3f1c2a9e-7b4d-4c8e-9f20-5a6b7c8d9e01';
const run: Pick<PipelineRun, 'stages'> = { stages: [{ name: 'staging', state: 'running', promotionId: STAGING_PROMOTION }, { name: 'iad', state: 'waiting' }] };
const event = (id: string, namespace: string, deployment = 'zai-proxy') => ({ promotion: { id, target: { namespace, deployment, container: 'proxy' } } }) as unknown as FeedEvent;

describe('pipeline view helpers', () => {
  it('lists the stages in order', () => {
    expect(stagesLine(version)).toBe('staging → iad');
  });

  it("re-reads a run for its stages' promotions and for a promotion into a stage's Deployment, not for others", () => {
    expect(eventConcernsRun(event(STAGING_PROMOTION, 'mcp-staging'), run, version)).toBe(true);
    // iad's promotion has just been started: the run does not name it yet, its target says it is the run's.
    expect(eventConcernsRun(event('8a1c2a9e-7b4d-4c8e-9f20-5a6b7c8d9e02', 'mcp'), run, version)).toBe(true);
    expect(eventConcernsRun(event('9b1c2a9e-7b4d-4c8e-9f20-5a6b7c8d9e03', 'mcp', 'other'), run, version)).toBe(false);
    expect(eventConcernsRun(event('9b1c2a9e-7b4d-4c8e-9f20-5a6b7c8d9e04', 'shop'), run, version)).toBe(false);
  });

  it('counts a soak down to zero, and only for a soaking stage', () => {
    const startsAt = '2026-12-01T10:30:00.000Z';
    const now = Date.parse('2026-12-01T10:29:15.000Z');
    expect(soakRemainingMs({ name: 'iad', state: 'soaking', startsAt }, now)).toBe(45_000);
    expect(soakRemainingMs({ name: 'iad', state: 'soaking', startsAt }, now + 60_000)).toBe(0);
    expect(soakRemainingMs({ name: 'iad', state: 'running', startsAt }, now)).toBeUndefined();
    expect(soakRemainingMs({ name: 'iad', state: 'soaking' }, now)).toBeUndefined();
  });

  it('keeps re-reading a queued or running run only', () => {
    expect(['queued', 'running', 'succeeded', 'failed', 'aborted', 'superseded'].filter((state) => runUnderWay({ state: state as PipelineRun['state'] }))).toEqual(['queued', 'running']);
  });
});
