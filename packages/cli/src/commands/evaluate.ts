/** `promoter evaluate`: run a policy's checks now against a target; patches nothing. */
import type { EvaluationRequest, Phase } from '@promoter/sdk';
import { defineCommand, expectPositionals, required } from '../args.js';
import { EXIT, UsageError } from '../exit-codes.js';
import { evaluationLines } from '../format.js';

const PHASES: readonly Phase[] = ['pre', 'rollout', 'post'];

const EVALUATE_OPTIONS = {
  policy: { type: 'string', short: 'p' },
  namespace: { type: 'string', short: 'n' },
  deployment: { type: 'string', short: 'd' },
  container: { type: 'string', short: 'c' },
  phase: { type: 'string' },
  from: { type: 'string' },
  'strip-suffix': { type: 'string' },
  image: { type: 'string' },
} as const;

export const evaluateCommand = defineCommand(EVALUATE_OPTIONS, async (context, { values, positionals }) => {
  expectPositionals('evaluate', positionals, []);
  required('evaluate', values, ['policy', 'namespace', 'deployment', 'container']);
  const phase = (values.phase ?? 'pre') as Phase;
  if (!PHASES.includes(phase)) throw new UsageError(`--phase must be one of ${PHASES.join(', ')}`, 'evaluate');
  if (values.from !== undefined && values.image !== undefined) throw new UsageError('give at most one of --from and --image', 'evaluate');
  if (values['strip-suffix'] !== undefined && values.from === undefined) throw new UsageError('--strip-suffix goes with --from', 'evaluate');

  const request: EvaluationRequest = {
    target: { namespace: values.namespace ?? '', deployment: values.deployment ?? '', container: values.container ?? '' },
    policy: values.policy ?? '',
    phase,
    ...(values.image !== undefined ? { image: values.image } : {}),
    ...(values.from !== undefined
      ? { source: { deployment: values.from, ...(values['strip-suffix'] !== undefined ? { tagSuffixToStrip: values['strip-suffix'] } : {}) } }
      : {}),
  };
  const evaluation = await context.client.evaluations.create(request, { signal: context.signal });
  if (context.output.json) context.output.document(evaluation);
  else for (const line of evaluationLines(context.output.style, evaluation)) context.output.line(line);
  // Like a dry run: 0 when the checks pass, 1 otherwise, so a script can gate on it.
  return evaluation.verdict === 'pass' ? EXIT.ok : EXIT.failed;
});
