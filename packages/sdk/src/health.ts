/** `client.health`: liveness and readiness of the service. */
import type { CallOptions, Transport } from './transport.js';
import type { Health } from './types.js';

export class HealthApi {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * Readiness: resolves when the service and its database answer; rejects with a PromoterError
   * (`database-unavailable`, 503) or PromoterNetworkError otherwise. Not retried: the answer is wanted now.
   *
   * @example
   * ```ts
   * await client.health.ready(); // { status: 'ok', checks: { database: 'ok' } }
   * ```
   */
  async ready(options: CallOptions = {}): Promise<Health> {
    const { data } = await this.#transport.send((init) => this.#transport.api.GET('/readyz', { ...init }), { ...options, mode: 'none' });
    return data;
  }

  /**
   * Liveness: the process answers.
   *
   * @example
   * ```ts
   * await client.health.live(); // { status: 'ok' }
   * ```
   */
  async live(options: CallOptions = {}): Promise<Health> {
    const { data } = await this.#transport.send((init) => this.#transport.api.GET('/healthz', { ...init }), { ...options, mode: 'none' });
    return data;
  }
}
