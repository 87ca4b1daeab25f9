/** What the GitHub and GitLab request handlers need from the fake forge that serves them. */
import type { BranchRule, ForgeKind, ForgeState, RepositoryRecord } from './forge-state.js';

export interface ApiContext {
  readonly kind: ForgeKind;
  readonly state: ForgeState;
  /** The API's base URL (GitHub: the root; GitLab: without `/api/v4`), for `url` and `html_url` fields. */
  readonly baseUrl: string;
  /** Stores a branch rule and rewrites the repository's push protection to match. */
  saveRule(repository: RepositoryRecord, rule: BranchRule): Promise<void>;
}
