/** `client.policies`: the versioned policy documents that gate promotions. */
import type { CallOptions, Transport } from './transport.js';
import type { Policy, PolicyVersion } from './types.js';

export class PoliciesApi {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * The latest version of every policy.
   *
   * @example
   * ```ts
   * for (const policy of await client.policies.list()) console.log(policy.name, policy.version);
   * ```
   */
  async list(options: CallOptions = {}): Promise<PolicyVersion[]> {
    const { data } = await this.#transport.send((init) => this.#transport.api.GET('/v1/policies', { ...init }), { ...options, mode: 'idempotent' });
    return data.items;
  }

  /**
   * A policy: its latest version, or the version asked for.
   *
   * @example
   * ```ts
   * const latest = await client.policies.get('zai-proxy-default');
   * const first = await client.policies.get('zai-proxy-default', { version: 1 });
   * ```
   */
  async get(name: string, options: CallOptions & { version?: number } = {}): Promise<PolicyVersion> {
    const query = options.version === undefined ? {} : { version: options.version };
    const { data } = await this.#transport.send(
      (init) => this.#transport.api.GET('/v1/policies/{name}', { ...init, params: { path: { name }, query } }),
      { ...options, mode: 'idempotent' },
    );
    return data;
  }

  /**
   * Stores a new version of a policy, from an object (sent as JSON) or a YAML document (sent as
   * `application/yaml`, as it is, so the service reports errors against your file). A document equal to
   * the latest version stores nothing and answers that version, which is why a retry is safe.
   *
   * @example
   * ```ts
   * await client.policies.put('zai-proxy-default', {
   *   interval: '30s',
   *   checks: [{ name: 'canary-error-rate', query: 'sum(rate(errors_total[5m]))', max: 0.05 }],
   * });
   * await client.policies.put('zai-proxy-default', await readFile('policy.yaml', 'utf8'));
   * ```
   */
  async put(name: string, document: Policy | string, options: CallOptions = {}): Promise<PolicyVersion> {
    const yaml = typeof document === 'string';
    const { data } = await this.#transport.send(
      (init) =>
        this.#transport.api.PUT('/v1/policies/{name}', {
          ...init,
          params: { path: { name } },
          // The body type is the parsed Policy; a YAML string goes through unchanged with its own content type.
          body: document as Policy,
          ...(yaml ? { bodySerializer: (body: unknown) => body as string, headers: { ...init.headers, 'content-type': 'application/yaml' } } : {}),
        }),
      { ...options, mode: 'idempotent' },
    );
    return data;
  }

  /**
   * Deletes a policy; its versions stay in the audit trail. Not retried after an ambiguous failure (a
   * retry of a delete that did happen would answer 404).
   *
   * @example
   * ```ts
   * await client.policies.delete('old-policy');
   * ```
   */
  async delete(name: string, options: CallOptions = {}): Promise<void> {
    await this.#transport.send(
      (init) => this.#transport.api.DELETE('/v1/policies/{name}', { ...init, params: { path: { name } } }),
      { ...options, mode: 'unsafe' },
    );
  }

  /**
   * Every version of a policy, newest first.
   *
   * @example
   * ```ts
   * const [latest, previous] = await client.policies.versions('zai-proxy-default');
   * ```
   */
  async versions(name: string, options: CallOptions = {}): Promise<PolicyVersion[]> {
    const { data } = await this.#transport.send(
      (init) => this.#transport.api.GET('/v1/policies/{name}/versions', { ...init, params: { path: { name } } }),
      { ...options, mode: 'idempotent' },
    );
    return data.items;
  }
}
