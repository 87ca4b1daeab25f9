/**
 * Delivers the outbox: a loop per replica, apart from the engine's (a slow or dead sink never delays a
 * promotion step), that claims due deliveries with leases, sends each once, and records the attempt:
 * delivered, due again after a backoff, or dead. The lease outlives an attempt's timeout, so in the
 * normal case no other replica sends the same delivery; after a crash its lease expires and another
 * replica sends it again with the same event id (at least once, de-duplicated by the receiver).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { FastifyBaseLogger } from 'fastify';
import type { Counter } from 'prom-client';
import type { DeliveryRow, NotificationStore } from '../adapters/db/notification-store.js';
import { decide, type AttemptResult, type Decision } from './delivery-policy.js';
import { send } from './http-send.js';
import { render } from './render.js';
import type { NotificationsConfig, Sink } from './sinks-config.js';

export interface DispatcherOptions {
  readonly store: NotificationStore;
  readonly config: NotificationsConfig;
  readonly log: FastifyBaseLogger;
  /** `promoter_notifications_total{sink,outcome}`. */
  readonly counter?: Counter<'sink' | 'outcome'>;
  readonly owner?: string;
  readonly pollMs?: number;
  /** Deliveries sent at once by this replica. */
  readonly concurrency?: number;
}

export class NotificationDispatcher {
  readonly owner: string;
  readonly #options: DispatcherOptions;
  readonly #sinks: ReadonlyMap<string, Sink>;
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  /** Attempts made by this replica (read by tests). */
  attempts = 0;

  constructor(options: DispatcherOptions) {
    this.#options = options;
    this.#sinks = new Map(options.config.sinks.map((sink) => [sink.name, sink]));
    this.owner = options.owner ?? `${hostname()}-${process.pid}-notify-${randomBytes(3).toString('hex')}`;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
    this.#options.log.info({ owner: this.owner, sinks: [...this.#sinks.keys()] }, 'notification dispatcher started');
  }

  /** Finishes the attempts in flight (each bounded by its timeout), gives the leases back, and stops. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#wake?.();
    await this.#loop;
    await this.#options.store.release(this.owner).catch(() => undefined);
  }

  async #run(): Promise<void> {
    const pollMs = this.#options.pollMs ?? 500;
    const concurrency = this.#options.concurrency ?? 8;
    // Longer than any attempt, so a lease never expires while its attempt is in flight.
    const timeoutMs = this.#options.config.delivery.timeoutMs;
    const leaseMs = Math.max(timeoutMs * 2, timeoutMs + 2_000);
    while (this.#running) {
      let claimed: DeliveryRow[] = [];
      try {
        claimed = await this.#options.store.claim(this.owner, concurrency, leaseMs);
      } catch (error) {
        this.#options.log.warn({ err: error }, 'notification claim failed; retrying');
      }
      await Promise.all(
        claimed.map((delivery) =>
          // Never lets one delivery stop the loop; its lease expires and it is tried again.
          this.#deliver(delivery).catch((err: unknown) => this.#options.log.error({ err, delivery: delivery.id }, 'notification attempt failed unexpectedly')),
        ),
      );
      if (claimed.length === 0 && this.#running) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, pollMs);
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
  }

  async #deliver(delivery: DeliveryRow): Promise<void> {
    const { store, log, counter, config } = this.#options;
    const sink = this.#sinks.get(delivery.sink);
    const now = new Date();
    const attempts = delivery.attempts + 1;
    let result: AttemptResult;
    let decision: Decision;
    if (sink) {
      this.attempts++;
      result = await send(sink.url, render(sink, delivery.payload, now), config.delivery.timeoutMs, config.delivery.maxResponseBytes);
      decision = decide(result, attempts, now.getTime() - new Date(delivery.due_since).getTime(), config.delivery, now);
    } else {
      // The sink was removed from the configuration since the row was written.
      result = { error: `sink ${delivery.sink} is no longer configured` };
      decision = { kind: 'dead', why: 'sink not configured' };
    }
    const error = decision.kind === 'delivered' ? null : failure(result, decision);
    try {
      const recorded = await store.record(delivery.id, this.owner, {
        status: decision.kind === 'retry' ? 'pending' : decision.kind,
        statusCode: result.status ?? null,
        error,
        ...(decision.kind === 'retry' ? { retryInMs: decision.delayMs } : {}),
      });
      if (!recorded) return;
    } catch (err) {
      // Not recorded: the lease expires and the delivery is sent again with the same id.
      log.warn({ err, delivery: delivery.id }, 'could not record a notification attempt');
      return;
    }
    counter?.inc({ sink: delivery.sink, outcome: decision.kind });
    const fields = { delivery: delivery.id, event: delivery.event_id, sink: delivery.sink, attempts, status: result.status };
    if (decision.kind === 'dead') log.error({ ...fields, error }, 'notification is dead: no more tries');
    else if (decision.kind === 'retry') log.warn({ ...fields, error, retryInMs: decision.delayMs }, 'notification not delivered; will retry');
    else log.debug(fields, 'notification delivered');
  }
}

/** What went wrong, for the delivery's last_error: the attempt's error or status, and why it is final. */
function failure(result: AttemptResult, decision: Decision): string {
  const what = result.error ?? (result.status === undefined ? undefined : `HTTP ${result.status}`);
  return [what, decision.kind === 'dead' ? decision.why : undefined].filter(Boolean).join('; ');
}
