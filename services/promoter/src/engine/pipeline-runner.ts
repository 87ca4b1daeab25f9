/**
 * The durable loop of pipeline runs: claim due runs (leases, like the promotion engine), look at each once
 * (domain/pipeline/run-plan.ts decides), start the stages' promotions it names, write the outcome under the
 * lease. Everything is in the database, so kill -9 at any point loses nothing: a stage's promotion is
 * created with an idempotency key of its run and stage, so a look repeated after a crash finds the
 * promotion the dead replica created instead of making a second one.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { ClaimedRun, PipelineRepository, RunUpdate } from '../adapters/db/pipeline-repository.js';
import { AppError } from '../errors.js';
import { backoffMs, IdleWait } from './idle-wait.js';
import { resolveStages, type PipelineStage } from '../domain/pipeline/model.js';
import { abortStages, planRun, type StageRecord } from '../domain/pipeline/run-plan.js';

/** Starts a stage's promotion: its id, or why it was refused (a client error of the stage's request). */
export type StageStarter = (run: ClaimedRun, stage: PipelineStage) => Promise<{ readonly promotionId: string }>;

export interface PipelineRunnerOptions {
  readonly store: Pick<PipelineRepository, 'claim' | 'complete' | 'release' | 'promotionStandings'>;
  readonly startStage: StageStarter;
  /** Asks a stage's promotion to abort (a run aborted while it runs). */
  readonly abortPromotion: (id: string, actor: string, reason: string) => Promise<void>;
  readonly log: FastifyBaseLogger;
  readonly owner?: string;
  /** How often to look for due runs when idle (default 1 s). */
  readonly pollMs?: number;
  /** How often a run with a running stage looks at its promotion (default 2 s). */
  readonly stagePollMs?: number;
  readonly leaseMs?: number;
  readonly clock?: () => number;
}

export class PipelineRunner {
  readonly owner: string;
  readonly #options: PipelineRunnerOptions;
  #running = false;
  #loop: Promise<void> | undefined;
  readonly #idle = new IdleWait();

  constructor(options: PipelineRunnerOptions) {
    this.#options = options;
    this.owner = options.owner ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}-pipelines`;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Looks for due runs now instead of at the next poll. */
  wake(): void {
    this.#idle.wake();
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#idle.wake();
    await this.#loop;
    await this.#options.store.release(this.owner).catch(() => undefined);
  }

  async #run(): Promise<void> {
    const pollMs = this.#options.pollMs ?? 1_000;
    let failures = 0;
    while (this.#running) {
      let claimed: ClaimedRun[] = [];
      try {
        claimed = await this.#options.store.claim(this.owner, 8, this.#options.leaseMs ?? 60_000);
        failures = 0;
      } catch (error) {
        failures += 1;
        if (failures === 1 || failures % 20 === 0) this.#options.log.warn({ err: error, failures }, 'pipeline runner cannot claim runs');
      }
      for (const run of claimed) await this.#lookAt(run);
      if (claimed.length === 0) await this.#idle.wait(backoffMs(pollMs, failures));
    }
  }

  async #lookAt(run: ClaimedRun): Promise<void> {
    const { log, store } = this.#options;
    let update: RunUpdate;
    try {
      update = await this.#decide(run);
    } catch (error) {
      // An outage in the middle of a look: look again soon rather than lose the run.
      log.error({ err: error, run: run.id }, 'pipeline run look failed; will retry');
      update = { state: run.state, stages: run.stages, events: [], nextRunInMs: 5_000 };
    }
    try {
      if (!(await store.complete(run, this.owner, update))) log.warn({ run: run.id }, 'pipeline run changed meanwhile; its next look decides again');
      else if (update.state !== run.state) log.info({ run: run.id, pipeline: run.pipeline, from: run.state, to: update.state, reason: update.stateReason }, 'pipeline run state changed');
    } catch (error) {
      log.error({ err: error, run: run.id }, 'could not persist a pipeline run look; it is repeated when the lease expires');
    }
  }

  async #decide(run: ClaimedRun): Promise<RunUpdate> {
    if (run.requestedAbort) return this.#abort(run, run.requestedAbort);
    // Woken when the run before it ends; the minute is a safety net.
    if (run.state === 'queued' && run.behindAnother) return { state: 'queued', stages: run.stages, events: [], nextRunInMs: 60_000 };
    // A queued run starts when the one before it has ended (the database keeps one running per pipeline).
    const state = run.state === 'queued' ? 'running' : run.state;
    const stages = resolveStages(run.document);
    const now = this.#now();
    const stagePollMs = this.#options.stagePollMs ?? 2_000;
    const ids = run.stages.flatMap((stage) => (stage.promotionId ? [stage.promotionId] : []));
    const standings = await this.#options.store.promotionStandings(ids);
    let plan = planRun(stages, run.stages, standings, now, stagePollMs);
    const events = [...plan.events];
    if (plan.start.length > 0) {
      const started = await this.#startStages(run, plan.stages, plan.start);
      events.push(...started.events);
      // A refused stage ends the run in this same look. The promotions just started are pending: the standings
      // read above are all this second look needs (a stage whose promotion is not among them stays running).
      plan = planRun(stages, started.stages, standings, now, stagePollMs);
      events.push(...plan.events);
    }
    if (plan.ended) return { state: plan.ended.state, stateReason: plan.ended.reason, stages: plan.stages, events };
    return { state, ...(state !== run.state ? { stateReason: null } : {}), stages: plan.stages, events, nextRunInMs: plan.nextLookInMs ?? 60_000 };
  }

  async #startStages(run: ClaimedRun, records: readonly StageRecord[], names: readonly string[]): Promise<{ stages: StageRecord[]; events: { stage: string; message: string }[] }> {
    const events: { stage: string; message: string }[] = [];
    const stages = [...records];
    for (const name of names) {
      const index = stages.findIndex((record) => record.name === name);
      const stage = run.document.stages.find((candidate) => candidate.name === name);
      if (index < 0 || !stage) continue;
      const startedAt = new Date(this.#now()).toISOString();
      try {
        const { promotionId } = await this.#options.startStage(run, stage);
        // startsAt stays: when its soak ended, beside when it started.
        stages[index] = { name, state: 'running', promotionId, startedAt, ...(stages[index]?.startsAt ? { startsAt: stages[index]?.startsAt } : {}) };
        events.push({ stage: name, message: `stage '${name}' started: promotion ${promotionId} of ${run.image} into ${describeTarget(stage)}` });
      } catch (error) {
        // A client error of the stage's request (a policy gone, a Deployment missing, an image refused): the
        // run cannot go on. Anything else (an outage) is retried by the caller.
        if (!(error instanceof AppError) || error.status >= 500) throw error;
        const fields = error.errors?.map((field) => `${field.pointer.replace(/^\/body/, '')}: ${field.detail}`).join('; ');
        const reason = `its promotion was refused (${error.status}): ${fields ? fields : error.detail}`;
        stages[index] = { name, state: 'failed', startedAt, endedAt: startedAt, reason };
        events.push({ stage: name, message: `stage '${name}' could not start: ${reason}` });
      }
    }
    return { stages, events };
  }

  async #abort(run: ClaimedRun, asked: { readonly actor: string; readonly reason: string }): Promise<RunUpdate> {
    const reason = `aborted by ${asked.actor}: ${asked.reason}`;
    const events: { stage: string | null; message: string }[] = [];
    for (const stage of run.stages) {
      if (stage.state !== 'running' || !stage.promotionId) continue;
      await this.#options.abortPromotion(stage.promotionId, asked.actor, `pipeline run ${run.id} ${reason}`).catch((error: unknown) => {
        // Already ended (409): nothing to abort. Anything else is retried by the caller.
        if (!(error instanceof AppError) || error.status >= 500) throw error;
      });
      events.push({ stage: stage.name, message: `asked promotion ${stage.promotionId} of stage '${stage.name}' to abort` });
    }
    return { state: 'aborted', stateReason: reason, stages: abortStages(run.stages, reason), events };
  }

  #now(): number {
    return this.#options.clock ? this.#options.clock() : Date.now();
  }
}

function describeTarget(stage: PipelineStage): string {
  const { cluster, namespace, deployment, container } = stage.target;
  return `${cluster ? `${cluster}:` : ''}${namespace}/${deployment} (${container})${stage.delivery?.via === 'git' ? ` through Git (${stage.delivery.repository})` : ''}`;
}
