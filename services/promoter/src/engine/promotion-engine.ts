/**
 * The durable loop: claim due promotions (leases), run one step of each, persist the outcome, repeat.
 * All state lives in the database, so a replica that dies loses only its leases; when they expire
 * another replica resumes the promotions where the last persisted step left them.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { PromotionStore } from '../adapters/db/promotion-store.js';
import { isTerminal } from '../domain/promotion-state-machine.js';
import type { Promotion } from '../domain/promotion.js';
import { checkStep, type StepOutcome } from '../domain/step-outcome.js';
import type { ServiceMetrics } from '../metrics.js';
import type { PromotionSteps } from './promotion-steps.js';
import { backoffMs, IdleWait } from './idle-wait.js';

/** What the engine needs of the database (PromotionStore on PostgreSQL or PGlite). */
export type EngineStore = Pick<PromotionStore, 'claim' | 'complete' | 'release' | 'countActive'>;

export interface EngineOptions {
  readonly store: EngineStore;
  readonly steps: Pick<PromotionSteps, 'step'>;
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
  readonly #idle = new IdleWait();
  readonly #inFlight = new Set<Promise<void>>();
  /** Steps completed by this replica (logged at stop; read by the durability tests and the benchmark). */
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
    this.#idle.wake();
    await this.#loop;
    await Promise.allSettled(this.#inFlight);
    await this.#options.store.release(this.owner).catch((error: unknown) => {
      this.#options.log.warn({ err: error }, 'could not release leases; they expire on their own');
    });
    this.#options.log.info({ owner: this.owner, steps: this.stepsCompleted }, 'promotion engine stopped');
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
      let claimed: Promotion[] = [];
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
          this.#idle.wake();
        });
        this.#inFlight.add(task);
      }
      if (claimed.length === 0 || this.#inFlight.size >= concurrency) await this.#idle.wait(backoffMs(pollMs, failures));
    }
  }

  async #stepOne(promotion: Promotion): Promise<void> {
    const { log, metrics, store, steps } = this.#options;
    const started = process.hrtime.bigint();
    let outcome: StepOutcome;
    try {
      outcome = await steps.step(promotion);
    } catch (error) {
      // A bug or an outage in the middle of a step: retry later rather than lose the promotion.
      log.error({ err: error, promotion: promotion.id, state: promotion.state }, 'engine step failed; will retry');
      outcome = { events: [{ type: 'retry', reason: `internal error in ${promotion.state}; retrying` }], nextRunInMs: 5_000 };
    }
    const step = checkStep(promotion.state, outcome);
    if (step.transition?.refused) {
      // A bug in a step: it is not carried out (the promotion fails, saying what was refused).
      log.error({ promotion: promotion.id, from: promotion.state, to: step.transition.refused }, `refused transition: ${step.transition.reason}`);
      metrics?.refusedTransitionsTotal.inc({ from: promotion.state, to: step.transition.refused });
    }
    try {
      const persisted = await store.complete(promotion, this.owner, step);
      if (!persisted) {
        log.warn({ promotion: promotion.id }, 'lease lost during the step; another replica owns the promotion now');
        return;
      }
    } catch (error) {
      log.error({ err: error, promotion: promotion.id }, 'could not persist a step; it will be repeated when the lease expires');
      return;
    }
    this.stepsCompleted += 1;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    metrics?.engineStepDuration.observe({ state: promotion.state }, seconds);
    metrics?.engineLastStep.set(Date.now() / 1000);
    for (const { measurement } of outcome.measurements ?? []) {
      metrics?.checkResultsTotal.inc({ check: measurement.check, result: measurement.result });
    }
    const release = step.record?.release?.state;
    if (release === 'done' || release === 'failed') metrics?.releasesTotal.inc({ outcome: release });
    const to = step.transition?.to;
    if (to && to !== promotion.state) {
      log.info({ promotion: promotion.id, from: promotion.state, to, reason: step.transition?.reason }, 'promotion state changed');
      if (to === 'rolling_back') metrics?.rollbacksTotal.inc();
      if (isTerminal(to)) {
        metrics?.promotionsTotal.inc({ outcome: to });
        metrics?.promotionDuration.observe((Date.now() - promotion.createdAt.getTime()) / 1000);
      }
    }
  }
}
