/**
 * Where a reader of the event feed stands in the event sequence. Event ids come from one sequence, but
 * transactions commit in any order (two replicas, or the API and the engine, writing at once): id 11 may
 * be visible before id 10 is. A reader that only asked for "after 11" would never send 10. So an id
 * skipped over is remembered and asked for again until it arrives or `holdMs` passes (an id taken by a
 * transaction that rolled back never arrives).
 */
export interface FeedCursorOptions {
  /** How long a skipped id is waited for. */
  readonly holdMs: number;
  /** At most this many skipped ids are remembered (the oldest are forgotten first). */
  readonly maxMissing: number;
}

export class FeedCursor {
  #after: number;
  // Skipped id -> when to stop asking for it; insertion order is id order, so the oldest come first.
  readonly #missing = new Map<number, number>();

  constructor(
    after: number,
    readonly options: FeedCursorOptions,
  ) {
    this.#after = after;
  }

  /** The highest id seen: everything above it is new. */
  get after(): number {
    return this.#after;
  }

  /** The skipped ids still worth asking for at `now`. */
  missing(now: number): number[] {
    for (const [id, until] of this.#missing) if (until <= now) this.#missing.delete(id);
    return [...this.#missing.keys()];
  }

  /** Records the ids a read returned (new ones and late ones); the ids jumped over become missing. */
  advance(ids: readonly number[], now: number): void {
    for (const id of [...ids].sort((a, b) => a - b)) {
      if (id <= this.#after) {
        this.#missing.delete(id);
        continue;
      }
      // A jump larger than what is remembered keeps only its newest ids.
      for (let skipped = Math.max(this.#after + 1, id - this.options.maxMissing); skipped < id; skipped++) {
        this.#missing.set(skipped, now + this.options.holdMs);
      }
      this.#after = id;
    }
    for (const id of this.#missing.keys()) {
      if (this.#missing.size <= this.options.maxMissing) break;
      this.#missing.delete(id);
    }
  }
}
