/**
 * A deployment freeze: a window, a scope and a reason. Which promotions it holds, and the hold a promotion
 * shows while it waits. Pure, no I/O.
 */
import { activeAt, endsAfter, type FreezeWindow } from './freeze-window.js';

/** What a freeze covers; an absent list covers everything of its kind. */
export interface FreezeScope {
  readonly namespaces?: readonly string[];
  readonly clusters?: readonly string[];
  /** Pipelines whose stages it holds; a freeze naming pipelines holds nothing outside them. */
  readonly pipelines?: readonly string[];
}

export interface Freeze {
  readonly name: string;
  readonly window: FreezeWindow;
  readonly scope: FreezeScope;
  readonly reason: string;
}

/** What a freeze is asked about: where a promotion (or a pipeline's stage) would change something. */
export interface FreezeSubject {
  readonly namespace: string;
  readonly cluster: string;
  /** The pipeline a stage belongs to; absent for a promotion made on its own. */
  readonly pipeline?: string;
}

/** Why a promotion waits: the freeze, its reason, and when it lets go (RFC 3339). */
export interface Hold {
  readonly freeze: string;
  readonly reason: string;
  readonly until: string;
}

export function covers(scope: FreezeScope, subject: FreezeSubject): boolean {
  if (scope.namespaces !== undefined && !scope.namespaces.includes(subject.namespace)) return false;
  if (scope.clusters !== undefined && !scope.clusters.includes(subject.cluster)) return false;
  if (scope.pipelines !== undefined && (subject.pipeline === undefined || !scope.pipelines.includes(subject.pipeline))) return false;
  return true;
}

/** How long a hold may go without a fresh look, even when the freeze ends later (or never). */
export const HOLD_RECHECK_MS = 60_000;

/**
 * The hold the freezes put on the subject at `at`, or undefined. When several hold it, the one that ends
 * last is shown: the promotion waits for all of them.
 */
export function holdOn(freezes: readonly Freeze[], subject: FreezeSubject, at: number): Hold | undefined {
  let found: { freeze: Freeze; end: number } | undefined;
  for (const freeze of freezes) {
    if (!covers(freeze.scope, subject) || !activeAt(freeze.window, at)) continue;
    // A window that never lets go is refused when stored; should one exist, it is looked at again each minute.
    const end = endsAfter(freeze.window, at) ?? at + HOLD_RECHECK_MS;
    if (!found || end > found.end) found = { freeze, end };
  }
  return found && { freeze: found.freeze.name, reason: found.freeze.reason, until: new Date(found.end).toISOString() };
}

/** When to look at a held promotion again: at the hold's end, and at least once a minute (freezes change). */
export function recheckInMs(hold: Hold, at: number): number {
  return Math.max(0, Math.min(Date.parse(hold.until) - at, HOLD_RECHECK_MS));
}
