/** The engine loop around the steps: a refused transition is not written as asked, and is logged and counted. */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { expect, it } from 'vitest';
import type { Promotion } from '../../services/promoter/src/domain/promotion.js';
import type { CheckedStep } from '../../services/promoter/src/domain/step-outcome.js';
import { PromotionEngine, type EngineStore } from '../../services/promoter/src/engine/promotion-engine.js';
import { createMetrics } from '../../services/promoter/src/metrics.js';
import { World, policy } from './harness.js';

it('a step asking for a forbidden transition fails the promotion, logs an error and counts it in /metrics', async () => {
  const promotion: Promotion = new World({ policy: policy() }).promotion;
  const written: CheckedStep[] = [];
  let claimed = false;
  const store: EngineStore = {
    claim: async () => (claimed ? [] : ((claimed = true), [promotion])),
    complete: async (_p, _owner, step) => {
      written.push(step);
      return true;
    },
    release: async () => {},
    countActive: async () => 0,
  };
  const lines: string[] = [];
  const log = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) }));
  const metrics = createMetrics(async () => new Map());
  const engine = new PromotionEngine({
    store,
    steps: { step: async () => ({ transition: { to: 'succeeded', reason: 'a bug skipping the gate' }, nextRunInMs: 0 }) },
    log,
    metrics,
    pollMs: 5,
  });
  engine.start();
  while (written.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  await engine.stop();

  expect(written[0]?.transition).toMatchObject({ from: 'pending', to: 'failed', refused: 'succeeded' });
  expect(lines.some((line) => line.includes('refused transition'))).toBe(true);
  expect(await metrics.registry.getSingleMetricAsString('promoter_refused_transitions_total')).toContain('promoter_refused_transitions_total{from="pending",to="succeeded"} 1');
});
