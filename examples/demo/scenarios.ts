/**
 * The runbook, four times: a good canary patched into production, a bad one that breaks production in the
 * bake and is rolled back, then production handed to Argo CD and a good canary promoted through Git (commit,
 * sync, bake, VERSION and tag), and a bad one whose commit is reverted. Each checks its own ending on the
 * cluster and in Git, not only the state the service reports.
 */
import { pollUntil } from '@promoter/fake-kube';
import { queryVector } from '@promoter/local-stack';
import { waitForPromotion, type PromotionDetail, type PromotionRequest } from '@promoter/sdk';
import { StoppedError } from './cleanup.js';
import { canary, image } from './images.js';
import { eventLine, paint, type SummaryRow } from './progress.js';
import { CANARY, CONTAINER, MANIFEST_FILE, manifest, NAMESPACE, PRODUCTION, type DemoStack } from './stack.js';

export interface Scenario {
  readonly name: string;
  readonly via: 'kubernetes' | 'git';
  /** The canary's version (its image is `<version>-canary`); the promotion strips the suffix. */
  readonly version: string;
  readonly expected: 'succeeded' | 'rolled_back';
  /** What to watch for, said before it starts. */
  readonly story: string;
  /** What must hold afterwards besides the state: problems found, and a line for the summary. */
  readonly verify: (stack: DemoStack, final: PromotionDetail) => Promise<{ problems: string[]; detail: string }>;
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'good canary, direct patch',
    via: 'kubernetes',
    version: '1.2.1',
    expected: 'succeeded',
    story: 'the gate measures the canary, the Deployment is patched, the rollout and a 12 s bake are checked',
    verify: async (stack) => expectProduction(stack, image('1.2.1'), 'production runs 1.2.1'),
  },
  {
    name: 'bad canary, direct patch',
    via: 'kubernetes',
    version: '1.3.0',
    expected: 'rolled_back',
    story: '1.3.0 is healthy on the canary but fails under production load: a check fails after the patch and the engine rolls back by itself',
    verify: async (stack, final) => {
      const back = await expectProduction(stack, image('1.2.1'), 'production back on 1.2.1');
      return { problems: back.problems, detail: `${back.detail}; ${firstClause(final.stateReason)}` };
    },
  },
  {
    name: 'good canary, through Git',
    via: 'git',
    version: '1.3.1',
    expected: 'succeeded',
    story: 'a commit to deploy.git, Argo CD syncs it, the bake passes, then VERSION and the annotated tag v1.3.1 in app-source.git',
    verify: async (stack, final) => {
      const problems: string[] = [];
      const release = final.release;
      if (release?.state !== 'done' || release.tag !== 'v1.3.1') problems.push(`the release is ${JSON.stringify(release)}, not done with tag v1.3.1`);
      const version = (await stack.git.readFile('app-source', 'VERSION')).trim();
      if (version !== '1.3.1') problems.push(`app-source's VERSION holds ${version}`);
      const tagType = (await stack.git.git('app-source', ['cat-file', '-t', 'v1.3.1']).catch(() => 'missing')).trim();
      if (tagType !== 'tag') problems.push(`v1.3.1 is ${tagType}, not an annotated tag`);
      const declared = await stack.git.readFile('deploy', MANIFEST_FILE);
      if (!declared.includes(`image: ${image('1.3.1')}`)) problems.push(`${MANIFEST_FILE} does not declare 1.3.1`);
      const running = await expectProduction(stack, image('1.3.1'), '');
      problems.push(...running.problems);
      return { problems, detail: `commit ${short(final.delivery?.commit)}, tag v1.3.1, VERSION 1.3.1` };
    },
  },
  {
    name: 'bad canary, through Git',
    via: 'git',
    version: '1.4.0',
    expected: 'rolled_back',
    story: '1.4.0 rolls out fine, then degrades under production load during the bake: the engine pushes a git revert and Argo CD puts 1.3.1 back',
    verify: async (stack, final) => {
      const problems: string[] = [];
      const revert = final.delivery?.revertCommit;
      if (revert === undefined) problems.push('no revert commit recorded');
      const subject = (await stack.git.subjects('deploy'))[0] ?? '';
      if (!subject.startsWith('Revert ')) problems.push(`deploy.git's last commit is "${subject}", not a revert`);
      if (final.release?.state !== 'skipped') problems.push(`the release is ${final.release?.state}, not skipped`);
      const running = await expectProduction(stack, image('1.3.1'), '');
      problems.push(...running.problems);
      return { problems, detail: `revert ${short(revert)} pushed, production back on 1.3.1; ${firstClause(final.stateReason)}` };
    },
  },
];

export interface RunContext {
  readonly stack: DemoStack;
  readonly say: (line: string) => void;
  readonly signal: AbortSignal;
}

/** Runs one scenario to its end (the release included) and answers with its summary row. */
export async function runScenario(context: RunContext, scenario: Scenario, index: number): Promise<SummaryRow> {
  const { stack, say, signal } = context;
  say('');
  say(paint('bold', `${index + 1}. ${scenario.name}: ${canary(scenario.version)} -> ${NAMESPACE}/${PRODUCTION}`));
  say(`   ${scenario.story}`);
  await deployCanary(context, scenario.version);
  if (scenario.via === 'git') await handOverToArgo(context);
  await settleProduction(context);

  const started = Date.now();
  const request: PromotionRequest = {
    target: { namespace: NAMESPACE, deployment: PRODUCTION, container: CONTAINER },
    source: { deployment: CANARY, tagSuffixToStrip: '-canary' },
    policy: scenario.via === 'git' ? 'demo-gitops' : 'demo-direct',
    reason: `demo: promote ${scenario.version}`,
    ...(scenario.via === 'git' ? { delivery: { via: 'git' as const, repository: 'deploy', file: MANIFEST_FILE } } : {}),
  };
  const created = await stack.client.promotions.create(request);
  say(`   promotion ${created.id}  ${paint('dim', `${stack.service.url}/ui/promotions/${created.id}`)}`);
  let final = await waitForPromotion(stack.client, created.id, { signal, timeoutMs: 180_000, onEvent: (event) => say(eventLine(event)) });
  if (final.release?.state === 'pending') {
    // The release is a step of its own after the success.
    final = await pollUntil(
      async () => {
        const record = await stack.client.promotions.get(created.id, { signal });
        return record.release?.state === 'pending' ? undefined : record;
      },
      { timeoutMs: 60_000, intervalMs: 250, what: `the release of ${created.id}` },
    );
    say(`    ${paint('dim', 'release')}  ${final.release?.state}${final.release?.tag ? ` ${final.release.tag}` : ''}${final.release?.reason ? `: ${final.release.reason}` : ''}`);
  }
  const seconds = (Date.now() - started) / 1_000;
  const { problems, detail } = final.state === scenario.expected ? await scenario.verify(stack, final) : { problems: [`ended ${final.state}: ${final.stateReason ?? ''}`], detail: firstClause(final.stateReason) };
  for (const problem of problems) say(paint('red', `   unexpected: ${problem}`));
  return {
    name: scenario.name,
    delivery: scenario.via,
    image: scenario.version,
    expected: scenario.expected,
    got: final.state,
    seconds,
    detail,
    ok: problems.length === 0,
  };
}

/** CI's part of the runbook: the new build goes to the canary Deployment first. */
async function deployCanary(context: RunContext, version: string): Promise<void> {
  const { kube } = context.stack;
  const wanted = canary(version);
  const current = kube.getDeployment(NAMESPACE, CANARY)?.spec.template.spec.containers[0]?.image;
  if (current === wanted) return;
  context.say(`   CI deploys ${wanted} to ${NAMESPACE}/${CANARY}`);
  kube.updateDeployment(NAMESPACE, CANARY, (deployment) => {
    const container = deployment.spec.template.spec.containers.find((c) => c.name === CONTAINER);
    if (container) container.image = wanted;
  });
  await pollUntil(
    () => {
      const deployment = kube.getDeployment(NAMESPACE, CANARY);
      return deployment !== undefined && deployment.status.observedGeneration === deployment.metadata.generation && deployment.status.updatedReplicas === deployment.spec.replicas;
    },
    { timeoutMs: 30_000, intervalMs: 100, what: `${CANARY}'s rollout of ${wanted}` },
  );
  throwIfAborted(context.signal);
}

/** Before the first Git promotion: deploy.git declares what production runs, and Argo CD starts syncing it. */
async function handOverToArgo(context: RunContext): Promise<void> {
  const { kube, git, argo } = context.stack;
  const running = kube.getDeployment(NAMESPACE, PRODUCTION)?.spec.template.spec.containers[0]?.image ?? '';
  const declared = await git.readFile('deploy', MANIFEST_FILE);
  if (declared.includes(`image: ${running} `)) return;
  context.say(`   the team hands ${NAMESPACE}/${PRODUCTION} to Argo CD: deploy.git's ${MANIFEST_FILE} now declares ${running}, sync on`);
  await git.commit('deploy', { [MANIFEST_FILE]: manifest(running) }, `declare ${running}, the image production runs`);
  argo.setMode({ kind: 'sync' });
}

/** Waits (polling Prometheus) until production's error rate over the checks' window is back under 2%. */
async function settleProduction(context: RunContext): Promise<void> {
  const ratio = `sum(rate(zai_proxy_requests_total{namespace="${NAMESPACE}",variant="production",status=~"5.."}[15s])) / sum(rate(zai_proxy_requests_total{namespace="${NAMESPACE}",variant="production"}[15s]))`;
  if ((await queryVector(context.stack.prometheus.url, `${ratio} < 0.02`)).length > 0) return;
  context.say('   waiting for production\'s error rate (15 s window) to fall back under 2%');
  await context.stack.prometheus.waitForSeries(`${ratio} < 0.02`, undefined, 60_000);
  throwIfAborted(context.signal);
}

async function expectProduction(stack: DemoStack, wanted: string, detail: string): Promise<{ problems: string[]; detail: string }> {
  // Argo CD converges a revert a moment after the promotion ends: give it its sync interval, a few times.
  const running = await pollUntil(
    () => {
      const image = stack.kube.getDeployment(NAMESPACE, PRODUCTION)?.spec.template.spec.containers[0]?.image;
      return image === wanted ? image : undefined;
    },
    { timeoutMs: 5_000, intervalMs: 100, what: `production on ${wanted}` },
  ).catch(() => stack.kube.getDeployment(NAMESPACE, PRODUCTION)?.spec.template.spec.containers[0]?.image);
  return { problems: running === wanted ? [] : [`production runs ${running}, not ${wanted}`], detail };
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new StoppedError();
}

function firstClause(reason: string | null | undefined): string {
  return (reason ?? '').split(/[;:]/)[0] ?? '';
}

function short(commit: string | undefined): string {
  return commit === undefined ? '-' : commit.slice(0, 8);
}
