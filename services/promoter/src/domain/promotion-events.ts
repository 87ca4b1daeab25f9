/** The kinds of event a promotion's timeline holds (checked against the contract's `EventType` enum). */
export const EVENT_TYPES = [
  /** The promotion was stored. */
  'created',
  /** A state change (from, to, reason). */
  'transition',
  /** An action (abort, rollback) was asked for by an API caller; the engine carries it out. */
  'request',
  /** The manual gate was approved. */
  'approval',
  /** What the engine is about to do, e.g. the images it recorded before the patch. */
  'note',
  /** A change to the Deployment's image: the promotion's own, or its revert. */
  'patch',
  /** The rollout's replica counts changed (updated, available, desired). */
  'rollout',
  /** A Git delivery's commit: the promotion's own, or its revert. */
  'commit',
  /** A pull (merge) request of a Git delivery: opened, merged, closed, rebased, or why it waits. */
  'pull_request',
  /** The release finalization: the version commit and the annotated tag, or why they failed. */
  'release',
  /** The canary was scaled after a success. */
  'scale',
  /** A transient failure the engine will retry. */
  'retry',
  /** A deployment freeze held the promotion or let it go, or an admin overrode freezes for it. */
  'freeze',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];
