/** `client.freezes`: deployment freezes, windows in which promotions wait (rollbacks never do). */
import type { CallOptions, Transport } from './transport.js';
import type { Freeze, FreezeRequest, Promotion } from './types.js';

export class FreezesApi {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * The freezes in force, each with whether it holds now and until when.
   *
   * @example
   * ```ts
   * for (const freeze of await client.freezes.list()) if (freeze.active) console.log(freeze.name, 'until', freeze.until);
   * ```
   */
  async list(options: CallOptions = {}): Promise<Freeze[]> {
    const { data } = await this.#transport.send((init) => this.#transport.api.GET('/v1/freezes', { ...init }), { ...options, mode: 'idempotent' });
    return data.items;
  }

  /**
   * One freeze.
   *
   * @example
   * ```ts
   * const { active, until } = await client.freezes.get('weekend');
   * ```
   */
  async get(name: string, options: CallOptions = {}): Promise<Freeze> {
    const { data } = await this.#transport.send((init) => this.#transport.api.GET('/v1/freezes/{name}', { ...init, params: { path: { name } } }), { ...options, mode: 'idempotent' });
    return data;
  }

  /**
   * Creates or changes a freeze (admin). Putting the same freeze again stores nothing, so a retry is safe.
   *
   * @example
   * ```ts
   * await client.freezes.put('weekend', {
   *   window: { weekly: { days: ['fri', 'sat', 'sun'], from: '18:00', to: '08:00', timeZone: 'Europe/Berlin' } },
   *   scope: { namespaces: ['mcp'] },
   *   reason: 'weekend freeze',
   * });
   * ```
   */
  async put(name: string, freeze: FreezeRequest, options: CallOptions = {}): Promise<Freeze> {
    const { data } = await this.#transport.send(
      (init) => this.#transport.api.PUT('/v1/freezes/{name}', { ...init, params: { path: { name } }, body: freeze }),
      { ...options, mode: 'idempotent' },
    );
    return data;
  }

  /**
   * Ends a freeze now (admin); its versions stay. Not retried after an ambiguous failure.
   *
   * @example
   * ```ts
   * await client.freezes.delete('weekend');
   * ```
   */
  async delete(name: string, options: CallOptions = {}): Promise<void> {
    await this.#transport.send((init) => this.#transport.api.DELETE('/v1/freezes/{name}', { ...init, params: { path: { name } } }), { ...options, mode: 'unsafe' });
  }

  /**
   * Lets one promotion proceed through freezes (admin), saying why.
   *
   * @example
   * ```ts
   * await client.freezes.override(id, 'security fix approved by the on-call lead');
   * ```
   */
  async override(promotionId: string, reason: string, options: CallOptions = {}): Promise<Promotion> {
    const { data } = await this.#transport.send(
      (init) => this.#transport.api.POST('/v1/promotions/{id}/override-freeze', { ...init, params: { path: { id: promotionId } }, body: { reason } }),
      { ...options, mode: 'unsafe' },
    );
    return data;
  }
}
