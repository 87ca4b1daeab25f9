import { describe, expect, it } from 'vitest';
import { checkStep, type StepOutcome } from './step-outcome.js';

describe('checkStep', () => {
  it('a step without a state change comes back as it was, without a transition', () => {
    const outcome: StepOutcome = { nextRunInMs: 5_000, progress: { kubeFailures: 1 } };
    const checked = checkStep('analyzing', outcome);
    expect(checked).toEqual({ nextRunInMs: 5_000, progress: { kubeFailures: 1 } });
    expect('transition' in checked).toBe(false);
  });

  it('an allowed change goes through the state machine as asked, without data when none was given', () => {
    const checked = checkStep('pending', { nextRunInMs: 0, transition: { to: 'analyzing', reason: 'start' } });
    expect(checked.transition).toMatchObject({ from: 'pending', to: 'analyzing', reason: 'start' });
    expect(checked.transition?.refused).toBeUndefined();
    expect('transitionData' in checked).toBe(false);
  });

  it("keeps the change's data beside it", () => {
    const checked = checkStep('pending', { nextRunInMs: 0, transition: { to: 'analyzing', reason: 'start', data: { gate: 'pre' } } });
    expect(checked.transitionData).toEqual({ gate: 'pre' });
  });

  it('a refused change comes back as failed, marked refused', () => {
    const checked = checkStep('pending', { nextRunInMs: 0, transition: { to: 'succeeded', reason: 'skip' } });
    expect(checked.transition).toMatchObject({ from: 'pending', to: 'failed', refused: 'succeeded' });
  });
});
