/**
 * The durable loop: claim due promotions (leases), run one step of each, persist the outcome, repeat.
 * All state lives in the database, so a replica that dies loses only its leases; when they expire
 * another replica resumes the promotions where the last persisted step left them.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { PromotionRow } from '../adapters/db/views.js';
import { isTerminal, type PromotionState } from '../domain/promotion-state.js';
import type { ServiceMetrics } from '../metrics.js';
import type { PromotionStore, StepOutcome } from './promotion-store.js';
import type { PromotionSteps } from './promotion-steps.js';

export interface EngineOptions {
  readonly store: PromotionStore;
  readonly steps: PromotionSteps;
  readonly log: FastifyBaseLogger;
  readonly metrics?: ServiceMetrics;
  /** Identifies this replica in leases. */
  readonly owner?: string;
  /** How often to look for due promotions when idle. */
  readonly pollMs?: number;
  readonly leaseMs?: number;
  /** Promotions stepped at once by this replica. */
  readonly concurrency?: number;
}

export class PromotionEngine {
  readonly owner: string;
  readonly #options: EngineOptions;
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  readonly #inFlight = new Set<Promise<void>>();
  /** Steps completed by this replica, for tests and benchmarks. */
  stepsCompleted = 0;

  constructor(options: EngineOptions) {
    this.#options = options;
    this.owner = options.owner ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
    this.#options.log.info({ owner: this.owner }, 'promotion engine started');
  }

  /** Finishes the steps in flight, gives the leases back, and stops. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#wake?.();
    await this.#loop;
    await Promise.allSettled(this.#inFlight);
    await this.#options.store.release(this.owner).catch((error: unknown) => {
      this.#options.log.warn({ err: error }, 'could not release leases; they expire on their own');
    });
    this.#options.log.info({ owner: this.owner, steps: this.stepsCompleted }, 'promotion engine stopped');
  }

  /** Looks for due work now instead of at the next poll (e.g. right after a promotion is created). */
  nudge(): void {
    this.#wake?.();
  }

  async #run(): Promise<void> {
    const pollMs = this.#options.pollMs ?? 500;
    const concurrency = this.#options.concurrency ?? 16;
    const leaseMs = this.#options.leaseMs ?? 60_000;
    let failures = 0;
    let gaugeAt = 0;
    while (this.#running) {
      if (this.#options.metrics && Date.now() - gaugeAt > 5_000) {
        gaugeAt = Date.now();
        const metrics = this.#options.metrics;
        this.#options.store.countActive().then(
          (count) => metrics.activePromotions.set(count),
          () => {},
        );
      }
      let claimed: PromotionRow[] = [];
      const free = concurrency - this.#inFlight.size;
      if (free > 0) {
        try {
          claimed = await this.#options.store.claim(this.owner, free, leaseMs);
          failures = 0;
        } catch (error) {
          failures += 1;
          // The database is away: keep the loop alive and back off; the promotions wait in the database.
          if (failures === 1 || failures % 20 === 0) this.#options.log.warn({ err: error, failures }, 'engine cannot claim promotions');
        }
      }
      for (const row of claimed) {
        const task = this.#stepOne(row).finally(() => {
          this.#inFlight.delete(task);
          this.#wake?.();
        });
        this.#inFlight.add(task);
      }
      if (claimed.length === 0 || this.#inFlight.size >= concurrency) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, failures > 0 ? Math.min(10_000, pollMs * 2 ** Math.min(failures, 5)) : pollMs);
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#wake = undefined;
      }
    }
  }

  async #stepOne(row: PromotionRow): Promise<void> {
    const { log, metrics, store, steps } = this.#options;
    const started = process.hrtime.bigint();
    let outcome: StepOutcome;
    try {
      outcome = await steps.step(row);
    } catch (error) {
      // A bug or an outage in the middle of a step: retry later rather than lose the promotion.
      log.error({ err: error, promotion: row.id, state: row.state }, 'engine step failed; will retry');
      outcome = { events: [{ type: 'retry', reason: `internal error in ${row.state}; retrying` }], nextRunInMs: 5_000 };
    }
    try {
      const persisted = await store.complete(row, this.owner, outcome);
      if (!persisted) {
        log.warn({ promotion: row.id }, 'lease lost during the step; another replica owns the promotion now');
        return;
      }
    } catch (error) {
      log.error({ err: error, promotion: row.id }, 'could not persist a step; it will be repeated when the lease expires');
      return;
    }
    this.stepsCompleted += 1;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    metrics?.engineStepDuration.observe({ state: row.state }, seconds);
    metrics?.engineLastStep.set(Date.now() / 1000);
    for (const { measurement } of outcome.measurements ?? []) {
      metrics?.checkResultsTotal.inc({ check: measurement.check, result: measurement.result });
    }
    const to = outcome.transition?.to;
    if (to) {
      log.info({ promotion: row.id, from: row.state, to, reason: outcome.transition?.reason }, 'promotion state changed');
      if (to === 'rolling_back') metrics?.rollbacksTotal.inc();
      if (isTerminal(to as PromotionState)) {
        metrics?.promotionsTotal.inc({ outcome: to });
        metrics?.promotionDuration.observe((Date.now() - new Date(row.created_at).getTime()) / 1000);
      }
    }
  }
}
