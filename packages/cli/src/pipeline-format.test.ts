import { describe, expect, it } from 'vitest';
import type { PipelineStageRun } from '@promoter/sdk';
import { Output } from './output.js';
import { soakedLine, stageLine } from './pipeline-format.js';

const plain = new Output({ stdout: { write: () => true }, stderr: { write: () => true }, isTTY: false, json: false, color: false }).style;
const stage = (overrides: Partial<PipelineStageRun>): PipelineStageRun => ({ name: 'iad', state: 'waiting', ...overrides }) as PipelineStageRun;

describe('a stage soak a follower missed', () => {
  it('is told for a stage past its soak, with the time it soaked until', () => {
    for (const state of ['running', 'succeeded', 'failed', 'aborted'] as const) {
      expect(soakedLine(plain, stage({ state, startsAt: '2026-12-06T01:00:02.000Z' }))).toBe('iad            soaked until 2026-12-06T01:00:02.000Z');
    }
  });

  it('is not told while the stage waits or soaks (its own line says so), nor for a stage without a soak', () => {
    expect(soakedLine(plain, stage({ state: 'soaking', startsAt: '2026-12-06T01:00:02.000Z' }))).toBeUndefined();
    expect(soakedLine(plain, stage({ state: 'waiting' }))).toBeUndefined();
    expect(soakedLine(plain, stage({ state: 'succeeded' }))).toBeUndefined();
    expect(stageLine(plain, stage({ state: 'soaking', startsAt: '2026-12-06T01:00:02.000Z' }))).toBe('iad            soaking until 2026-12-06T01:00:02.000Z');
  });
});
