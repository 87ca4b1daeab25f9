/**
 * Which repositories take changes through pull requests, and the forge client of each: read from the
 * operator's repositories file (`changes: pull-request`), one client per repository, built on first use.
 * The forge's token is read by the client at every call, so a rotated Secret is picked up without a restart.
 */
import { forgeClientFor, type ForgeClient } from '../adapters/forge/index.js';
import type { GitDelivery } from '../adapters/git/index.js';
import type { ProposalSettings, PullRequestOptions } from './pull-request-delivery.js';

export interface PullRequestRouteOptions {
  /** Where `forge.tokenEnv` variables are read. */
  readonly environment: Readonly<Record<string, string | undefined>>;
  /** PROMOTER_PUBLIC_URL: the pull request's description links to the promotion there. */
  readonly publicUrl?: string | undefined;
}

export function pullRequestRoutes(git: GitDelivery, options: PullRequestRouteOptions): PullRequestOptions {
  const clients = new Map<string, ForgeClient>();
  const publicUrl = options.publicUrl?.replace(/\/+$/, '');
  return {
    settingsFor: (name: string): ProposalSettings | undefined => {
      const repository = git.repositoryConfig(name);
      const settings = repository.pullRequests;
      if (repository.changes !== 'pull-request' || settings === undefined) return undefined;
      let forge = clients.get(name);
      if (!forge) {
        forge = forgeClientFor(repository, options.environment);
        clients.set(name, forge);
      }
      return { forge, targetBranch: repository.branch, merge: settings.merge, mergeTimeoutMs: settings.mergeTimeoutMs, rollback: settings.rollback };
    },
    ...(publicUrl ? { promotionUrl: (id: string) => `${publicUrl}/ui/promotions/${id}` } : {}),
  };
}
