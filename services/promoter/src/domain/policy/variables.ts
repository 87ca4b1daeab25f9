/**
 * The variables a query template can use, and their values for one promotion and phase. Pure, no I/O.
 */
import { imageVersion } from '../image-reference.js';
import type { Phase } from './model.js';

/** Variables the service provides; a policy's `vars` may add more but not shadow these. */
export const BUILTIN_VARIABLES = [
  'namespace',
  'deployment',
  'container',
  'variant',
  'image',
  'version',
  'productionDeployment',
  'canaryDeployment',
  'canaryContainer',
  'canaryImage',
  'canaryVersion',
  'previousImage',
  'previousVersion',
  'phase',
] as const;

export type BuiltinVariable = (typeof BUILTIN_VARIABLES)[number];

export interface PromotionContext {
  readonly namespace: string;
  readonly deployment: string;
  readonly container: string;
  readonly canaryDeployment?: string | undefined;
  readonly canaryContainer?: string | undefined;
  /** The image being promoted (after any tag mapping). */
  readonly image?: string | undefined;
  /** The canary's own image (before tag mapping). */
  readonly canaryImage?: string | undefined;
  readonly previousImage?: string | undefined;
}

/**
 * The Deployment a phase's queries are about, as `{{deployment}}` names it: the canary in `pre` when there
 * is one, production otherwise. `{{labels.*}}` are this Deployment's pod-template labels.
 */
export function judgedDeployment(context: PromotionContext, phase: Phase): string {
  return phase === 'pre' && context.canaryDeployment ? context.canaryDeployment : context.deployment;
}

/**
 * Values for a phase: `pre` judges the canary (`variant` = canary, `deployment` = the canary Deployment
 * when there is one); `rollout` and `post` judge production. Unknown values are empty strings so that a
 * template renders; a check that needs them says so through its query returning no data.
 */
export function variablesFor(
  context: PromotionContext,
  phase: Phase,
  policyVars: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const judgingCanary = phase === 'pre';
  const builtins: Record<BuiltinVariable, string> = {
    namespace: context.namespace,
    deployment: judgedDeployment(context, phase),
    container: judgingCanary && context.canaryContainer ? context.canaryContainer : context.container,
    variant: judgingCanary ? 'canary' : 'production',
    image: context.image ?? '',
    version: context.image ? imageVersion(context.image) : '',
    productionDeployment: context.deployment,
    canaryDeployment: context.canaryDeployment ?? '',
    canaryContainer: context.canaryContainer ?? context.container,
    canaryImage: context.canaryImage ?? context.image ?? '',
    canaryVersion: context.canaryImage ? imageVersion(context.canaryImage) : context.image ? imageVersion(context.image) : '',
    previousImage: context.previousImage ?? '',
    previousVersion: context.previousImage ? imageVersion(context.previousImage) : '',
    phase,
  };
  return { ...policyVars, ...builtins };
}

/**
 * The baseline's values: production by default (`variant` = production, `deployment` = the production
 * Deployment, `labels` = its pod-template labels, as `labelVariables` gives them), then the check's own
 * overrides. `variables` must not hold the judged Deployment's labels: they are not production's.
 */
export function baselineVariables(
  variables: Readonly<Record<string, string>>,
  context: PromotionContext,
  overrides: Readonly<Record<string, string>>,
  productionLabels: Readonly<Record<string, string>> = {},
): Record<string, string> {
  return {
    ...variables,
    variant: 'production',
    deployment: context.deployment,
    container: context.container,
    ...productionLabels,
    ...overrides,
  };
}
