/**
 * A fake Git forge for promoter's tests: GitHub REST v3 or GitLab REST v4 pull/merge requests, commit
 * statuses, check runs, reviews/approvals and branch protection, over real bare repositories served by
 * `git http-backend` (from `@promoter/local-stack`). Protected branches refuse direct pushes inside git
 * itself with the forge's own message; merges write real merge commits. See README.md for what is faithful.
 *
 * @example
 * const forge = await startFakeForge({ kind: 'github', users: [{ login: 'alice' }] });
 * await forge.createRepository('acme/deploy', { 'app.yaml': 'image: web:1\n' });
 * await forge.protectBranch('acme/deploy', 'main', { requiredChecks: ['ci'], requiredApprovals: 1 });
 * const head = await forge.commit('acme/deploy', { 'app.yaml': 'image: web:2\n' }, 'promote', 'promoter/p1');
 * // ... the code under test opens a PR at forge.apiUrl with token forge.tokenOf('promoter') ...
 * forge.setStatus('acme/deploy', head, 'ci', 'success');
 * await forge.approve('acme/deploy', 1, 'alice');
 * await forge.close();
 */
export { FakeForge, startFakeForge, DEFAULT_USER, type FakeForgeOptions, type LoggedForgeRequest, type ProtectionSeed, type UserSeed } from './fake-forge.js';
export type { BranchRule, CheckOutcome, CheckRunRecord, CommitStatusRecord, ForgeKind, ForgeUser, PullRecord } from './forge-state.js';
export type { FaultRule } from './http.js';
export type { Assessment } from './mergeability.js';
export type { MergeMethod, MergeOutcome } from './merge.js';
