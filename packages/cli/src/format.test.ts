import { describe, expect, it } from 'vitest';
import type { CheckResult, Evaluation, Promotion, PromotionDetail, PromotionEvent } from '@promoter/sdk';
import { actorText, checkLine, counted, evaluationLines, eventLine, formatNumber, gitLines, latestChecks, promotionRows, promotionSummary, table, targetText } from './format.js';
import { Output, wantsColour } from './output.js';

const plain = new Output({ stdout: { write: () => true }, stderr: { write: () => true }, isTTY: false, json: false, color: false }).style;

const result = (overrides: Partial<CheckResult>): CheckResult => ({
  id: 1,
  check: 'canary-error-rate',
  phase: 'pre',
  sample: 1,
  result: 'pass',
  value: 0.0123,
  bound: 'max 0.05',
  message: '',
  measuredAt: '2026-01-01T00:00:00.000Z',
  ...overrides,
});

describe('formatNumber', () => {
  it.each([
    [0, '0'],
    [42, '42'],
    [0.012345, '0.01235'],
    [0.00001234, '1.234e-5'],
    [123456789.5, '1.235e+8'],
  ])('%s -> %s', (given, want) => {
    expect(formatNumber(given)).toBe(want);
  });
});

describe('checkLine', () => {
  it.each([
    ['a pass with its bound', result({}), '✓ canary-error-rate [pre #1] 0.0123 (max 0.05)'],
    ['a failure against a baseline', result({ result: 'fail', value: 0.3, baselineValue: 0.2, bound: 'maxIncrease 10%' }), '✗ canary-error-rate [pre #1] 0.3 vs baseline 0.2 (maxIncrease 10%)'],
    ['no data', result({ result: 'inconclusive', value: null, bound: null }), '? canary-error-rate [pre #1] no data'],
    ['no data, explained', result({ result: 'inconclusive', value: null, bound: 'max 0.05', message: 'the query returned no series' }), '? canary-error-rate [pre #1] no data: the query returned no series (max 0.05)'],
    [
      'a query error, with the message less its check name',
      result({ result: 'error', value: null, bound: null, message: 'canary-error-rate: PROMETHEUS_URL is not configured' }),
      '! canary-error-rate [pre #1] error: PROMETHEUS_URL is not configured',
    ],
  ])('%s', (_name, given, want) => {
    expect(checkLine(plain, given)).toBe(want);
  });
});

it('latestChecks keeps the last measurement per check and phase', () => {
  const got = latestChecks([result({ id: 1, sample: 1 }), result({ id: 2, check: 'p95' }), result({ id: 3, sample: 2 }), result({ id: 4, phase: 'post' })]);
  expect(got.map((r) => r.id)).toEqual([3, 2, 4]);
});

it('table pads columns, ignoring colour codes', () => {
  const { bold } = new Output({ stdout: { write: () => true }, stderr: { write: () => true }, isTTY: true, json: false, color: true }).style;
  expect(table([[bold('ID'), 'STATE'], ['abc', 'pending']])).toEqual([`${bold('ID')}   STATE`, 'abc  pending']);
});

describe('wantsColour', () => {
  it.each([
    ['a terminal', { tty: true, env: {}, flag: false, want: true }],
    ['not a terminal', { tty: false, env: {}, flag: false, want: false }],
    ['NO_COLOR set', { tty: true, env: { NO_COLOR: '1' }, flag: false, want: false }],
    ['NO_COLOR empty is not set', { tty: true, env: { NO_COLOR: '' }, flag: false, want: true }],
    ['--no-color', { tty: true, env: {}, flag: true, want: false }],
    ['TERM=dumb', { tty: true, env: { TERM: 'dumb' }, flag: false, want: false }],
  ])('%s', (_name, { tty, env, flag, want }) => {
    expect(wantsColour(tty, env, flag)).toBe(want);
  });
});

describe('gitLines', () => {
  const promotion = (overrides: Partial<Promotion>): Promotion => ({
    id: 'p-1',
    target: { namespace: 'mcp', deployment: 'zai-proxy', container: 'proxy' },
    policy: { name: 'gitops', version: 1 },
    dryRun: false,
    state: 'succeeded',
    actor: 'ci',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  });
  const git = { via: 'git', repository: 'deploy', file: 'apps/zai-proxy.yaml', branch: 'main' } as const;
  const sha = (c: string) => c.repeat(40);

  it.each([
    ['a patch: nothing', promotion({}), []],
    ['a commit not made yet', promotion({ delivery: { via: 'git', repository: 'deploy', file: 'apps/zai-proxy.yaml' } }), ['  git       deploy apps/zai-proxy.yaml']],
    [
      'a commit, then a restore',
      promotion({ delivery: { ...git, commit: sha('a'), revertCommit: sha('b'), revertMethod: 'restore' } }),
      ['  git       deploy@main apps/zai-proxy.yaml', `  commit    ${sha('a')}`, `  reverted  ${sha('b')} (a commit restoring the previous image)`],
    ],
    [
      "GitHub's pull requests: #N",
      promotion({
        delivery: {
          ...git,
          commit: sha('a'),
          pullRequest: { number: 12, forge: 'github', url: 'https://github.com/acme/deploy/pull/12', branch: 'promoter/p-1', state: 'merged', mergedBy: 'promoter' },
          revertPullRequest: { number: 13, forge: 'github', url: 'https://github.com/acme/deploy/pull/13', branch: 'promoter/p-1-rollback', state: 'open', blockedBy: 'required check ci has not reported' },
        },
      }),
      [
        '  git       deploy@main apps/zai-proxy.yaml',
        `  commit    ${sha('a')}`,
        '  pull req  #12 merged by promoter: https://github.com/acme/deploy/pull/12',
        '  revert PR #13 open (required check ci has not reported): https://github.com/acme/deploy/pull/13',
      ],
    ],
    [
      "GitLab's merge requests: !N (and a record without its forge reads as GitHub's)",
      promotion({
        delivery: {
          ...git,
          pullRequest: { number: 4, forge: 'gitlab', url: 'https://gitlab.example/acme/deploy/-/merge_requests/4', branch: 'promoter/p-1', state: 'closed', closedBy: 'alice' },
          revertPullRequest: { number: 5, url: 'https://gitlab.example/acme/deploy/-/merge_requests/5', branch: 'promoter/p-1-rollback', state: 'open' },
        },
      }),
      [
        '  git       deploy@main apps/zai-proxy.yaml',
        '  merge req !4 closed by alice: https://gitlab.example/acme/deploy/-/merge_requests/4',
        '  revert PR #5 open: https://gitlab.example/acme/deploy/-/merge_requests/5',
      ],
    ],
    [
      'a release made',
      promotion({ release: { state: 'done', repository: 'app-source', version: '1.2.1', tag: 'v1.2.1', commit: sha('c') } }),
      [`  release   tag v1.2.1 in app-source, commit ${sha('c')} (VERSION 1.2.1)`],
    ],
    [
      'a release that failed',
      promotion({ release: { state: 'failed', repository: 'app-source', reason: 'push refused' } }),
      ['  release   failed in app-source: push refused', '            retry: promoter finalize p-1'],
    ],
    ['a release to come', promotion({ release: { state: 'pending', repository: 'app-source' } }), ['  release   pending in app-source']],
    ['a release after a success to come', promotion({ state: 'verifying', release: { state: 'pending', repository: 'app-source' } }), ['  release   pending in app-source, after success']],
    ['no release after a rollback', promotion({ state: 'rolled_back', release: { state: 'pending', repository: 'app-source' } }), ['  release   none in app-source: the promotion did not succeed']],
    ['a skipped release with its reason', promotion({ state: 'aborted', release: { state: 'skipped', repository: 'app-source', reason: 'the promotion ended aborted, so there is nothing to release' } }), ['  release   none in app-source: the promotion ended aborted, so there is nothing to release']],
  ])('%s', (_name, given, want) => {
    expect(gitLines(plain, given)).toEqual(want);
  });
});

describe('counted', () => {
  it.each([
    ['none', { given: 0, want: '0 checks' }],
    ['one', { given: 1, want: '1 check' }],
    ['two', { given: 2, want: '2 checks' }],
  ])('%s', (_name, { given, want }) => {
    expect(counted(given, 'check')).toBe(want);
  });
});

it('evaluationLines shows a backtest\'s identical errors once, with their count and span', () => {
  const error = (sample: number, minute: number) => result({ id: sample, sample, result: 'error', value: null, bound: null, message: 'error-rate: Prometheus network error: connect ECONNREFUSED', measuredAt: `2026-01-01T10:${String(minute).padStart(2, '0')}:00.000Z` });
  const evaluation = {
    id: 'e-1',
    verdict: 'error',
    reason: 'error-rate could not be measured 3 times in a row; 2 tolerated',
    target: { namespace: 'mcp', deployment: 'zai-proxy', container: 'proxy' },
    phase: 'pre',
    policy: { name: 'gate', version: 1 },
    checks: [
      {
        name: 'error-rate',
        kind: 'threshold',
        verdict: 'error',
        measurements: [error(1, 0), result({ id: 2, sample: 2, measuredAt: '2026-01-01T10:01:00.000Z' }), error(3, 2), error(4, 3)],
        errors: [{ message: 'error-rate: Prometheus network error: connect ECONNREFUSED', count: 3, first: '2026-01-01T10:00:00.000Z', last: '2026-01-01T10:03:00.000Z' }],
      },
    ],
  } as unknown as Evaluation; // only the fields evaluationLines reads
  expect(evaluationLines(plain, evaluation).slice(2)).toEqual([
    '  ! error-rate (threshold)',
    '      ✓ canary-error-rate [pre #2] 0.0123 (max 0.05)',
    '      ! 3 errors: Prometheus network error: connect ECONNREFUSED (2026-01-01T10:00:00.000Z to 2026-01-01T10:03:00.000Z)',
  ]);
});

describe('clusters', () => {
  const promotion = (id: string, cluster: string | undefined): Promotion => ({
    id,
    target: { ...(cluster === undefined ? {} : { cluster }), namespace: 'mcp', deployment: 'web', container: 'app' },
    image: 'web:1',
    policy: { name: 'web', version: 1 },
    dryRun: false,
    state: 'succeeded',
    actor: 'ci',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  });

  it('names the cluster only when the service names its clusters', () => {
    expect(targetText(promotion('a', 'default'))).toBe('mcp/web (container app)');
    expect(targetText(promotion('a', undefined))).toBe('mcp/web (container app)');
    expect(targetText(promotion('a', 'apexalgo-iad'))).toBe('mcp/web (container app) in cluster apexalgo-iad');
  });

  it('adds a CLUSTER column to the list when a promotion is in a named cluster', () => {
    expect(promotionRows(plain, [promotion('a', 'default')])[0]).toBe('ID  STATE      TARGET   IMAGE  CREATED');
    const rows = promotionRows(plain, [promotion('a', 'staging'), promotion('b', 'apexalgo-iad')]);
    expect(rows[0]).toBe('ID  STATE      CLUSTER       TARGET   IMAGE  CREATED');
    expect(rows[2]).toBe('b   succeeded  apexalgo-iad  mcp/web  web:1  2026-01-01T00:00:00.000Z');
  });
});

describe('who did it', () => {
  const person = { kind: 'person' as const, key: 'https://idp.example#u1', subject: 'u1', issuer: 'https://idp.example', displayName: 'Alice' };

  it('names a token by its name, and a person or workload with its kind and issuer', () => {
    expect(actorText('ci', { kind: 'token', key: 'token:ci', subject: 'ci', displayName: 'ci' })).toBe('ci');
    expect(actorText('ci', null)).toBe('ci');
    expect(actorText('Alice', person)).toBe('Alice, person of https://idp.example');
  });

  it('prints who did each event, and who approved with the reasons and what is still needed in the status', () => {
    const event = { id: 1, promotionId: 'p', at: '2026-01-01T10:00:00.000Z', actor: 'Alice', actorIdentity: person, type: 'approval', from: 'awaiting_approval', to: null, reason: 'dashboards green', data: null } as PromotionEvent;
    expect(eventLine(plain, event)).toBe('10:00:00  approval  dashboards green  (Alice, person of https://idp.example)');
    const detail = {
      id: 'p',
      target: { namespace: 'mcp', deployment: 'web', container: 'app' },
      image: 'web:1',
      policy: { name: 'web', version: 1 },
      dryRun: false,
      state: 'awaiting_approval',
      actor: 'ci',
      actorIdentity: { kind: 'token', key: 'token:ci', subject: 'ci', displayName: 'ci' },
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      checkResults: [],
      events: [],
      approval: {
        required: 2,
        from: { groups: ['sre'], roles: [] },
        approvals: [{ actor: 'Alice', actorIdentity: person, role: 'operator', reason: 'dashboards green', at: '2026-01-01T10:00:00.000Z' }],
        remaining: 1,
        approvers: 'a member of sre (not the requester)',
      },
    } as unknown as PromotionDetail; // the fields promotionSummary reads
    const lines = promotionSummary(plain, detail);
    expect(lines).toContain('  started   2026-01-01T00:00:00.000Z by ci');
    expect(lines).toContain('  approved  2026-01-01T10:00:00.000Z by Alice, person of https://idp.example: dashboards green');
    expect(lines).toContain('  approval  still needs 1 of 2 from a member of sre (not the requester)');
  });
});
