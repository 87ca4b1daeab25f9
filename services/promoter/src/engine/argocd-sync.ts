/**
 * Following the Argo CD Application a Git delivery names. Argo CD looks at Git every 3 minutes by default,
 * so after its commit lands the service asks it to look now (the refresh annotation) and, where the
 * operator allows it, to sync that commit; then every step reads the Application until Argo CD has synced
 * the commit (or a later one) and reports it Healthy. A failed sync or a Degraded health is a failed
 * rollout, with Argo CD's own message. Only then does the engine follow the rollout on the cluster as
 * without Argo CD.
 *
 * `judgeApplication` is the decision, pure; `ArgoCdFollower` does the I/O around it (the Application, and
 * Git for "is this revision a descendant of our commit").
 */
import type { ArgoCdApplications, ArgoCdApplicationStatus } from '../adapters/kubernetes/argocd-types.js';
import type { ArgoCdApplicationRef } from '../domain/delivery.js';
import type { ArgoCdProgress } from '../domain/promotion.js';
import type { StepEvent } from '../domain/step-outcome.js';

/** What the engine should do after reading the Application. */
export type ArgoCdJudgement =
  /** Not there yet: `why` says what Argo CD reports. */
  | { readonly kind: 'wait'; readonly why: string }
  /** A failed sync or a Degraded health: `reason` carries Argo CD's message. */
  | { readonly kind: 'failed'; readonly reason: string }
  /** Synced at the commit (or later) and Healthy. */
  | { readonly kind: 'done'; readonly why: string };

/** What the follower learnt from Git about the revisions the Application reports. */
export interface RevisionFacts {
  /** `status.sync.revision` is the commit or a descendant of it. */
  readonly syncReached: boolean;
  /** `status.operationState`'s revision is the commit or a descendant of it. */
  readonly operationReached: boolean;
}

const short = (revision: string | undefined) => (revision ? revision.slice(0, 12) : 'no revision');

/** `2026-12-05T15:19:58Z` (Argo CD's second precision) is at or after `askedAt` (ms), to the second. */
function startedSince(startedAt: string | undefined, askedAt: number): boolean {
  const started = startedAt === undefined ? Number.NaN : Date.parse(startedAt);
  return Number.isFinite(started) && started >= Math.floor(askedAt / 1000) * 1000;
}

/**
 * The decision, from the Application's status: a failed operation counts when it was about our commit (or
 * later), or started after we asked; the commit counts as synced when `sync.revision` reached it and Argo
 * CD's operation for it succeeded (or, with no operation of its own, the Application is Synced there).
 */
export function judgeApplication(name: string, status: ArgoCdApplicationStatus, facts: RevisionFacts, commit: string, askedAt: number): ArgoCdJudgement {
  const operation = status.operationState;
  const ours = operation !== undefined && (facts.operationReached || startedSince(operation.startedAt, askedAt));
  if (operation && ours && (operation.phase === 'Failed' || operation.phase === 'Error')) {
    return { kind: 'failed', reason: `Argo CD could not sync ${name} (operation ${operation.phase}): ${operation.message ?? 'no message'}` };
  }
  if (status.operationPending) return { kind: 'wait', why: `Argo CD has not taken up the sync of ${name} yet` };
  if (operation?.phase === 'Running' || operation?.phase === 'Terminating') {
    return { kind: 'wait', why: `Argo CD is syncing ${name} to ${short(operation.revision)}` };
  }
  if (!facts.syncReached) {
    return { kind: 'wait', why: `Argo CD reports ${name} ${status.syncStatus} at ${short(status.syncRevision)}, not yet at ${short(commit)}` };
  }
  const synced = (operation?.phase === 'Succeeded' && facts.operationReached) || status.syncStatus === 'Synced';
  if (!synced) return { kind: 'wait', why: `Argo CD has seen ${short(status.syncRevision)} of ${name} but not synced it (${status.syncStatus})` };
  if (status.health === 'Degraded') {
    return { kind: 'failed', reason: `Argo CD reports ${name} Degraded: ${status.healthMessage ?? 'no message'}` };
  }
  if (status.health !== 'Healthy') {
    return { kind: 'wait', why: `Argo CD reports ${name} ${status.health}${status.healthMessage ? `: ${status.healthMessage}` : ''}` };
  }
  return { kind: 'done', why: `Argo CD synced ${name} to ${short(status.syncRevision)} and reports it Healthy` };
}

/** The one thing the follower needs of Git. */
export interface Ancestry {
  /** Whether `ancestor` is `descendant` or one of its ancestors in the repository's branch. */
  isAncestor(repository: string, ancestor: string, descendant: string): Promise<boolean>;
}

export interface ArgoCdFollowerDeps {
  readonly applications: ArgoCdApplications;
  readonly git: Ancestry;
  /** Whether the operator allows the service to sync (PROMOTER_ARGOCD_SYNC), not only to refresh. */
  readonly sync: boolean;
}

/** The result of one look at the Application: the decision, the progress to keep, an event when it changed. */
export interface ArgoCdLook {
  readonly judgement: ArgoCdJudgement;
  readonly progress: ArgoCdProgress;
  readonly events: StepEvent[];
}

const ANCESTRY_CACHE = 1_000;

export class ArgoCdFollower {
  readonly #deps: ArgoCdFollowerDeps;
  // Ancestry between two existing commits never changes: remembered, so a poll does not fetch each time.
  readonly #known = new Map<string, boolean>();

  constructor(deps: ArgoCdFollowerDeps) {
    this.#deps = deps;
  }

  /** Asks Argo CD to refresh (and sync `commit` where allowed): once per commit, recorded by the caller. */
  async ask(ref: ArgoCdApplicationRef, commit: string, now: number): Promise<{ progress: ArgoCdProgress; events: StepEvent[] }> {
    await this.#deps.applications.refresh(ref);
    const synced = this.#deps.sync && (await this.#syncIfIdle(ref, commit, await this.#deps.applications.status(ref)));
    const what = synced ? `to refresh and to sync ${commit.slice(0, 12)}` : 'to refresh';
    return {
      progress: { askedAt: now, commit, synced },
      events: [
        {
          type: 'note',
          reason: `asked Argo CD application ${ref.namespace}/${ref.application} ${what}`,
          data: { application: ref.application, namespace: ref.namespace, refresh: 'normal', sync: synced ? commit : null },
        },
      ],
    };
  }

  /** Reads the Application and judges it; a `rollout` event when what Argo CD reports changed. */
  async look(ref: ArgoCdApplicationRef, repository: string, progress: ArgoCdProgress & { readonly askedAt: number; readonly commit: string }): Promise<ArgoCdLook> {
    const status = await this.#deps.applications.status(ref);
    const facts: RevisionFacts = {
      syncReached: await this.#reached(repository, progress.commit, status.syncRevision),
      operationReached: await this.#reached(repository, progress.commit, status.operationState?.revision),
    };
    // A sync deferred because another operation was under way is asked for once that one has ended.
    const deferred = this.#deps.sync && progress.synced === false && !facts.syncReached && (await this.#syncIfIdle(ref, progress.commit, status));
    if (deferred) {
      const event: StepEvent = { type: 'note', reason: `asked Argo CD application ${ref.namespace}/${ref.application} to sync ${progress.commit.slice(0, 12)}`, data: { application: ref.application, namespace: ref.namespace, sync: progress.commit } };
      return { judgement: { kind: 'wait', why: 'asked Argo CD to sync' }, progress: { ...progress, synced: true }, events: [event] };
    }
    const judgement = judgeApplication(`${ref.namespace}/${ref.application}`, status, facts, progress.commit, progress.askedAt);
    const seen = [status.syncStatus, status.syncRevision ?? '', status.operationState?.phase ?? '', status.health].join('/');
    const events: StepEvent[] =
      seen === progress.lastSeen
        ? []
        : [
            {
              type: 'rollout',
              reason: judgement.kind === 'failed' ? judgement.reason : judgement.why,
              data: {
                argocd: {
                  application: ref.application,
                  namespace: ref.namespace,
                  sync: status.syncStatus,
                  revision: status.syncRevision ?? null,
                  health: status.health,
                  healthMessage: status.healthMessage ?? null,
                  operation: status.operationState ? { phase: status.operationState.phase, message: status.operationState.message ?? null, revision: status.operationState.revision ?? null } : null,
                },
              },
            },
          ];
    return { judgement, progress: { ...progress, lastSeen: seen, ...(judgement.kind === 'done' ? { confirmedAt: Date.now() } : {}) }, events };
  }

  /** Writes the sync operation unless one is pending or running (it is never overwritten); whether it did. */
  async #syncIfIdle(ref: ArgoCdApplicationRef, commit: string, status: ArgoCdApplicationStatus): Promise<boolean> {
    if (status.operationPending || status.operationState?.phase === 'Running' || status.operationState?.phase === 'Terminating') return false;
    await this.#deps.applications.sync(ref, commit);
    return true;
  }

  async #reached(repository: string, commit: string, revision: string | undefined): Promise<boolean> {
    if (revision === undefined) return false;
    if (revision === commit) return true;
    const key = `${repository} ${commit} ${revision}`;
    const known = this.#known.get(key);
    if (known !== undefined) return known;
    const answer = await this.#deps.git.isAncestor(repository, commit, revision);
    if (this.#known.size >= ANCESTRY_CACHE) this.#known.clear();
    this.#known.set(key, answer);
    return answer;
  }
}
