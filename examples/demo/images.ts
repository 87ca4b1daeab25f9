/**
 * The demo's builds of zai-proxy and how each behaves. Every canary looks healthy on the canary's light
 * traffic (variant `test`): that is why the gate passes. Two builds break only under production's load,
 * as a real regression that a canary cannot show often does: 1.3.0 at once (the rollout's checks catch it),
 * 1.4.0 only after serving production for a while (the bake catches it).
 */
import type { ImageHealth } from '@promoter/local-stack';

export const REPOSITORY = 'ronaldraygun/zai-proxy';
export const image = (tag: string): string => `${REPOSITORY}:${tag}`;
export const canary = (version: string): string => image(`${version}-canary`);

/** What production runs when the demo starts, and the canary waiting to be promoted. */
export const START_PRODUCTION = image('1.2.0');
export const START_CANARY = canary('1.2.1');

const HEALTHY: ImageHealth = { errorRatio: 0.004, medianSeconds: 0.08 };

interface Build {
  readonly test: ImageHealth;
  readonly production: ImageHealth;
  /** Production is healthy this long after the build first served it, then as `production` says. */
  readonly degradesAfterSeconds?: number;
}

/** Per version: its health under the canary's traffic and under production's. */
const BUILDS: Readonly<Record<string, Build>> = {
  '1.2.0': { test: HEALTHY, production: HEALTHY },
  '1.2.1': { test: { errorRatio: 0.003, medianSeconds: 0.075 }, production: { errorRatio: 0.003, medianSeconds: 0.075 } },
  // A connection pool sized for the canary: fine at 10 requests a second, exhausted at 40.
  '1.3.0': { test: HEALTHY, production: { errorRatio: 0.28, medianSeconds: 0.35 } },
  '1.3.1': { test: HEALTHY, production: HEALTHY },
  // A cache that never evicts: fine until production's key space fills it.
  '1.4.0': { test: HEALTHY, production: { errorRatio: 0.2, medianSeconds: 0.3 }, degradesAfterSeconds: 8 },
};

/**
 * How each image serves the pods labelled `variant`; an unknown build is healthy. Remembers when a build
 * first served production, for the builds that degrade with time.
 */
export function healthModel(now: () => number = Date.now): (imageName: string, variant: string) => ImageHealth {
  const firstServed = new Map<string, number>();
  return (imageName, variant) => {
    const version = (imageName.split(':')[1] ?? '').replace(/-canary$/, '');
    const build = BUILDS[version];
    if (build === undefined) return HEALTHY;
    if (variant !== 'production') return build.test;
    if (build.degradesAfterSeconds === undefined) return build.production;
    const since = firstServed.get(version) ?? now();
    firstServed.set(version, since);
    return now() - since >= build.degradesAfterSeconds * 1_000 ? build.production : HEALTHY;
  };
}
