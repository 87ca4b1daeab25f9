/**
 * Open server-sent event streams are counted per token and in all: each one polls the database, so many
 * streams from one token would keep a core busy. Beyond either cap a new stream is refused with 429.
 */
import { AppError } from '../errors.js';

export class EventStreamLimiter {
  readonly #perToken = new Map<string, number>();
  #total = 0;

  constructor(readonly limits: { readonly perToken: number; readonly total: number }) {}

  get open(): number {
    return this.#total;
  }

  /** Counts a new stream for this token; returns the function that releases it (idempotent). */
  acquire(token: string): () => void {
    const mine = this.#perToken.get(token) ?? 0;
    if (mine >= this.limits.perToken || this.#total >= this.limits.total) {
      const which = mine >= this.limits.perToken ? `${this.limits.perToken} per token` : `${this.limits.total} in all`;
      throw new AppError({
        code: 'too-many-streams',
        status: 429,
        title: 'Too many event streams',
        detail: `At most ${which} event streams may be open at once; close one, or read the events without Accept: text/event-stream.`,
        headers: { 'retry-after': '5' },
      });
    }
    this.#perToken.set(token, mine + 1);
    this.#total += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#total -= 1;
      const left = (this.#perToken.get(token) ?? 1) - 1;
      if (left <= 0) this.#perToken.delete(token);
      else this.#perToken.set(token, left);
    };
  }
}
