import type { FastifyReply, FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { Role } from '../config.js';
import { AppError, errors } from '../errors.js';
import { atLeast, enforceScopeConsulted, NamespaceScope, ROLE_RANK, type Principal } from './access.js';

const unscoped: Principal = { name: 'ops', role: 'admin', namespaces: undefined };
const shopOnly: Principal = { name: 'shop-ci', role: 'operator', namespaces: ['shop', 'shop-staging'] };
const nowhere: Principal = { name: 'none', role: 'viewer', namespaces: [] };
const notFound = () => errors.forbidden('stands for a not-found error');

function thrown(run: () => void): AppError | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
}

describe('atLeast', () => {
  const roles: readonly Role[] = ['viewer', 'operator', 'admin'];
  it('orders viewer < operator < admin', () => {
    expect(ROLE_RANK).toEqual({ viewer: 1, operator: 2, admin: 3 });
    for (const role of roles) {
      for (const needed of roles) expect(atLeast(role, needed), `${role} for ${needed}`).toBe(roles.indexOf(role) >= roles.indexOf(needed));
    }
  });
});

describe('NamespaceScope', () => {
  const visibility: ReadonlyArray<[string, { principal: Principal; namespace: string | null; want: boolean }]> = [
    ['an unscoped token sees every namespace', { principal: unscoped, namespace: 'anything', want: true }],
    ['a scoped token sees its own namespaces', { principal: shopOnly, namespace: 'shop-staging', want: true }],
    ['a scoped token does not see another namespace', { principal: shopOnly, namespace: 'billing', want: false }],
    ['a scoped token sees global things', { principal: shopOnly, namespace: null, want: true }],
    ['a token of no namespaces sees only global things', { principal: nowhere, namespace: 'shop', want: false }],
    ['a token of no namespaces sees global things', { principal: nowhere, namespace: null, want: true }],
  ];
  it.each(visibility)('%s', (_name, { principal, namespace, want }) => {
    const scope = new NamespaceScope(principal);
    expect(scope.consulted).toBe(false);
    expect(scope.canSee(namespace)).toBe(want);
    expect(scope.consulted).toBe(true);
    expect(thrown(() => scope.see(namespace, notFound)) === undefined).toBe(want);
  });

  it('see throws the caller\'s not-found error for what the token cannot see', () => {
    const missing = new AppError({ code: 'promotion-not-found', status: 404, title: 'Not found', detail: 'no such promotion' });
    expect(thrown(() => new NamespaceScope(shopOnly).see('billing', () => missing))).toBe(missing);
  });

  it('act forbids another namespace, naming the token and what it may act in', () => {
    const scope = new NamespaceScope(shopOnly);
    expect(thrown(() => scope.act('shop'))).toBeUndefined();
    expect(thrown(() => scope.act('billing'))).toMatchObject({
      status: 403,
      code: 'forbidden',
      detail: "Token 'shop-ci' may act only in namespaces shop, shop-staging, not 'billing'.",
    });
    expect(thrown(() => new NamespaceScope(unscoped).act('billing'))).toBeUndefined();
    expect(thrown(() => new NamespaceScope(nowhere).act('shop'))?.detail).toBe("Token 'none' may act only in namespaces , not 'shop'.");
  });

  const management: ReadonlyArray<[string, { principal: Principal; owner: string | null; want: 'allowed' | 'not-found' | 'forbidden' }]> = [
    ['an unscoped token manages global things', { principal: unscoped, owner: null, want: 'allowed' }],
    ['an unscoped token manages any namespace', { principal: unscoped, owner: 'billing', want: 'allowed' }],
    ['a scoped token manages its namespace', { principal: shopOnly, owner: 'shop', want: 'allowed' }],
    ['a scoped token does not find another namespace', { principal: shopOnly, owner: 'billing', want: 'not-found' }],
    ['a scoped token may not change global things', { principal: shopOnly, owner: null, want: 'forbidden' }],
    ['a token of no namespaces may not change global things either', { principal: nowhere, owner: null, want: 'forbidden' }],
  ];
  it.each(management)('manage: %s', (_name, { principal, owner, want }) => {
    const missing = new AppError({ code: 'policy-not-found', status: 404, title: 'Not found', detail: 'no such policy' });
    const error = thrown(() => new NamespaceScope(principal).manage(owner, () => missing));
    if (want === 'allowed') expect(error).toBeUndefined();
    else if (want === 'not-found') expect(error).toBe(missing);
    else expect(error).toMatchObject({ status: 403, detail: expect.stringMatching(new RegExp(`^Token '${principal.name}' is scoped to namespaces ${principal.namespaces?.join(', ')}; only an unscoped token may change global resources\\.$`)) });
  });

  const coverage: ReadonlyArray<[string, { principal: Principal; namespaces: readonly string[] | null | undefined; want: boolean }]> = [
    ['an unscoped token covers everything', { principal: unscoped, namespaces: undefined, want: true }],
    ['an unscoped token covers a list', { principal: unscoped, namespaces: ['a'], want: true }],
    ['a scoped token covers a subset of its namespaces', { principal: shopOnly, namespaces: ['shop'], want: true }],
    ['a scoped token covers all of its namespaces', { principal: shopOnly, namespaces: ['shop-staging', 'shop'], want: true }],
    ['a scoped token does not cover a list with one other namespace', { principal: shopOnly, namespaces: ['shop', 'billing'], want: false }],
    ['a scoped token does not cover all namespaces (undefined)', { principal: shopOnly, namespaces: undefined, want: false }],
    ['a scoped token does not cover all namespaces (null)', { principal: shopOnly, namespaces: null, want: false }],
    ['a scoped token covers an empty list', { principal: shopOnly, namespaces: [], want: true }],
  ];
  it.each(coverage)('covers: %s', (_name, { principal, namespaces, want }) => {
    const scope = new NamespaceScope(principal);
    expect(scope.covers(namespaces)).toBe(want);
    expect(scope.consulted).toBe(true);
  });

  it('reading the namespaces or whether the token is unscoped, or consult(), marks the scope consulted', () => {
    const reads: ReadonlyArray<[(scope: NamespaceScope) => unknown, unknown]> = [
      [(scope) => scope.namespaces, ['shop', 'shop-staging']],
      [(scope) => scope.unscoped, false],
      [(scope) => scope.consult(), undefined],
    ];
    for (const [read, want] of reads) {
      const scope = new NamespaceScope(shopOnly);
      expect(read(scope)).toEqual(want);
      expect(scope.consulted).toBe(true);
    }
    expect(new NamespaceScope(unscoped).unscoped).toBe(true);
    expect(new NamespaceScope(unscoped).namespaces).toBeUndefined();
  });

  it('act and manage consult the scope; a failed act does too', () => {
    const acting = new NamespaceScope(shopOnly);
    thrown(() => acting.act('billing'));
    expect(acting.consulted).toBe(true);
    const managing = new NamespaceScope(unscoped);
    managing.manage(null, notFound);
    expect(managing.consulted).toBe(true);
  });
});

describe('enforceScopeConsulted', () => {
  function answer(statusCode: number, consulted: boolean): { error: Error | null; payload: unknown } {
    const scope = new NamespaceScope(unscoped);
    if (consulted) scope.consult();
    let result: { error: Error | null; payload: unknown } | undefined;
    enforceScopeConsulted('listThings')({ scope } as FastifyRequest, { statusCode } as FastifyReply, 'body', (error, payload) => {
      result = { error, payload };
    });
    if (!result) throw new Error('done was not called');
    return result;
  }

  const cases: ReadonlyArray<[string, { statusCode: number; consulted: boolean; refused: boolean }]> = [
    ['a 200 that consulted the scope goes out', { statusCode: 200, consulted: true, refused: false }],
    ['a 200 that did not is refused', { statusCode: 200, consulted: false, refused: true }],
    ['a 399 that did not is refused', { statusCode: 399, consulted: false, refused: true }],
    ['a 400 that did not goes out (an error says nothing of other namespaces)', { statusCode: 400, consulted: false, refused: false }],
    ['a 404 that did not goes out', { statusCode: 404, consulted: false, refused: false }],
  ];
  it.each(cases)('%s', (_name, { statusCode, consulted, refused }) => {
    const { error, payload } = answer(statusCode, consulted);
    if (refused) {
      expect(error).toMatchObject({ status: 500, code: 'internal-error' });
      expect((error?.cause as Error).message).toBe("operation listThings answered without consulting the token's namespace scope");
      expect(payload).toBeUndefined();
    } else {
      expect(error).toBeNull();
      expect(payload).toBe('body');
    }
  });
});

describe('NamespaceScope with clusters', () => {
  const stagingOnly: Principal = { name: 'staging-ci', role: 'operator', namespaces: undefined, clusters: ['staging'] };
  const stagingShop: Principal = { name: 'staging-shop', role: 'operator', namespaces: ['shop'], clusters: ['staging'] };

  it.each([
    ['an unscoped token sees every cluster', { principal: unscoped, target: { cluster: 'iad', namespace: 'shop' }, want: true }],
    ['a namespace-scoped token sees its namespace in every cluster', { principal: shopOnly, target: { cluster: 'iad', namespace: 'shop' }, want: true }],
    ['a cluster-scoped token sees its cluster', { principal: stagingOnly, target: { cluster: 'staging', namespace: 'anything' }, want: true }],
    ['a cluster-scoped token does not see another cluster', { principal: stagingOnly, target: { cluster: 'iad', namespace: 'anything' }, want: false }],
    ['both scopes: its namespace in its cluster', { principal: stagingShop, target: { cluster: 'staging', namespace: 'shop' }, want: true }],
    ['both scopes: another namespace in its cluster', { principal: stagingShop, target: { cluster: 'staging', namespace: 'billing' }, want: false }],
    ['both scopes: its namespace in another cluster', { principal: stagingShop, target: { cluster: 'iad', namespace: 'shop' }, want: false }],
  ])('%s', (_name, { principal, target, want }) => {
    const scope = new NamespaceScope(principal);
    expect(scope.canSeeTarget(target)).toBe(want);
    expect(scope.consulted).toBe(true);
    expect(thrown(() => scope.seeTarget(target, notFound))?.code).toBe(want ? undefined : 'forbidden');
    const acted = thrown(() => new NamespaceScope(principal).actOnTarget(target));
    expect(acted?.status).toBe(want ? undefined : 403);
  });

  it('names the token\'s clusters when it may not act in another', () => {
    expect(thrown(() => new NamespaceScope(stagingOnly).actOnTarget({ cluster: 'iad', namespace: 'shop' }))?.detail).toBe("Token 'staging-ci' may act only in clusters staging, not 'iad'.");
  });

  it.each([
    ['an unscoped token covers any clusters', { principal: unscoped, clusters: null, want: true }],
    ['a cluster-scoped token does not cover all clusters', { principal: stagingOnly, clusters: null, want: false }],
    ['a cluster-scoped token does not cover an unscoped list', { principal: stagingOnly, clusters: undefined, want: false }],
    ['a cluster-scoped token covers its own', { principal: stagingOnly, clusters: ['staging'], want: true }],
    ['a cluster-scoped token does not cover another', { principal: stagingOnly, clusters: ['staging', 'iad'], want: false }],
  ])('coversClusters: %s', (_name, { principal, clusters, want }) => {
    expect(new NamespaceScope(principal).coversClusters(clusters)).toBe(want);
  });

  it('gives the token\'s clusters for filtering, and marks the scope consulted', () => {
    const scope = new NamespaceScope(stagingOnly);
    expect(scope.consulted).toBe(false);
    expect(scope.clusters).toEqual(['staging']);
    expect(scope.consulted).toBe(true);
    expect(new NamespaceScope(unscoped).clusters).toBeUndefined();
  });
});

describe('NamespaceScope.manage with clusters', () => {
  it('lets only a token scoped to no cluster change global things; namespaced ones follow the namespace', () => {
    const stagingAdmin = new NamespaceScope({ name: 'staging-admin', role: 'admin', namespaces: undefined, clusters: ['staging'] });
    expect(thrown(() => stagingAdmin.manage(null, notFound))?.detail).toBe("Token 'staging-admin' is scoped to clusters staging; only an unscoped token may change global resources.");
    expect(thrown(() => stagingAdmin.manage('shop', notFound))).toBeUndefined();
    expect(thrown(() => new NamespaceScope(unscoped).manage(null, notFound))).toBeUndefined();
  });
});
