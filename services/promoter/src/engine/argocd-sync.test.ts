import { describe, expect, it } from 'vitest';
import { boundedText, MAX_TEXT, readStatus } from '../adapters/kubernetes/argocd-applications.js';
import type { ArgoCdApplications, ArgoCdApplicationStatus } from '../adapters/kubernetes/argocd-types.js';
import { ArgoCdFollower, judgeApplication, type RevisionFacts } from './argocd-sync.js';

const COMMIT = 'a'.repeat(40);
const OLDER = 'b'.repeat(40);
const ASKED = Date.parse('2026-12-05T15:00:00.400Z');
const REACHED: RevisionFacts = { syncReached: true, operationReached: true };
const NOT_YET: RevisionFacts = { syncReached: false, operationReached: false };

const status = (over: Partial<ArgoCdApplicationStatus> = {}): ArgoCdApplicationStatus => ({
  syncStatus: 'Synced',
  syncRevision: COMMIT,
  health: 'Healthy',
  healthMessage: undefined,
  operationState: { phase: 'Succeeded', message: 'successfully synced', revision: COMMIT, startedAt: '2026-12-05T15:00:01Z', finishedAt: '2026-12-05T15:00:02Z', initiatedBy: 'promoter', automated: false },
  operationPending: false,
  reconciledAt: undefined,
  ...over,
});
const op = (over: Partial<NonNullable<ArgoCdApplicationStatus['operationState']>>) => ({ ...status().operationState!, ...over });

describe('judgeApplication', () => {
  it('is done when the commit is synced by a succeeded operation and the Application is Healthy', () => {
    expect(judgeApplication('argocd/web', status(), REACHED, COMMIT, ASKED)).toEqual({ kind: 'done', why: `Argo CD synced argocd/web to ${COMMIT.slice(0, 12)} and reports it Healthy` });
  });

  it('waits while Argo CD has not seen the commit, has the operation pending or running, or is Progressing', () => {
    expect(judgeApplication('w', status({ syncStatus: 'OutOfSync', syncRevision: OLDER, operationState: undefined }), NOT_YET, COMMIT, ASKED)).toMatchObject({ kind: 'wait', why: expect.stringContaining('not yet at aaaaaaaaaaaa') });
    expect(judgeApplication('w', status({ operationPending: true }), REACHED, COMMIT, ASKED).kind).toBe('wait');
    expect(judgeApplication('w', status({ operationState: op({ phase: 'Running' }) }), REACHED, COMMIT, ASKED).kind).toBe('wait');
    expect(judgeApplication('w', status({ health: 'Progressing', healthMessage: 'Waiting for rollout to finish' }), REACHED, COMMIT, ASKED)).toEqual({ kind: 'wait', why: 'Argo CD reports w Progressing: Waiting for rollout to finish' });
  });

  it('fails on a failed or errored operation about the commit, or started since the service asked, with the message', () => {
    const failed = status({ syncStatus: 'OutOfSync', syncRevision: OLDER, operationState: op({ phase: 'Failed', message: 'one or more objects failed to apply, reason: quota' }) });
    expect(judgeApplication('w', failed, { syncReached: false, operationReached: true }, COMMIT, ASKED)).toEqual({ kind: 'failed', reason: 'Argo CD could not sync w (operation Failed): one or more objects failed to apply, reason: quota' });
    const errored = status({ syncStatus: 'Unknown', syncRevision: OLDER, operationState: op({ phase: 'Error', message: 'rpc error', revision: undefined, startedAt: '2026-12-05T15:00:00Z' }) });
    // Started in the second the service asked (Argo CD's timestamps have second precision): ours.
    expect(judgeApplication('w', errored, NOT_YET, COMMIT, ASKED).kind).toBe('failed');
  });

  it('ignores an older failed operation about an older revision', () => {
    const stale = status({ syncStatus: 'OutOfSync', syncRevision: OLDER, operationState: op({ phase: 'Failed', revision: OLDER, startedAt: '2026-12-05T14:00:00Z' }) });
    expect(judgeApplication('w', stale, NOT_YET, COMMIT, ASKED).kind).toBe('wait');
  });

  it('fails on Degraded only once the commit is synced', () => {
    expect(judgeApplication('w', status({ health: 'Degraded', healthMessage: 'Back-off' }), REACHED, COMMIT, ASKED)).toEqual({ kind: 'failed', reason: 'Argo CD reports w Degraded: Back-off' });
    expect(judgeApplication('w', status({ health: 'Degraded', syncStatus: 'OutOfSync', syncRevision: OLDER, operationState: undefined }), NOT_YET, COMMIT, ASKED).kind).toBe('wait');
  });

  it('accepts a later revision that contains the commit, synced without an operation of its own', () => {
    expect(judgeApplication('w', status({ syncRevision: 'c'.repeat(40), operationState: undefined }), { syncReached: true, operationReached: false }, COMMIT, ASKED).kind).toBe('done');
  });
});

describe('readStatus', () => {
  it('keeps Argo CD text to one bounded line and only commit ids as revisions', () => {
    const read = readStatus({
      status: {
        sync: { status: 'Weird', revision: 'main; rm -rf /' },
        health: { status: 'Degraded', message: `line one\nline two\u0000${'x'.repeat(2_000)}` },
        operationState: { phase: 'Bogus', message: 42, syncResult: { revision: COMMIT }, operation: { initiatedBy: { username: 'promoter' } } },
      },
    });
    expect(read.syncStatus).toBe('Unknown');
    expect(read.syncRevision).toBeUndefined();
    expect(read.healthMessage?.length).toBe(MAX_TEXT);
    expect(read.healthMessage).toMatch(/^line one line two x+…$/);
    expect(read.operationState).toMatchObject({ phase: 'Unknown', message: undefined, revision: COMMIT, initiatedBy: 'promoter' });
    expect(readStatus('not an object')).toMatchObject({ syncStatus: 'Unknown', health: 'Unknown', operationState: undefined, operationPending: false });
    expect(boundedText('  \n ')).toBeUndefined();
  });
});

describe('ArgoCdFollower', () => {
  const fake = (current: Partial<ArgoCdApplicationStatus>) => {
    const calls: string[] = [];
    const applications: ArgoCdApplications = {
      status: async () => status(current),
      refresh: async (ref) => void calls.push(`refresh ${ref.namespace}/${ref.application}`),
      sync: async (_ref, revision) => void calls.push(`sync ${revision}`),
    };
    return { calls, applications };
  };
  const ref = { application: 'web', namespace: 'argocd' };

  it('refreshes, and syncs only when allowed and no operation is under way', async () => {
    const allowed = fake({ operationState: undefined });
    await new ArgoCdFollower({ applications: allowed.applications, git: { isAncestor: async () => false }, sync: true }).ask(ref, COMMIT, ASKED);
    expect(allowed.calls).toEqual(['refresh argocd/web', `sync ${COMMIT}`]);
    const refused = fake({});
    const asked = await new ArgoCdFollower({ applications: refused.applications, git: { isAncestor: async () => false }, sync: false }).ask(ref, COMMIT, ASKED);
    expect(refused.calls).toEqual(['refresh argocd/web']);
    expect(asked.progress).toEqual({ askedAt: ASKED, commit: COMMIT, synced: false });
    const busy = fake({ operationPending: true });
    await new ArgoCdFollower({ applications: busy.applications, git: { isAncestor: async () => false }, sync: true }).ask(ref, COMMIT, ASKED);
    expect(busy.calls).toEqual(['refresh argocd/web']);
  });

  it('asks for a sync it deferred (another operation was running) once that operation has ended', async () => {
    const { calls, applications } = fake({ syncStatus: 'OutOfSync', syncRevision: OLDER, operationState: op({ phase: 'Succeeded', revision: OLDER, startedAt: '2026-12-05T14:00:00Z' }) });
    const follower = new ArgoCdFollower({ applications, git: { isAncestor: async () => false }, sync: true });
    const looked = await follower.look(ref, 'deploy', { askedAt: ASKED, commit: COMMIT, synced: false });
    expect(calls).toEqual([`sync ${COMMIT}`]);
    expect(looked.progress.synced).toBe(true);
    expect(looked.events[0]?.reason).toBe(`asked Argo CD application argocd/web to sync ${COMMIT.slice(0, 12)}`);
    await follower.look(ref, 'deploy', { ...looked.progress, askedAt: ASKED, commit: COMMIT });
    expect(calls).toHaveLength(1);
  });

  it('asks Git once whether a revision contains the commit, and writes an event only when the answer changes', async () => {
    const later = 'c'.repeat(40);
    let asked = 0;
    const { applications } = fake({ syncRevision: later, operationState: undefined });
    const follower = new ArgoCdFollower({ applications, git: { isAncestor: async (_r, a, d) => (asked++, a === COMMIT && d === later) }, sync: false });
    const first = await follower.look(ref, 'deploy', { askedAt: ASKED, commit: COMMIT });
    expect(first.judgement.kind).toBe('done');
    expect(first.events).toHaveLength(1);
    const second = await follower.look(ref, 'deploy', { ...first.progress, askedAt: ASKED, commit: COMMIT });
    expect(second.events).toEqual([]);
    expect(asked).toBe(1);
  });
});
