/** `client.evaluations`: a policy's checks run on demand, patching nothing. */
import type { CallOptions, Transport } from './transport.js';
import type { Evaluation, EvaluationRequest } from './types.js';

export class EvaluationsApi {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * Runs a policy's checks for a phase now (or as of `time`, or across a past `window`) and stores the
   * result. Patches nothing, so it is retried like a read: a retry at worst stores a second evaluation.
   *
   * @example
   * ```ts
   * const evaluation = await client.evaluations.create({
   *   target: { namespace: 'mcp', deployment: 'zai-proxy', container: 'proxy' },
   *   source: { deployment: 'zai-proxy-test' },
   *   policy: 'zai-proxy-default',
   *   phase: 'pre',
   * });
   * console.log(evaluation.verdict);
   * ```
   */
  async create(request: EvaluationRequest, options: CallOptions = {}): Promise<Evaluation> {
    const { data } = await this.#transport.send(
      (init) => this.#transport.api.POST('/v1/evaluations', { ...init, body: request }),
      { ...options, mode: 'idempotent' },
    );
    return data;
  }

  /**
   * A stored evaluation.
   *
   * @example
   * ```ts
   * const evaluation = await client.evaluations.get(id);
   * for (const check of evaluation.checks) console.log(check.name, check.verdict);
   * ```
   */
  async get(id: string, options: CallOptions = {}): Promise<Evaluation> {
    const { data } = await this.#transport.send(
      (init) => this.#transport.api.GET('/v1/evaluations/{id}', { ...init, params: { path: { id } } }),
      { ...options, mode: 'idempotent' },
    );
    return data;
  }
}
