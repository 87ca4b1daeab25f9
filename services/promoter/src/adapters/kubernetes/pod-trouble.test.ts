import { describe, expect, it } from 'vitest';
import { describePodTrouble } from './pod-trouble.js';
import type { PodContainerStatus, PodSnapshot } from './types.js';

const pod = (name: string, image: string, status: Partial<PodContainerStatus>): PodSnapshot => ({
  name,
  phase: status.ready === false ? 'Pending' : 'Running',
  images: { proxy: image },
  containers: [{ name: 'proxy', image, ready: true, restartCount: 0, ...status }],
});

describe('describePodTrouble', () => {
  it.each([
    [
      'an image that cannot be pulled',
      [pod('web-new-1', 'app:2', { ready: false, waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "app:2": manifest unknown' } })],
      '1 of 1 new pods are not ready: proxy: ImagePullBackOff: Back-off pulling image "app:2": manifest unknown (web-new-1)',
    ],
    [
      'a crash loop with its exit code',
      [
        pod('web-new-1', 'app:2', { ready: false, restartCount: 4, waiting: { reason: 'CrashLoopBackOff', message: 'back-off 1m20s restarting failed container' }, lastTerminated: { exitCode: 1, reason: 'Error' } }),
        pod('web-new-2', 'app:2', { ready: false, restartCount: 4, waiting: { reason: 'CrashLoopBackOff', message: 'back-off 1m20s restarting failed container' }, lastTerminated: { exitCode: 1, reason: 'Error' } }),
      ],
      '2 of 2 new pods are not ready: proxy: CrashLoopBackOff: back-off 1m20s restarting failed container, last exit code 1 (Error), 4 restarts (web-new-1, web-new-2)',
    ],
    [
      'a failing readiness probe',
      [pod('web-new-1', 'app:2', { ready: false }), pod('web-new-2', 'app:2', {})],
      '1 of 2 new pods are not ready: proxy: running but not ready (its readiness probe fails) (web-new-1)',
    ],
  ])('names %s', (_name, pods, sentence) => {
    // Old pods (another image) are never blamed.
    const old = pod('web-old-1', 'app:1', { ready: false, waiting: { reason: 'Terminating' } });
    expect(describePodTrouble([...pods, old], 'proxy', 'app:2')?.sentence).toBe(sentence);
  });

  it('says nothing when every new pod is ready', () => {
    expect(describePodTrouble([pod('web-new-1', 'app:2', {})], 'proxy', 'app:2')).toBeUndefined();
  });
});
