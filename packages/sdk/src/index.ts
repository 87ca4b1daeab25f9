/**
 * @promoter/sdk: a typed client for the promoter API, generated from `openapi/promoter.yaml`.
 *
 * @example
 * ```ts
 * import { createPromoterClient, isPromoterError } from '@promoter/sdk';
 *
 * const client = createPromoterClient({ baseUrl: 'http://localhost:8080' });
 * const promotion = await client.promotions.create({
 *   target: { namespace: 'mcp', deployment: 'zai-proxy', container: 'proxy' },
 *   source: { deployment: 'zai-proxy-test', tagSuffixToStrip: '-canary' },
 *   policy: 'zai-proxy-default',
 * });
 * const final = await client.waitForPromotion(promotion.id);
 * ```
 */
export { createPromoterClient } from './client.js';
export type { PromoterClient, PromoterClientOptions, TokenProvider } from './client.js';
export {
  PromoterAbortError,
  PromoterError,
  PromoterNetworkError,
  PromoterTimeoutError,
  isPromoterError,
  isPromoterNetworkError,
} from './errors.js';
export type { PromoterErrorInit } from './errors.js';
export { CLOSED_STATES, PROMOTION_STATES, TERMINAL_STATES, isClosedState, isPromotionState, isTerminalState } from './promotion-states.js';
export type { ClosedState, TerminalState } from './promotion-states.js';
export { waitForPromotion } from './wait.js';
export type { WaitClient, WaitOptions } from './wait.js';
export { PromotionsApi } from './promotions.js';
export type { ActionOptions, CreatePromotionOptions } from './promotions.js';
export type { FollowOptions } from './promotion-events.js';
export { PoliciesApi } from './policies.js';
export { FreezesApi } from './freezes.js';
export { EvaluationsApi } from './evaluations.js';
export { HealthApi } from './health.js';
export { TokensApi } from './tokens.js';
export { BlockedImagesApi } from './blocked-images.js';
export { DEFAULT_RETRY } from './retry.js';
export { ENDED_RUN_STATES } from './pipelines.js';
export { proposalNoun, proposalReference } from './proposals.js';
export type { RetryMode, RetryOptions } from './retry.js';
export { SseParser, readEventStream } from './sse.js';
export type { SseMessage } from './sse.js';
export type { CallOptions, FetchFunction } from './transport.js';
export type {
  ActionRequest,
  BlockedImage,
  BlockedImageRequest,
  ListBlockedImagesQuery,
  Pipeline,
  PipelineRun,
  PipelineRunRequest,
  PipelineStage,
  PipelineStageRun,
  PipelineVersion,
  Check,
  CreatedToken,
  CheckOutcome,
  CheckResult,
  CheckErrorGroup,
  CheckVerdict,
  Evaluation,
  EvaluationRequest,
  FieldError,
  Freeze,
  FreezeRequest,
  PromotionHold,
  Health,
  ListPromotionsQuery,
  Phase,
  Policy,
  PolicyVersion,
  Principal,
  SignInOptions,
  OidcSignIn,
  Problem,
  Promotion,
  PromotionDetail,
  PromotionEvent,
  NotificationDelivery,
  PromotionPage,
  PromotionRequest,
  PromotionState,
  PullRequest,
  ProblemCode,
  EventType,
  Source,
  Target,
  Token,
  TokenRequest,
} from './types.js';
export type { components, operations, paths } from './generated/promoter.js';
