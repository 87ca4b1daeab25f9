/**
 * The pause of a polling loop between two looks for work: it ends after `ms`, or at once when `wake()` is
 * called (new work arrived, or the loop is stopping). One waiter at a time.
 */
export class IdleWait {
  #wake: (() => void) | undefined;

  wait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done(): void {
        clearTimeout(timer);
        self.#wake = undefined;
        resolve();
      }
      this.#wake = done;
    });
  }

  wake(): void {
    this.#wake?.();
  }
}

/** How long a loop waits after `failures` failed looks in a row: `pollMs`, doubling per failure up to 10 s. */
export function backoffMs(pollMs: number, failures: number): number {
  return failures > 0 ? Math.min(10_000, pollMs * 2 ** Math.min(failures, 5)) : pollMs;
}
