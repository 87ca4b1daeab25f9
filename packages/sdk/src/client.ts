/** createPromoterClient: the typed client, one object per resource of the API. */
import type { Client } from 'openapi-fetch';
import { EvaluationsApi } from './evaluations.js';
import type { paths } from './generated/promoter.js';
import { HealthApi } from './health.js';
import { PoliciesApi } from './policies.js';
import { FreezesApi } from './freezes.js';
import { PromotionsApi } from './promotions.js';
import { TokensApi } from './tokens.js';
import { BlockedImagesApi } from './blocked-images.js';
import { PipelinesApi } from './pipelines.js';
import type { RetryOptions } from './retry.js';
import { Transport, type FetchFunction } from './transport.js';
import type { PromotionDetail } from './types.js';
import { waitForPromotion, type WaitOptions } from './wait.js';

/** Returns the bearer token for the next request (read again each time). */
export type TokenProvider = () => string | Promise<string>;

export interface PromoterClientOptions {
  /** Where the service answers, e.g. `http://localhost:8080` (no `/v1`). */
  readonly baseUrl: string;
  /**
   * A bearer token: an API token (`PROMOTER_API_TOKENS` on the service side), or a workload's own OIDC token
   * (a JWT of an issuer the service trusts). A function is asked before every request, so a short-lived token
   * that is renewed (a file a CI system or Kubernetes rewrites) is read fresh: see `tokenFromFile` in the CLI.
   */
  readonly token?: string | TokenProvider | undefined;
  /** Replaces the global fetch: for proxies, tests, or instrumentation. */
  readonly fetch?: FetchFunction | undefined;
  /** Retries of retry-safe calls; `false` turns them off. Default `{ attempts: 3, baseDelayMs: 200 }`. */
  readonly retry?: Partial<RetryOptions> | false | undefined;
  /** Headers sent with every request (e.g. `x-request-id` for tracing). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Per-attempt limit for an answer, streams excepted. Default 30 000 ms. */
  readonly timeoutMs?: number | undefined;
}

export interface PromoterClient {
  readonly baseUrl: string;
  readonly promotions: PromotionsApi;
  readonly policies: PoliciesApi;
  readonly freezes: FreezesApi;
  readonly evaluations: EvaluationsApi;
  readonly health: HealthApi;
  readonly tokens: TokensApi;
  readonly blockedImages: BlockedImagesApi;
  readonly pipelines: PipelinesApi;
  /** See the standalone `waitForPromotion`. */
  waitForPromotion(id: string, options?: WaitOptions): Promise<PromotionDetail>;
  /** The underlying openapi-fetch client (same auth headers), for anything the methods do not cover. */
  readonly raw: Client<paths, 'application/json'>;
}

/**
 * Creates a client for the promoter API. Methods resolve with the response body and reject with
 * PromoterError (the service answered with a problem) or PromoterNetworkError (it did not answer).
 *
 * @example
 * ```ts
 * import { createPromoterClient } from '@promoter/sdk';
 *
 * const client = createPromoterClient({ baseUrl: 'http://localhost:8080', token: process.env.PROMOTER_TOKEN });
 * const promotion = await client.promotions.create({
 *   target: { namespace: 'mcp', deployment: 'zai-proxy', container: 'proxy' },
 *   image: 'registry.example.com/mcp/zai-proxy:1.2.1',
 *   policy: 'zai-proxy-default',
 * });
 * const final = await client.waitForPromotion(promotion.id, { timeoutMs: 30 * 60_000 });
 * console.log(final.state);
 * ```
 */
export function createPromoterClient(options: PromoterClientOptions): PromoterClient {
  const transport = new Transport(options);
  const promotions = new PromotionsApi(transport);
  const client: PromoterClient = {
    baseUrl: transport.baseUrl,
    promotions,
    policies: new PoliciesApi(transport),
    freezes: new FreezesApi(transport),
    evaluations: new EvaluationsApi(transport),
    health: new HealthApi(transport),
    tokens: new TokensApi(transport),
    blockedImages: new BlockedImagesApi(transport),
    pipelines: new PipelinesApi(transport),
    waitForPromotion: (id, waitOptions) => waitForPromotion(client, id, waitOptions),
    raw: transport.api,
  };
  return client;
}
