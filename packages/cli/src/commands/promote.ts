/** `promoter promote`: start a promotion, optionally waiting for its end. */
import type { PromotionRequest } from '@promoter/sdk';
import { defineCommand, duration, expectPositionals, required } from '../args.js';
import { EXIT, UsageError } from '../exit-codes.js';
import { imageText, targetText } from '../format.js';
import { waitAndReport } from '../wait-and-report.js';

const PROMOTE_OPTIONS = {
  cluster: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  deployment: { type: 'string', short: 'd' },
  container: { type: 'string', short: 'c' },
  from: { type: 'string' },
  'from-container': { type: 'string' },
  'strip-suffix': { type: 'string' },
  image: { type: 'string' },
  policy: { type: 'string', short: 'p' },
  'dry-run': { type: 'boolean' },
  reason: { type: 'string' },
  wait: { type: 'boolean', short: 'w' },
  timeout: { type: 'string' },
  'idempotency-key': { type: 'string' },
  via: { type: 'string' },
  repository: { type: 'string' },
  file: { type: 'string' },
  'argocd-application': { type: 'string' },
  'argocd-namespace': { type: 'string' },
} as const;

export const promoteCommand = defineCommand(PROMOTE_OPTIONS, async (context, { values, positionals }) => {
  expectPositionals('promote', positionals, []);
  required('promote', values, ['namespace', 'deployment', 'container', 'policy']);
  if ((values.from === undefined) === (values.image === undefined)) {
    throw new UsageError('give exactly one of --from CANARY_DEPLOYMENT and --image REF', 'promote');
  }
  if (values.from === undefined && (values['strip-suffix'] !== undefined || values['from-container'] !== undefined)) {
    throw new UsageError('--strip-suffix and --from-container go with --from', 'promote');
  }
  const delivery = deliveryOf(values.via, values.repository, values.file, values['argocd-application'], values['argocd-namespace']);
  const timeoutMs = duration('promote', 'timeout', values.timeout);
  if (timeoutMs !== undefined && !values.wait) throw new UsageError('--timeout goes with --wait', 'promote');

  const request: PromotionRequest = {
    target: {
      ...(values.cluster !== undefined ? { cluster: values.cluster } : {}),
      namespace: values.namespace ?? '',
      deployment: values.deployment ?? '',
      container: values.container ?? '',
    },
    policy: values.policy ?? '',
    // Exactly one of the two, checked above.
    ...(values.from !== undefined
      ? {
          source: {
            deployment: values.from,
            ...(values['from-container'] !== undefined ? { container: values['from-container'] } : {}),
            ...(values['strip-suffix'] !== undefined ? { tagSuffixToStrip: values['strip-suffix'] } : {}),
          },
        }
      : { image: values.image ?? '' }),
    ...(values['dry-run'] ? { dryRun: true } : {}),
    ...(values.reason !== undefined ? { reason: values.reason } : {}),
    ...(delivery ? { delivery } : {}),
  };
  const { client, output } = context;
  const promotion = await client.promotions.create(request, { idempotencyKey: values['idempotency-key'], signal: context.signal });

  if (!values.wait) {
    if (output.json) {
      output.document(promotion);
    } else {
      output.line(`Started promotion ${output.style.bold(promotion.id)}${promotion.dryRun ? ' (dry run)' : ''}: ${promotion.state}`);
      output.line(`  target  ${targetText(promotion)}`);
      output.line(`  image   ${imageText(promotion)}`);
      output.line(`  policy  ${promotion.policy.name} v${promotion.policy.version}`);
      if (promotion.delivery?.via === 'git') output.line(`  via     git: ${promotion.delivery.repository} ${promotion.delivery.file}`);
      output.line(`Follow it: promoter events ${promotion.id} --follow   (or promoter status ${promotion.id})`);
    }
    return EXIT.ok;
  }
  output.note(
    `Promotion ${output.style.bold(promotion.id)}${promotion.dryRun ? ' (dry run)' : ''}: ${targetText(promotion)} <- ${imageText(promotion)}, policy ${promotion.policy.name} v${promotion.policy.version}`,
  );
  return waitAndReport(context, promotion.id, { timeoutMs });
});

/**
 * `--via git --repository NAME --file PATH [--argocd-application NAME [--argocd-namespace NS]]` (the default,
 * `--via kubernetes`, patches the Deployment).
 */
function deliveryOf(via: string | undefined, repository: string | undefined, file: string | undefined, application: string | undefined, namespace: string | undefined): PromotionRequest['delivery'] {
  if (via === undefined || via === 'kubernetes') {
    if (repository !== undefined || file !== undefined || application !== undefined) throw new UsageError('--repository, --file and --argocd-application go with --via git', 'promote');
    return via === undefined ? undefined : { via: 'kubernetes' };
  }
  if (via !== 'git') throw new UsageError(`--via is kubernetes or git, not '${via}'`, 'promote');
  if (repository === undefined || file === undefined) throw new UsageError('--via git needs --repository NAME and --file PATH', 'promote');
  if (namespace !== undefined && application === undefined) throw new UsageError('--argocd-namespace goes with --argocd-application', 'promote');
  const argocd = application === undefined ? {} : { argocd: { application, ...(namespace !== undefined ? { namespace } : {}) } };
  return { via: 'git', repository, file, ...argocd };
}
