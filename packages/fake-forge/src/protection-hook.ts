/**
 * Branch protection enforced by git itself: installs `hooks/protected-branch.mjs` into a bare repository
 * (as `proc-receive` for GitHub, `pre-receive` for GitLab) and writes the file it reads, naming each
 * refused ref with the lines the real forge prints. A `git push` to a protected branch then fails in the
 * client exactly as against the forge:
 * Only pushes that touch a refused ref (or, for GitHub, a ref whose name starts with one: git matches
 * `receive.procReceiveRefs` by prefix) start node; other pushes stay plain git and fast.
 * - GitHub: `remote: error: GH006: Protected branch update failed for refs/heads/main.` and
 *   `! [remote rejected] main -> main (protected branch hook declined)`;
 * - GitLab: `remote: GitLab: You are not allowed to push code to protected branches on this project.` and
 *   `! [remote rejected] main -> main (pre-receive hook declined)`.
 */
import { chmod, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { ruleViolation } from './github-json.js';
import { setConfigValues } from './repository-git.js';
import type { BranchRule, ForgeKind, RepositoryRecord } from './forge-state.js';

const HOOK_SCRIPT = fileURLToPath(new URL('../hooks/protected-branch.mjs', import.meta.url));
const RULES_FILE = 'fake-forge-protection.json';

/**
 * Installs the hook. GitHub's is a proc-receive hook, the only kind whose refusal reason git prints as
 * given ("protected branch hook declined"); a pre-receive hook always reads "pre-receive hook declined".
 */
export async function installProtectionHook(kind: ForgeKind, gitDir: string): Promise<void> {
  const hook = kind === 'github' ? 'proc-receive' : 'pre-receive';
  const path = join(gitDir, 'hooks', hook);
  const node = `exec node ${shellQuote(HOOK_SCRIPT)} ${hook}`;
  // GitLab's pre-receive runs on every push: skip node while nothing is refused (git still needs stdin read).
  const script = kind === 'github' ? node : `grep -q '"refs/' ${RULES_FILE} || { cat >/dev/null; exit 0; }\n${node}`;
  await writeFile(path, `#!/bin/sh\n${script}\n`);
  await chmod(path, 0o755);
  await writeFile(join(gitDir, RULES_FILE), JSON.stringify({ refused: {} }));
}

/** Rewrites the refused refs after a rule changed. */
export async function writeProtectionRules(kind: ForgeKind, repository: RepositoryRecord): Promise<void> {
  const refused: Record<string, string[]> = {};
  for (const rule of repository.rules.values()) {
    const lines = refusalLines(kind, rule);
    if (lines) refused[`refs/heads/${rule.branch}`] = lines;
  }
  await writeFile(join(repository.gitDir, RULES_FILE), JSON.stringify({ refused }));
  if (kind === 'github') await setConfigValues(repository.gitDir, 'receive.procReceiveRefs', Object.keys(refused));
}

/**
 * What the forge prints for a direct push to this branch, or undefined when it allows one. GitHub refuses
 * when the branch requires reviews or checks (it still allows plain pushes to a protected branch without
 * them, which the fake does not distinguish from force-pushes); GitLab when developers may not push.
 */
export function refusalLines(kind: ForgeKind, rule: BranchRule): string[] | undefined {
  if (kind === 'gitlab') {
    return rule.pushAccessLevel > DEVELOPER_ACCESS || rule.pushAccessLevel === 0
      ? ['GitLab: You are not allowed to push code to protected branches on this project.']
      : undefined;
  }
  const why = ruleViolation({ approvals: [], approvalsRequired: rule.requiredApprovals, missingChecks: rule.requiredChecks, pendingChecks: [], failingChecks: [] });
  return why === undefined ? undefined : [`error: GH006: Protected branch update failed for refs/heads/${rule.branch}.`, `error: ${why}`];
}

/** The access level of every user of the fake (GitLab "Developer"). */
export const DEVELOPER_ACCESS = 30;

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
