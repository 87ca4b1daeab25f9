import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { resolveTargetCluster } from './target-cluster.js';

const ONE = { names: ['default'], defaultCluster: 'default' };
const TWO_WITH_DEFAULT = { names: ['staging', 'apexalgo-iad'], defaultCluster: 'staging' };
const TWO_WITHOUT_DEFAULT = { names: ['staging', 'apexalgo-iad'], defaultCluster: undefined };
const all = () => true;

describe('resolveTargetCluster', () => {
  it.each([
    ['no name, one cluster: that one (as before clusters)', { named: undefined, clusters: ONE, want: 'default' }],
    ['no name, a default', { named: undefined, clusters: TWO_WITH_DEFAULT, want: 'staging' }],
    ['a configured name', { named: 'apexalgo-iad', clusters: TWO_WITH_DEFAULT, want: 'apexalgo-iad' }],
    ['a configured name without a default', { named: 'staging', clusters: TWO_WITHOUT_DEFAULT, want: 'staging' }],
  ])('%s', (_name, { named, clusters, want }) => {
    expect(resolveTargetCluster(named, clusters, all)).toBe(want);
  });

  const problem = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      if (error instanceof AppError) return { status: error.status, errors: error.errors };
      throw error;
    }
    throw new Error('no error');
  };

  it('answers 422 at target.cluster for an unknown name, listing the configured ones', () => {
    expect(problem(() => resolveTargetCluster('nowhere', TWO_WITH_DEFAULT, all))).toEqual({
      status: 422,
      errors: [{ pointer: '/body/target/cluster', detail: "no cluster is named 'nowhere'; configured: 'staging', 'apexalgo-iad'" }],
    });
  });

  it('asks for a name when several clusters have no default', () => {
    expect(problem(() => resolveTargetCluster(undefined, TWO_WITHOUT_DEFAULT, all))).toEqual({
      status: 422,
      errors: [{ pointer: '/body/target/cluster', detail: "this service has several clusters and no default: name one ('staging', 'apexalgo-iad')" }],
    });
  });

  it('lists only the clusters the caller may see', () => {
    const detail = problem(() => resolveTargetCluster(undefined, TWO_WITHOUT_DEFAULT, (name) => name === 'staging')).errors?.[0]?.detail;
    expect(detail).toContain("('staging')");
    expect(detail).not.toContain('apexalgo-iad');
    expect(problem(() => resolveTargetCluster(undefined, TWO_WITHOUT_DEFAULT, () => false)).errors?.[0]?.detail).toContain('none this token may use');
  });
});
