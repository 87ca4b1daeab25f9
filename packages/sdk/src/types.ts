/**
 * Names for the contract's shapes. Everything here is an alias of the types generated from
 * `openapi/promoter.yaml`, so a change to the contract changes these with it.
 */
import type { components, operations } from './generated/promoter.js';

type Schemas = components['schemas'];

export type Promotion = Schemas['Promotion'];
export type PromotionDetail = Schemas['PromotionDetail'];
/** A promotion's pull request (GitHub) or merge request (GitLab): `delivery.pullRequest`, `delivery.revertPullRequest`. */
export type PullRequest = Schemas['PullRequest'];
type GeneratedPromotionRequest = Schemas['PromotionRequest'];
/**
 * A promotion request with exactly one of `image` and `source`, as the contract says in words (its schema
 * cannot say it in a way openapi-typescript turns into a union), so neither and both fail to compile.
 */
export type PromotionRequest = Omit<GeneratedPromotionRequest, 'image' | 'source'> &
  (
    | { image: NonNullable<GeneratedPromotionRequest['image']>; source?: never }
    | { source: NonNullable<GeneratedPromotionRequest['source']>; image?: never }
  );
export type PromotionPage = Schemas['PromotionPage'];
export type PromotionEvent = Schemas['PromotionEvent'];
export type NotificationDelivery = Schemas['NotificationDelivery'];
export type PromotionState = Schemas['PromotionState'];
export type Target = Schemas['Target'];
export type Source = Schemas['Source'];
export type ActionRequest = Schemas['ActionRequest'];
export type Policy = Schemas['Policy'];
export type Check = Schemas['Check'];
export type PolicyVersion = Schemas['PolicyVersion'];
export type Freeze = Schemas['Freeze'];
export type FreezeRequest = Schemas['FreezeRequest'];
export type PromotionHold = Schemas['PromotionHold'];
export type CheckResult = Schemas['CheckResult'];
export type CheckOutcome = Schemas['CheckOutcome'];
export type CheckVerdict = Schemas['CheckVerdict'];
export type CheckErrorGroup = Schemas['CheckErrorGroup'];
export type Phase = Schemas['Phase'];
export type Evaluation = Schemas['Evaluation'];
export type EvaluationRequest = Schemas['EvaluationRequest'];
export type Health = Schemas['Health'];
export type Problem = Schemas['Problem'];
export type ProblemCode = Schemas['ProblemCode'];
export type EventType = Schemas['EventType'];
export type FieldError = Schemas['FieldError'];
export type Token = Schemas['Token'];
export type TokenRequest = Schemas['TokenRequest'];
export type CreatedToken = Schemas['CreatedToken'];
export type Principal = Schemas['Principal'];
export type SignInOptions = Schemas['SignInOptions'];
export type OidcSignIn = Schemas['OidcSignIn'];
export type BlockedImage = Schemas['BlockedImage'];
export type Pipeline = Schemas['Pipeline'];
export type PipelineStage = Schemas['PipelineStage'];
export type PipelineVersion = Schemas['PipelineVersion'];
export type PipelineRun = Schemas['PipelineRun'];
export type PipelineRunRequest = Schemas['PipelineRunRequest'];
export type PipelineStageRun = Schemas['PipelineStageRun'];
export type BlockedImageRequest = Schemas['BlockedImageRequest'];

/** Filters and paging of `GET /v1/promotions`. */
export type ListPromotionsQuery = NonNullable<operations['listPromotions']['parameters']['query']>;
/** Filters of `GET /v1/blocked-images`. */
export type ListBlockedImagesQuery = NonNullable<operations['listBlockedImages']['parameters']['query']>;
