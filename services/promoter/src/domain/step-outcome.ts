/** What one engine step decided: the change it asks for and everything to record with it. */
import type { NumberedMeasurement, Verdict } from './judge/index.js';
import type { EventType } from './promotion-events.js';
import type { PromotionAction, PromotionState } from './promotion-state-machine.js';
import type { PromotionProgress } from './promotion.js';

export interface StepEvent {
  readonly type: EventType;
  readonly reason: string;
  readonly data?: Record<string, unknown>;
}

/** Progress keys to merge; a key given as `undefined` is removed. */
export type ProgressUpdate = { readonly [K in keyof PromotionProgress]?: PromotionProgress[K] | undefined };

export interface StepOutcome {
  /** The state change the step asks for; the engine checks it with `transition()` before it is written. */
  readonly transition?: { readonly to: PromotionState; readonly reason: string; readonly data?: Record<string, unknown> };
  readonly record?: { readonly resolvedImage?: string; readonly previousImage?: string; readonly verdict?: Verdict };
  readonly progress?: ProgressUpdate;
  readonly measurements?: readonly NumberedMeasurement[];
  readonly events?: readonly StepEvent[];
  readonly nextRunInMs: number;
  /** The requested action this step carried out; cleared unless another one arrived meanwhile. */
  readonly handledAction?: PromotionAction;
}
