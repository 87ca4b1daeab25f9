import { describe, expect, it } from 'vitest';
import { assessRollout, type RolloutState } from './assess-rollout.js';
import type { DeploymentCondition, DeploymentSnapshot, RolloutStatus } from './types.js';

function snapshot(overrides: { generation?: number; replicas?: number; paused?: boolean; status?: Partial<RolloutStatus> }): DeploymentSnapshot {
  return {
    namespace: 'prod',
    name: 'web',
    uid: 'u',
    resourceVersion: '1',
    generation: overrides.generation ?? 2,
    containers: [{ name: 'app', image: 'web:2' }],
    annotations: {},
    replicas: overrides.replicas ?? 3,
    paused: overrides.paused ?? false,
    selector: { app: 'web' },
    templateLabels: { app: 'web' },
    status: {
      observedGeneration: 2,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      conditions: [],
      ...overrides.status,
    },
  };
}

const deadline: DeploymentCondition = {
  type: 'Progressing',
  status: 'False',
  reason: 'ProgressDeadlineExceeded',
  message: 'ReplicaSet "web-abc" has timed out progressing.',
};

describe('assessRollout', () => {
  const cases: Array<[string, { given: DeploymentSnapshot; want: RolloutState; reason: RegExp }]> = [
    ['complete when everything is updated and available', { given: snapshot({}), want: 'complete', reason: /successfully rolled out/ }],
    [
      'progressing until the new generation is observed',
      { given: snapshot({ generation: 3 }), want: 'progressing', reason: /observe generation 3 \(observed 2\)/ },
    ],
    [
      'a stale ProgressDeadlineExceeded does not count before the new generation is observed',
      { given: snapshot({ generation: 3, status: { conditions: [deadline] } }), want: 'progressing', reason: /observe generation/ },
    ],
    ['failed on ProgressDeadlineExceeded', { given: snapshot({ status: { updatedReplicas: 1, conditions: [deadline] } }), want: 'failed', reason: /timed out progressing/ }],
    ['waiting for updated replicas', { given: snapshot({ status: { updatedReplicas: 1 } }), want: 'progressing', reason: /^1 of 3 new replicas have been updated$/ }],
    [
      'waiting for old replicas to go',
      { given: snapshot({ status: { replicas: 4, updatedReplicas: 3 } }), want: 'progressing', reason: /^1 old replicas are pending termination$/ },
    ],
    [
      'waiting for updated replicas to become available',
      { given: snapshot({ status: { availableReplicas: 2 } }), want: 'progressing', reason: /^2 of 3 updated replicas are available$/ },
    ],
    ['progressing while paused', { given: snapshot({ paused: true, status: { updatedReplicas: 0 } }), want: 'progressing', reason: /paused/ }],
    [
      'complete at zero replicas (counts omitted by the API read as 0)',
      { given: snapshot({ replicas: 0, status: { replicas: 0, updatedReplicas: 0, readyReplicas: 0, availableReplicas: 0 } }), want: 'complete', reason: /rolled out/ },
    ],
  ];
  it.each(cases)('%s', (_name, { given, want, reason }) => {
    const progress = assessRollout(given);
    expect(progress.state).toBe(want);
    expect(progress.reason).toMatch(reason);
  });
});
