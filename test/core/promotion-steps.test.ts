/**
 * The engine's decisions, in memory and in milliseconds: every state, every crash point of the patch and
 * the rollback, and every check kind, as table rows. The same steps run against PostgreSQL, a real
 * Prometheus and the fake Kubernetes API server in test/engine/.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebhookClient } from '../../services/promoter/src/adapters/webhook/webhook-client.js';
import { KubernetesError } from '../../services/promoter/src/adapters/kubernetes/kubernetes-error.js';
import { checkStep } from '../../services/promoter/src/domain/step-outcome.js';
import { CheckRunner } from '../../services/promoter/src/evaluation/check-runner.js';
import { DeliveryError, type ImageDelivery } from '../../services/promoter/src/engine/image-delivery.js';
import type { ReleaseFinalizer } from '../../services/promoter/src/engine/release-finalizer.js';
import { PromotionSteps } from '../../services/promoter/src/engine/promotion-steps.js';
import { CannedPrometheus, NEW, OLD, policy, TARGET, World, type WorldOptions } from './harness.js';

const healthy = () => new CannedPrometheus().answer(/error_ratio/, 0.01);

function world(options: Partial<WorldOptions> = {}): World {
  const w = new World({ policy: policy(), prometheus: healthy(), ...options });
  // A cluster that completes each rollout once the controller has seen it (one step later).
  w.beforeStep = (self) => self.kube.advanceRollout(TARGET);
  return w;
}

describe('a promotion through its states', () => {
  it('promotes: gate, record images, patch once, rollout, bake, succeeded', async () => {
    const w = world();
    const done = await w.run();
    expect(w.states).toEqual(['pending', 'analyzing', 'promoting', 'verifying', 'succeeded']);
    expect(done).toMatchObject({ resolvedImage: NEW, previousImage: OLD, verdict: 'pass' });
    expect(done.stateReason).toBe('verified for 120s: the 1 check passed');
    expect(w.kube.patches).toEqual([{ ref: TARGET, container: 'proxy', from: OLD, to: NEW }]);
    expect(w.kube.image(TARGET, 'proxy')).toBe(NEW);
    // Sample numbers run 1..n in each phase, from the tallies kept in progress.
    for (const phase of ['pre', 'rollout', 'post'] as const) {
      const samples = w.measurements.filter((m) => m.measurement.phase === phase).map((m) => m.sample);
      expect(samples.length, phase).toBeGreaterThan(0);
      expect(samples).toEqual(samples.map((_, i) => i + 1));
    }
    expect(w.refused).toEqual([]);
  });

  it.each([
    ['fails its bound', 0.2, /canary-error-rate failed 1 of 1 measurements; 0 tolerated \(canary-error-rate = 0\.2 > max 0\.05\)/],
    ['has no data', 'no-data' as const, /canary-error-rate failed 1 of 1 measurements \(0 failed, 1 without data\)/],
  ])('rejects when the gate %s, and patches nothing', async (_name, value, reason) => {
    const w = world({ prometheus: new CannedPrometheus().answer(/error_ratio/, value) });
    const done = await w.run();
    expect(w.states).toEqual(['pending', 'analyzing', 'rejected']);
    expect(done.stateReason).toMatch(reason);
    expect(done.verdict).toBe('fail');
    expect(w.kube.patches).toEqual([]);
  });

  it('rejects at once, naming every check, when Prometheus is not configured', async () => {
    const w = world({
      prometheus: undefined,
      policy: policy({ checks: [{ name: 'a', query: 'up', min: 1 }, { name: 'b', query: 'up', max: 2 }] }),
    });
    const done = await w.run();
    expect(w.states).toEqual(['pending', 'analyzing', 'rejected']);
    expect(w.stepsRun).toBe(2);
    expect(done.stateReason).toBe(
      'pre-promotion gate: 2 checks cannot be measured (a, b): the service has no PROMETHEUS_URL; nothing was patched',
    );
  });

  it('a dry run stops after the gate and records the images it would change', async () => {
    const w = world({ dryRun: true });
    const done = await w.run();
    expect(w.states).toEqual(['pending', 'analyzing', 'succeeded']);
    expect(done).toMatchObject({ resolvedImage: NEW, previousImage: OLD });
    expect(done.stateReason).toContain(`would set proxy from ${OLD} to ${NEW}; nothing was patched`);
    expect(w.kube.patches).toEqual([]);
  });

  it('waits for approval, then promotes', async () => {
    const w = world({ policy: policy({ approval: 'required' }) });
    await w.run({ until: (p) => p.state === 'awaiting_approval' });
    for (let i = 0; i < 3; i++) await w.step();
    expect(w.promotion.state).toBe('awaiting_approval');
    expect(w.kube.patches).toEqual([]);
    w.request('approve');
    await w.run();
    expect(w.states).toEqual(['pending', 'analyzing', 'awaiting_approval', 'promoting', 'verifying', 'succeeded']);
  });

  it.each(['pending', 'analyzing', 'awaiting_approval'] as const)('an abort in %s ends it without a patch', async (state) => {
    const w = world({ policy: policy({ approval: 'required' }) });
    await w.run({ until: (p) => p.state === state });
    w.request('abort');
    const done = await w.run();
    expect(done.state).toBe('aborted');
    expect(w.kube.patches).toEqual([]);
  });

  it.each(['promoting', 'verifying'] as const)('an abort in %s rolls back first', async (state) => {
    const w = world();
    await w.run({ until: (p) => p.state === state && p.progress.patchedAt !== undefined });
    w.request('abort');
    const done = await w.run();
    expect(w.states.slice(-2)).toEqual(['rolling_back', 'aborted']);
    expect(done.stateReason).toBe(`aborted on request; rolled back to ${OLD}`);
    expect(w.kube.image(TARGET, 'proxy')).toBe(OLD);
    expect(w.kube.patches.map((p) => p.to)).toEqual([NEW, OLD]);
  });

  it('rolls back a rollout that exceeds its progress deadline', async () => {
    const w = world();
    w.beforeStep = (self) => {
      if (self.promotion.progress.patchedAt) self.kube.failRollout(TARGET);
      else self.kube.advanceRollout(TARGET);
    };
    await w.run({ until: (p) => p.state === 'rolling_back' });
    w.beforeStep = (self) => self.kube.advanceRollout(TARGET);
    const done = await w.run();
    expect(w.states).toEqual(['pending', 'analyzing', 'promoting', 'rolling_back', 'rolled_back']);
    expect(done.stateReason).toMatch(/^rollout failed: progress deadline exceeded: ReplicaSet "web-2" has timed out progressing\.; rolled back to /);
    expect(w.kube.image(TARGET, 'proxy')).toBe(OLD);
  });

  it.each([
    [{ reason: 'ImagePullBackOff', message: `Back-off pulling image "${NEW}": manifest unknown` }, `proxy: ImagePullBackOff: Back-off pulling image "${NEW}": manifest unknown`],
    [{ reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container', exitCode: 137, restartCount: 3 }, 'proxy: CrashLoopBackOff: back-off 40s restarting failed container, last exit code 137 (Error), 3 restarts'],
  ])('says why the new pods are not ready when a rollout stalls (%#)', async (trouble, sentence) => {
    const w = world();
    w.beforeStep = (self) => {
      if (!self.promotion.progress.patchedAt) return self.kube.advanceRollout(TARGET);
      self.kube.setPodTrouble(TARGET, trouble);
      self.kube.failRollout(TARGET);
    };
    await w.run({ until: (p) => p.state === 'rolling_back' });
    expect(w.promotion.stateReason).toContain(`; 3 of 3 new pods are not ready: ${sentence} (zai-proxy-2-0, zai-proxy-2-1, zai-proxy-2-2)`);
    expect(w.events.at(-1)).toMatchObject({ type: 'note', reason: expect.stringContaining('why the rollout stalled'), data: { pods: expect.any(Array) } });
  });

  it('rolls back a rollout that does not complete within rolloutTimeout', async () => {
    const w = world();
    w.beforeStep = () => {};
    await w.run({ until: (p) => p.state === 'rolling_back' });
    expect(w.promotion.stateReason).toMatch(/^rollout did not complete within 300s/);
  });

  it.each([
    ['rollout', /^rollout check failed: canary-error-rate failed/],
    ['post', /^post-rollout check failed: canary-error-rate failed/],
  ] as const)('rolls back when a %s check fails', async (phase, reason) => {
    const prometheus = healthy();
    const w = world({ prometheus });
    w.beforeStep = (self) => {
      if (phase === 'rollout' && self.promotion.progress.patchedAt) prometheus.answer(/error_ratio/, 0.3);
      else self.kube.advanceRollout(TARGET);
      if (phase === 'post' && self.promotion.state === 'verifying') prometheus.answer(/error_ratio/, 0.3);
    };
    await w.run({ until: (p) => p.state === 'rolling_back' });
    w.beforeStep = (self) => self.kube.advanceRollout(TARGET);
    const done = await w.run();
    expect(done.state).toBe('rolled_back');
    expect(w.states.at(-3)).toBe(phase === 'rollout' ? 'promoting' : 'verifying');
    expect(w.events.find((e) => e.type === 'patch' && e.reason.includes('back'))).toBeDefined();
    expect(w.promotion.stateReason).toMatch(reason);
  });

  it.each(['promoting', 'verifying'] as const)('stops as superseded when someone else sets the image in %s, and leaves it', async (state) => {
    const w = world();
    w.beforeStep = (self) => {
      if (state === 'verifying' || !self.promotion.progress.patchedAt) self.kube.advanceRollout(TARGET);
    };
    await w.run({ until: (p) => p.state === state && p.progress.patchedAt !== undefined });
    w.kube.setImageByHand(TARGET, 'proxy', 'ronaldraygun/zai-proxy:1.2.1-hotfix');
    const done = await w.run();
    expect(done.state).toBe('failed');
    expect(done.stateReason).toMatch(/^superseded: Deployment mcp\/zai-proxy now runs ronaldraygun\/zai-proxy:1\.2\.1-hotfix in proxy/);
    expect(w.kube.image(TARGET, 'proxy')).toBe('ronaldraygun/zai-proxy:1.2.1-hotfix');
    expect(w.kube.patches).toHaveLength(1);
  });

  it('does not roll back over an image someone else set', async () => {
    const prometheus = healthy();
    const w = world({ prometheus });
    await w.run({ until: (p) => p.state === 'verifying' });
    prometheus.answer(/error_ratio/, 0.3);
    await w.run({ until: (p) => p.state === 'rolling_back' });
    w.kube.setImageByHand(TARGET, 'proxy', 'ronaldraygun/zai-proxy:hotfix');
    const done = await w.run();
    expect(done.state).toBe('failed');
    expect(done.stateReason).toContain('not rolled back: the Deployment mcp/zai-proxy now holds ronaldraygun/zai-proxy:hotfix');
    expect(w.kube.patches).toHaveLength(1);
  });

  it('rolls back a succeeded promotion on request', async () => {
    const w = world();
    await w.run();
    w.request('rollback');
    const done = await w.run();
    expect(w.states.slice(-3)).toEqual(['succeeded', 'rolling_back', 'rolled_back']);
    expect(done.stateReason).toBe(`rollback requested; rolled back to ${OLD}`);
  });

  it('retries transient Kubernetes failures, and fails without changing anything on a 403', async () => {
    const transient = world();
    await transient.run({ until: (p) => p.progress.patchIntent === true });
    transient.kube.failNext('patch', (ref) => new KubernetesError({ code: 'unavailable', operation: 'patch', target: ref, message: 'connection reset' }));
    expect((await transient.run()).state).toBe('succeeded');
    expect(transient.events.some((e) => e.type === 'retry')).toBe(true);

    const forbidden = world();
    await forbidden.run({ until: (p) => p.progress.patchIntent === true });
    forbidden.kube.failNext('patch', (ref) => new KubernetesError({ code: 'forbidden', operation: 'patch', target: ref, message: 'deployments.apps is forbidden' }));
    const done = await forbidden.run();
    expect(done.state).toBe('failed');
    expect(done.stateReason).toMatch(/deployments\.apps is forbidden; the Deployment was left as it was found$/);
    expect(forbidden.kube.image(TARGET, 'proxy')).toBe(OLD);
  });
});

describe('crash points', () => {
  // A step whose outcome is lost is a crash after the step acted and before its result was stored: the
  // step runs again on the stored promotion. Every step index of a whole promotion is tried.
  it('a crash after any step of a promotion resumes to the same end with exactly one patch', async () => {
    const reference = world();
    await reference.run();
    for (let crashAt = 0; crashAt < reference.stepsRun; crashAt++) {
      const w = world();
      const done = await w.run({ crashAt: new Set([crashAt]) });
      expect(done.state, `crash at step ${crashAt}`).toBe('succeeded');
      expect(w.kube.patches, `crash at step ${crashAt}`).toEqual([{ ref: TARGET, container: 'proxy', from: OLD, to: NEW }]);
    }
  });

  it('a crash after any step of a rollback resumes to rolled_back with exactly one revert', async () => {
    for (let crashAfter = 0; crashAfter < 4; crashAfter++) {
      const prometheus = healthy();
      const w = world({ prometheus });
      await w.run({ until: (p) => p.state === 'verifying' });
      prometheus.answer(/error_ratio/, 0.3);
      const start = w.stepsRun;
      const done = await w.run({ crashAt: new Set([start + crashAfter]) });
      expect(done.state, `crash ${crashAfter} steps into the rollback`).toBe('rolled_back');
      expect(w.kube.patches.map((p) => p.to), `crash ${crashAfter}`).toEqual([NEW, OLD]);
    }
  });
});

describe('check kinds through the gate', () => {
  const gate = async (checks: unknown[], prometheus: CannedPrometheus, webhooks?: WebhookClient) => {
    const w = world({ policy: policy({ checks: checks as never }), prometheus, ...(webhooks ? { webhooks } : {}) });
    return w.run({ until: (p) => p.state !== 'pending' && p.state !== 'analyzing' });
  };
  const threshold = { name: 'errors', phases: ['pre'], query: 'error_ratio', max: 0.05 };
  const baseline = { name: 'p95', phases: ['pre'], query: 'latency{variant="{{variant}}"}', baseline: { variant: 'production' }, maxIncrease: '10%' };
  const alerts = { name: 'alerts', phases: ['pre'], alerts: { namespace: '{{namespace}}' } };
  const statistical = { name: 'stat', phases: ['pre'], query: 'lat{variant="{{variant}}"}', baseline: { variant: 'production' }, statistical: { window: '10m', step: '1m' } };
  const webhook = (url: string) => ({ name: 'functional', phases: ['pre'], webhook: { url } });

  it.each([
    ['threshold passes', threshold, new CannedPrometheus().answer(/error_ratio/, 0.01), 'promoting'],
    ['threshold fails', threshold, new CannedPrometheus().answer(/error_ratio/, 0.5), 'rejected'],
    ['baseline within 10%', baseline, new CannedPrometheus().answer(/variant="canary"/, 1.05).answer(/variant="production"/, 1), 'promoting'],
    ['baseline +50%', baseline, new CannedPrometheus().answer(/variant="canary"/, 1.5).answer(/variant="production"/, 1), 'rejected'],
    ['no alert firing', alerts, new CannedPrometheus(), 'promoting'],
    ['an alert firing', alerts, new CannedPrometheus().answer(/ALERTS/, 1), 'rejected'],
    ['statistical: same distribution', statistical, new CannedPrometheus().answer(/lat/, [1, 1.1, 0.9, 1, 1.05, 0.95, 1, 1.02, 0.98, 1]), 'promoting'],
    [
      'statistical: canary much slower',
      statistical,
      new CannedPrometheus().answer(/variant="canary"/, [3, 3.1, 2.9, 3, 3.05, 2.95, 3, 3.02, 2.98, 3]).answer(/variant="production"/, [1, 1.1, 0.9, 1, 1.05, 0.95, 1, 1.02, 0.98, 1]),
      'rejected',
    ],
    ['Prometheus down', threshold, new CannedPrometheus().answer(/error_ratio/, 'down'), 'rejected'],
  ])('%s', async (_name, check, prometheus, state) => {
    expect((await gate([check], prometheus)).state).toBe(state);
  });

  it.each([
    ['webhook 200', { status: 200 }, 'promoting', /the 1 check passed/],
    ['webhook 500', { status: 500, body: 'tests failed: 3 of 40' }, 'rejected', /functional: webhook answered 500: tests failed: 3 of 40/],
    ['webhook unreachable', 'refused' as const, 'rejected', /functional could not be measured/],
  ])('%s', async (_name, answer, state, reason) => {
    // A receiver on loopback (the one network call of these tests), allowed by the operator's allow-list.
    const receiver = createServer((_req, res) => {
      if (answer === 'refused') return;
      res.writeHead(answer.status).end('body' in answer ? answer.body : '');
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/run`;
    if (answer === 'refused') await new Promise((resolve) => receiver.close(resolve));
    try {
      const done = await gate([webhook(url)], new CannedPrometheus(), new WebhookClient({ baseDelayMs: 0, allowedUrls: [url] }));
      expect(done.state).toBe(state);
      expect(done.stateReason).toMatch(reason);
    } finally {
      if (answer !== 'refused') await new Promise((resolve) => receiver.close(resolve));
    }
  });
});

describe('the state machine guards every write', () => {
  it('a step that asks for a forbidden change gets failed instead, marked as refused', () => {
    const checked = checkStep('pending', { transition: { to: 'succeeded', reason: 'skipping the gate' }, nextRunInMs: 0 });
    expect(checked.transition).toMatchObject({ from: 'pending', to: 'failed', refused: 'succeeded' });
    expect(checked.transition?.reason).toBe('internal error: the transition pending -> succeeded is not allowed (skipping the gate)');
  });

  it('nothing is written over a terminal state', () => {
    const checked = checkStep('rejected', { transition: { to: 'promoting', reason: 'late' }, nextRunInMs: 0 });
    expect(checked.transition).toMatchObject({ from: 'rejected', to: 'rejected', refused: 'promoting' });
  });
});

describe('a promotion waiting for its pull request', () => {
  /** Steps whose Git delivery only follows pull requests, as `followProposal` says. */
  const followingSteps = (w: World, followProposal: NonNullable<ImageDelivery['followProposal']>, releases?: ReleaseFinalizer) =>
    new PromotionSteps({
      kube: w.kube,
      runner: new CheckRunner({ prometheus: healthy() }),
      prometheus: healthy(),
      deliveryFor: () => ({
        mode: 'git',
        convergesLater: true,
        apply: async () => {
          throw new Error('not called');
        },
        followProposal,
      }),
      ...(releases ? { releases } : {}),
    });

  it('fails on a forge error it cannot retry, naming the pull request it leaves open', async () => {
    const w = world();
    const pr = { number: 7, url: 'https://forge.example/acme/deploy/pull/7', branch: 'promoter/p', state: 'open' as const, head: 'a'.repeat(40) };
    const steps = followingSteps(w, async () => {
      throw new DeliveryError('github: could not read pull request #7: Bad credentials (check the forge token)', false);
    });
    const promotion = {
      ...w.promotion,
      state: 'awaiting_merge' as const,
      resolvedImage: NEW,
      previousImage: OLD,
      delivery: { via: 'git' as const, repository: 'deploy', file: 'app.yaml', locator: { kind: 'manifest' as const, container: 'proxy' }, pullRequest: pr },
      progress: { patchIntent: true, proposedAt: 0 },
    };
    const outcome = await steps.step(promotion);
    expect(outcome.transition?.to).toBe('failed');
    expect(outcome.transition?.reason).toBe(
      'Delivery: github: could not read pull request #7: Bad credentials (check the forge token); the Deployment was left as it was found; ' +
        'pull request #7 (https://forge.example/acme/deploy/pull/7) is left open: close it, or merge it knowing promoter no longer follows it',
    );
  });

  it("hands the policy's mergeTimeout to the follower of its pull request, of its revert, and to the release", async () => {
    const w = world({ policy: policy({ mergeTimeout: '2h', afterSuccess: { release: { repository: 'app' } } }) });
    const pr = { number: 7, url: 'https://forge.example/acme/deploy/pull/7', branch: 'promoter/p', state: 'open' as const, head: 'a'.repeat(40) };
    const given: (number | undefined)[] = [];
    const steps = followingSteps(
      w,
      async (request) => {
        given.push(request.mergeTimeoutMs);
        return { kind: 'waiting' };
      },
      {
        finalize: async (_promotion, _settings, mergeTimeoutMs) => {
          given.push(mergeTimeoutMs);
          return { done: false, repository: 'app', pullRequest: pr, proposedAt: 0, rebases: 0 };
        },
      },
    );
    const promotion = {
      ...w.promotion,
      resolvedImage: NEW,
      previousImage: OLD,
      delivery: { via: 'git' as const, repository: 'deploy', file: 'app.yaml', locator: { kind: 'manifest' as const, container: 'proxy' }, pullRequest: pr },
    };
    await steps.step({ ...promotion, state: 'awaiting_merge', progress: { patchIntent: true, proposedAt: 0 } });
    await steps.step({ ...promotion, state: 'rolling_back', progress: { rollback: { reason: 'check failed', finalState: 'rolled_back', startedAt: 0, proposedAt: 0 } } });
    await steps.step({ ...promotion, state: 'succeeded', requestedAction: 'finalize' });
    expect(given).toEqual([7_200_000, 7_200_000, 7_200_000]);
  });
});
