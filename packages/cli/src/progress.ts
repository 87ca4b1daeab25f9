/**
 * Progress of a promotion while `--wait` waits. Two renderings of the same information:
 * - plain (not a terminal, or --json): one line per event and per new measurement, nothing redrawn, so CI
 *   logs read top to bottom;
 * - live (a terminal): events scroll by as lines, and below them a compact block is redrawn in place with
 *   the state, the time spent and each check's latest value against its bound.
 * Measurements do not always come with an event, so the record is also re-read every `refreshMs`. The
 * events reach `onEvent` a little after the record shows them, so a measurement taken after an event not
 * printed yet waits for it: the lines stay in time order.
 */
import type { CheckResult, PromoterClient, PromotionDetail, PromotionEvent, PromotionHold } from '@promoter/sdk';
import { checkLine, eventLine, holdLine, latestChecks, stateStyle, targetText } from './format.js';
import { truncateStyled, type Output } from './output.js';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface ProgressOptions {
  readonly live: boolean;
  readonly refreshMs?: number;
  readonly columns?: number | undefined;
  /** For tests: the clock of the elapsed-time display. */
  readonly now?: () => number;
}

export class PromotionProgress {
  readonly #output: Output;
  readonly #client: PromoterClient;
  readonly #id: string;
  readonly #live: boolean;
  readonly #refreshMs: number;
  readonly #columns: number;
  readonly #now: () => number;
  readonly #started: number;
  #timer: NodeJS.Timeout | undefined;
  #queue: Promise<void> = Promise.resolve();
  #detail: PromotionDetail | undefined;
  #state = 'pending';
  #stateReason = '';
  #lastCheckId = 0;
  /** Measurements read but not printed yet (plain output), oldest first. */
  #unshown: CheckResult[] = [];
  #shownEventId = 0;
  #checks: CheckResult[] = [];
  #blockLines = 0;
  #frame = 0;
  #stopped = false;

  constructor(output: Output, client: PromoterClient, id: string, options: ProgressOptions) {
    this.#output = output;
    this.#client = client;
    this.#id = id;
    this.#live = options.live;
    this.#refreshMs = options.refreshMs ?? (options.live ? 1_000 : 2_000);
    this.#columns = Math.max(40, options.columns || 100);
    this.#now = options.now ?? Date.now;
    this.#started = this.#now();
  }

  start(): void {
    this.#timer = setInterval(() => void this.refresh(), this.#refreshMs);
    this.#timer.unref?.();
    this.#draw();
  }

  /** For waitForPromotion's onEvent. */
  onEvent(event: PromotionEvent): Promise<void> {
    return this.#exclusive(async () => {
      // Measurements are shown in time order around the event: those taken before it are often why it happened.
      await this.#pull();
      this.#showMeasurementsUntil(event.at);
      this.#shownEventId = Math.max(this.#shownEventId, event.id);
      if (event.to) {
        this.#state = event.to;
        this.#stateReason = event.reason ?? '';
      }
      this.#permanent([eventLine(this.#output.style, event)]);
      if (event.to === 'awaiting_approval') {
        this.#permanent([this.#output.style.yellow(`  approve with: promoter approve ${this.#id}`)]);
      }
      const hold = event.to === 'frozen' ? (event.data as { hold?: PromotionHold } | null)?.hold : undefined;
      if (hold) {
        this.#permanent([this.#output.style.yellow(`  ${holdLine(hold)}: it runs its gate again when the freeze ends; an admin may override with promoter freeze override ${this.#id} --reason TEXT`)]);
      }
      if (event.to === 'awaiting_merge') {
        this.#permanent([this.#output.style.yellow(`  the repository takes changes through pull requests: review and merge it there, or stop with promoter abort ${this.#id}`)]);
      }
      this.#showMeasurementsUntil(this.#nextUnprintedEventAt());
    });
  }

  /** Re-reads the record for new measurements. */
  refresh(): Promise<void> {
    return this.#exclusive(async () => {
      if (this.#stopped) return;
      await this.#pull();
      this.#showMeasurementsUntil(this.#nextUnprintedEventAt());
    });
  }

  /** Stops refreshing, shows what the final record adds, and leaves the screen clean. */
  async finish(detail?: PromotionDetail): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#queue;
    if (detail) this.#absorb(detail);
    this.#showMeasurementsUntil(undefined);
    this.#clearBlock();
  }

  /** One update at a time, in call order, so lines never interleave. */
  #exclusive(work: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(work);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Reads the record for measurements not seen yet; a failed read is left to the wait, which reports service problems. */
  async #pull(): Promise<void> {
    try {
      this.#absorb(await this.#client.promotions.get(this.#id));
    } catch {
      // nothing new this time
    }
  }

  #absorb(detail: PromotionDetail): void {
    this.#detail = detail;
    const fresh = detail.checkResults.filter((result) => result.id > this.#lastCheckId);
    if (fresh.length > 0) {
      this.#lastCheckId = Math.max(...fresh.map((result) => result.id));
      this.#checks = latestChecks(detail.checkResults);
      this.#unshown = [...this.#unshown, ...fresh].sort((a, b) => (a.measuredAt < b.measuredAt ? -1 : a.measuredAt > b.measuredAt ? 1 : a.id - b.id));
    }
  }

  /** When the earliest event the record holds but `onEvent` has not printed happened; undefined: none. */
  #nextUnprintedEventAt(): string | undefined {
    const pending = (this.#detail?.events ?? []).filter((event) => event.id > this.#shownEventId).map((event) => event.at);
    return pending.length === 0 ? undefined : pending.reduce((a, b) => (a < b ? a : b));
  }

  /**
   * Plain output lists every measurement taken up to `until` (all of them when undefined); the live block
   * shows each check's latest value instead.
   */
  #showMeasurementsUntil(until: string | undefined): void {
    const due = until === undefined ? this.#unshown : this.#unshown.filter((result) => result.measuredAt <= until);
    this.#unshown = until === undefined ? [] : this.#unshown.filter((result) => result.measuredAt > until);
    if (this.#live) this.#draw();
    else this.#permanent(due.map((result) => `  ${checkLine(this.#output.style, result)}`));
  }

  #permanent(lines: string[]): void {
    if (lines.length === 0) return;
    this.#clearBlock();
    for (const line of lines) this.#output.note(line);
    this.#draw();
  }

  #draw(): void {
    if (!this.#live || this.#stopped) return;
    const { style } = this.#output;
    const elapsed = Math.round((this.#now() - this.#started) / 1000);
    const spinner = style.cyan(SPINNER[this.#frame++ % SPINNER.length] ?? '*');
    const header = this.#detail ? `${targetText(this.#detail)}` : this.#id;
    const lines = [
      `${spinner} ${stateStyle(style, this.#state)} ${style.dim(`${Math.floor(elapsed / 60)}m${String(elapsed % 60).padStart(2, '0')}s`)}  ${header}`,
      ...(this.#stateReason ? [`  ${style.dim(this.#stateReason)}`] : []),
      ...this.#checks.map((result) => `  ${checkLine(style, result)}`),
    ].map((line) => truncateStyled(line, this.#columns));
    this.#clearBlock();
    for (const line of lines) this.#output.write(this.#output.stdout, line);
    this.#blockLines = lines.length;
  }

  #clearBlock(): void {
    if (!this.#live || this.#blockLines === 0) return;
    // Up to the first line of the block, then clear from there to the end of the screen.
    this.#output.clearAbove(this.#blockLines);
    this.#blockLines = 0;
  }
}
