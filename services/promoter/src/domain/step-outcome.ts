/** What one engine step decided: the change it asks for and everything to record with it. */
import type { NumberedMeasurement, Verdict } from './judge/index.js';
import type { EventType } from './promotion-events.js';
import { transition, type PromotionAction, type PromotionState, type Transition } from './promotion-state-machine.js';
import type { PromotionProgress } from './promotion.js';
import type { GitDeliveryRecord, ReleaseRecord } from './delivery.js';
import type { NormalizedImage } from './image-normalization.js';

/** An image a step blocks (policy `blockOnRollback`): written with the step's state change, or not at all. */
export interface ImageBlock {
  /** The reference as the promotion set it. */
  readonly image: string;
  readonly normalized: NormalizedImage;
  readonly namespace: string;
  readonly reason: string;
}
import type { Hold } from './freeze/freeze.js';

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
  readonly record?: {
    readonly resolvedImage?: string;
    readonly previousImage?: string;
    readonly verdict?: Verdict;
    /** Merged into the promotion's delivery record (e.g. the commit a Git delivery made). */
    readonly delivery?: GitDeliveryRecord;
    /** Replaces the release record. */
    readonly release?: ReleaseRecord;
    /** The freeze the promotion waits for (null: none any more). */
    readonly hold?: Hold | null;
  };
  /** An action the engine asks of itself for a later step (e.g. `finalize` after a success). */
  readonly requestAction?: PromotionAction;
  readonly progress?: ProgressUpdate;
  readonly measurements?: readonly NumberedMeasurement[];
  readonly events?: readonly StepEvent[];
  readonly nextRunInMs: number;
  /** The requested action this step carried out; cleared unless another one arrived meanwhile. */
  readonly handledAction?: PromotionAction;
  /** Blocks the image this promotion set (a failed check rolled it back and the policy asks for it). */
  readonly blockImage?: ImageBlock;
}

/** A step's outcome as it is written: its state change already checked by the state machine. */
export type CheckedStep = Omit<StepOutcome, 'transition'> & { readonly transition?: Transition; readonly transitionData?: Record<string, unknown> };

/** Puts a step's state change through `transition()`; a refused change comes back as `failed`, marked `refused`. */
export function checkStep(from: PromotionState, outcome: StepOutcome): CheckedStep {
  const { transition: asked, ...rest } = outcome;
  if (!asked) return rest;
  return { ...rest, transition: transition(from, asked.to, asked.reason), ...(asked.data ? { transitionData: asked.data } : {}) };
}
