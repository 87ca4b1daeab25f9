import { describe, expect, it } from 'vitest';
import { promotionPullRequest, revertPullRequest } from './pull-request-text.js';

const base = {
  promotionId: 'b7c1',
  file: 'apps/zai-proxy.yaml',
  previousImage: 'ronaldraygun/zai-proxy:1.2.0',
  newImage: 'ronaldraygun/zai-proxy:1.2.1',
  policy: { name: 'web', version: 3 },
  merge: 'auto' as const,
};

describe('pull request text', () => {
  it("titles the pull request with the runbook's commit subject and lists every pre check with its measurement", () => {
    const text = promotionPullRequest({
      ...base,
      evidence: [
        { check: 'error-rate', result: 'pass', message: 'error-rate = 0.01 <= max 0.05' },
        { check: 'p95', result: 'pass', message: 'p95 = 0.2 (baseline 0.19, +5.3%)' },
      ],
      promotionUrl: 'https://promoter.example/ui/promotions/b7c1',
    });
    expect(text.title).toBe('chore: promote zai-proxy to v1.2.1');
    expect(text.body).toContain('### Gate evidence (policy `web` v3)');
    expect(text.body).toContain('| error-rate | pass | error-rate = 0.01 <= max 0.05 |');
    expect(text.body).toContain('| p95 | pass | p95 = 0.2 (baseline 0.19, +5.3%) |');
    expect(text.body).toContain('Promotion: [b7c1](https://promoter.example/ui/promotions/b7c1)');
    expect(text.body).toContain('promoter merges this pull request itself');
  });

  it('keeps a check text inside its table cell: pipes escaped, newlines flattened, long text cut', () => {
    const text = promotionPullRequest({ ...base, merge: 'manual', evidence: [{ check: 'a|b', result: 'pass', message: `x\n| injected | row |\n${'y'.repeat(400)}` }] });
    const row = text.body.split('\n').find((line) => line.startsWith('| a'));
    expect(row).toMatch(/^\| a\\\|b \| pass \| x \\\| injected \\\| row \\\| y+… \|$/);
    expect(row!.length).toBeLessThan(340);
    expect(text.body).toContain('Merge it to deploy the image');
    expect(text.body).toContain('Promotion: `b7c1`');
  });

  it('says when the policy had no pre checks instead of an empty table', () => {
    expect(promotionPullRequest({ ...base, evidence: [] }).body).toContain('The policy has no `pre` checks');
  });

  it('titles the revert as git does and says why and which pull request it reverts', () => {
    const text = revertPullRequest({
      promotionId: 'b7c1',
      file: base.file,
      promotedImage: base.newImage,
      previousImage: base.previousImage,
      reverts: { number: 12, url: 'https://github.example/acme/deploy/pull/12' },
      reason: 'post-rollout check failed: error-rate = 0.3 > max 0.05',
    });
    expect(text.title).toBe('Revert "chore: promote zai-proxy to v1.2.1"');
    expect(text.body).toContain('(reverts #12)');
    expect(text.body).toContain('Why: post-rollout check failed: error-rate = 0.3 > max 0.05');
  });
});
