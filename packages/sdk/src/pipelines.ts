/** Pipelines: one image through environments in order, and the runs that carry it. */
import type { CallOptions, Transport } from './transport.js';
import type { Pipeline, PipelineRun, PipelineRunRequest, PipelineVersion } from './types.js';

/** A run that has ended: it will not change again. */
export const ENDED_RUN_STATES: readonly PipelineRun['state'][] = ['succeeded', 'failed', 'aborted', 'superseded'];

export class PipelinesApi {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * Stores a pipeline (a new version when the document changed).
   *
   * @example
   * ```ts
   * await client.pipelines.put('zai-proxy', { stages: [{ name: 'staging', target: { namespace: 'mcp-staging', deployment: 'zai-proxy', container: 'proxy' }, policy: 'zai-proxy-default' }] });
   * ```
   */
  async put(name: string, pipeline: Pipeline, options: CallOptions = {}): Promise<PipelineVersion> {
    const { data } = await this.#transport.send(
      (init) => this.#transport.api.PUT('/v1/pipelines/{name}', { ...init, params: { path: { name } }, body: pipeline }),
      { ...options, mode: 'idempotent' },
    );
    return data;
  }

  async get(name: string, options: CallOptions = {}): Promise<PipelineVersion> {
    const { data } = await this.#transport.send((init) => this.#transport.api.GET('/v1/pipelines/{name}', { ...init, params: { path: { name } } }), { ...options, mode: 'idempotent' });
    return data;
  }

  async list(options: CallOptions = {}): Promise<PipelineVersion[]> {
    const { data } = await this.#transport.send((init) => this.#transport.api.GET('/v1/pipelines', { ...init }), { ...options, mode: 'idempotent' });
    return data.items;
  }

  /**
   * Starts a run of one image through the stages (queued behind a run under way). Not retried after an
   * ambiguous failure: a retry could start a second run. An image a block refuses in any stage's namespace
   * is refused (409 `image-blocked`; the problem's `block` and `stage` name the block and the stage).
   *
   * @example
   * ```ts
   * const run = await client.pipelines.run('zai-proxy', { image: 'ronaldraygun/zai-proxy:1.2.1', reason: 'release 1.2.1' });
   * ```
   */
  async run(name: string, request: PipelineRunRequest, options: CallOptions = {}): Promise<PipelineRun> {
    const { data } = await this.#transport.send(
      (init) => this.#transport.api.POST('/v1/pipelines/{name}/runs', { ...init, params: { path: { name } }, body: request }),
      { ...options, mode: 'unsafe' },
    );
    return data;
  }

  /** A run with its stages (each with its promotion's state) and its events. */
  async getRun(name: string, runId: string, options: CallOptions = {}): Promise<PipelineRun> {
    const { data } = await this.#transport.send(
      (init) => this.#transport.api.GET('/v1/pipelines/{name}/runs/{runId}', { ...init, params: { path: { name, runId } } }),
      { ...options, mode: 'idempotent' },
    );
    return data;
  }

  /** The pipeline's runs, newest first. */
  async runs(name: string, query: { limit?: number } = {}, options: CallOptions = {}): Promise<PipelineRun[]> {
    const { data } = await this.#transport.send(
      (init) => this.#transport.api.GET('/v1/pipelines/{name}/runs', { ...init, params: { path: { name }, query } }),
      { ...options, mode: 'idempotent' },
    );
    return data.items;
  }

  /** Asks the runner to stop a queued or running run (its running stage's promotion is aborted). */
  async abortRun(name: string, runId: string, reason: string, options: CallOptions = {}): Promise<PipelineRun> {
    const { data } = await this.#transport.send(
      (init) => this.#transport.api.POST('/v1/pipelines/{name}/runs/{runId}/abort', { ...init, params: { path: { name, runId } }, body: { reason } }),
      { ...options, mode: 'idempotent' },
    );
    return data;
  }
}
