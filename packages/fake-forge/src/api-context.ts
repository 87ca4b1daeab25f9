/** What the GitHub and GitLab request handlers need from the fake forge that serves them. */
import type { BranchRule, ForgeKind, ForgeState, RepositoryRecord } from './forge-state.js';

export interface ApiContext {
  readonly kind: ForgeKind;
  readonly state: ForgeState;
  /** The API's base URL (GitHub: the root; GitLab: without `/api/v4`), for `url` and `html_url` fields. */
  readonly baseUrl: string;
  /** The repository's smart-HTTP clone URL (served by the git server, on its own port). */
  gitUrl(fullName: string): string;
  /** Stores a branch rule and rewrites the repository's push protection to match. */
  saveRule(repository: RepositoryRecord, rule: BranchRule): Promise<void>;
}
