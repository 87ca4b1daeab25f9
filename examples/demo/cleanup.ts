/**
 * What the demo started, to stop in reverse order: the signal handler and the normal end run the same
 * list, so a Ctrl-C in the middle of start-up stops exactly what had started by then.
 */
export class Cleanup {
  readonly #parts: Array<{ readonly name: string; readonly stop: () => Promise<void> | void }> = [];
  readonly #late: Array<Promise<void>> = [];
  #running: Promise<string[]> | undefined;

  /**
   * Registers a part as soon as it has started. A part that finished starting after `run()` began (a
   * signal during its start) is stopped at once; `lateParts()` waits for those.
   */
  add(name: string, stop: () => Promise<void> | void): void {
    if (this.#running) {
      this.#late.push(Promise.resolve().then(stop).catch(() => undefined));
      return;
    }
    this.#parts.push({ name, stop });
  }

  /** Throws when `run()` has begun: start-up calls it between parts, so a signal ends it early. */
  throwIfStopping(): void {
    if (this.#running) throw new StoppedError();
  }

  /** Waits for the parts that finished starting after `run()` began to be stopped. */
  async lateParts(): Promise<void> {
    await Promise.all(this.#late);
  }

  get stopping(): boolean {
    return this.#running !== undefined;
  }

  /** Stops every part, newest first, each even when another failed; resolves with the failures. Idempotent. */
  run(): Promise<string[]> {
    this.#running ??= (async () => {
      const failures: string[] = [];
      for (const part of [...this.#parts].reverse()) {
        try {
          await part.stop();
        } catch (error) {
          failures.push(`${part.name}: ${(error as Error).message}`);
        }
      }
      return failures;
    })();
    return this.#running;
  }
}

/** Start-up or a scenario was cut short by a signal: not a failure to report. */
export class StoppedError extends Error {
  constructor() {
    super('stopped');
    this.name = 'StoppedError';
  }
}
