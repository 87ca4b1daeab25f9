import { describe, expect, it } from 'vitest';
import type { CheckResult, PromoterClient, PromotionDetail, PromotionEvent } from '@promoter/sdk';
import { Output } from './output.js';
import { PromotionProgress } from './progress.js';

const at = (second: number) => `2026-01-01T00:00:${String(second).padStart(2, '0')}.000Z`;

const measurement = (id: number, second: number, phase: CheckResult['phase']): CheckResult => ({
  id,
  check: 'error-rate',
  phase,
  sample: id,
  result: 'pass',
  value: 0.01,
  bound: 'max 0.05',
  message: '',
  measuredAt: at(second),
});

const event = (id: number, second: number, from: PromotionEvent['from'], to: PromotionEvent['to']): PromotionEvent =>
  ({ id, type: 'transition', from, to, at: at(second), actor: 'engine', reason: `${from} -> ${to}` }) as PromotionEvent;

/** A client whose record the test moves on; only `promotions.get` is used by the progress view. */
function fakeClient(record: { detail: PromotionDetail }): PromoterClient {
  return { promotions: { get: async () => record.detail } } as unknown as PromoterClient; // the view reads nothing else
}

describe('PromotionProgress, plain output', () => {
  it('prints a measurement only after the event that came before it, when the record shows both first', async () => {
    const lines: string[] = [];
    const output = new Output({ stdout: { write: (text: string) => lines.push(...text.trimEnd().split('\n')) }, stderr: { write: () => true }, isTTY: false, json: false, color: false });
    const verifying = event(2, 20, 'promoting', 'verifying');
    const record = {
      detail: {
        id: 'p-1',
        state: 'verifying',
        events: [event(1, 10, 'analyzing', 'promoting'), verifying],
        checkResults: [measurement(1, 5, 'pre'), measurement(2, 21, 'post')],
      } as unknown as PromotionDetail,
    };
    const progress = new PromotionProgress(output, fakeClient(record), 'p-1', { live: false, refreshMs: 60_000 });
    await progress.onEvent(event(1, 10, 'analyzing', 'promoting'));
    // The record already holds the verifying event and a post measurement; the event stream has not delivered it.
    await progress.refresh();
    expect(lines.some((line) => line.includes('[post #2]'))).toBe(false);
    await progress.onEvent(verifying);
    await progress.finish(record.detail);
    const order = lines.map((line) => (line.includes('[pre #1]') ? 'pre' : line.includes('-> verifying') ? 'verifying' : line.includes('-> promoting') ? 'promoting' : line.includes('[post #2]') ? 'post' : '?'));
    expect(order.filter((what) => what !== '?')).toEqual(['pre', 'promoting', 'verifying', 'post']);
  });

  it('prints what is left when the wait ends, even without the events', async () => {
    const lines: string[] = [];
    const output = new Output({ stdout: { write: (text: string) => lines.push(text) }, stderr: { write: () => true }, isTTY: false, json: false, color: false });
    const detail = { id: 'p-2', state: 'succeeded', events: [event(1, 10, 'verifying', 'succeeded')], checkResults: [measurement(1, 12, 'post')] } as unknown as PromotionDetail;
    const progress = new PromotionProgress(output, fakeClient({ detail }), 'p-2', { live: false, refreshMs: 60_000 });
    await progress.refresh();
    expect(lines.join('')).not.toContain('[post #1]');
    await progress.finish(detail);
    expect(lines.join('')).toContain('[post #1]');
  });
});
