/**
 * The authorization model, in one place. Every operation declares its access in one line:
 *
 *   access: 'public'                                   no token (health, metrics, the contract)
 *   access: { role: 'viewer', namespaces: 'none' }      touches no namespaced data (e.g. "who am I")
 *   access: { role: 'operator', namespaces: 'checked' } acts on namespaced data: the handler must ask
 *                                                       `request.scope` (see, act, manage, filter) before
 *                                                       it answers, or the answer is refused (500)
 *
 * A token's namespaces bound everything it can see and do. A record in a namespace the token cannot see
 * is answered exactly as a record that does not exist (404), and lists are filtered, so a scoped token
 * learns nothing about other namespaces. Naming another namespace in a request (creating a promotion
 * there) is a 403: the caller already knows the name, nothing leaks. A token's clusters bound it the same
 * way: a promotion in another cluster is not found, lists leave it out, and creating one there is a 403.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Role } from '../config.js';
import { AppError, errors } from '../errors.js';

export type Access = 'public' | { readonly role: Role; readonly namespaces: 'none' | 'checked' };

/**
 * Who is behind a request, for the audit trail and for approvals: a static or stored token, a person signed
 * in through the OIDC provider, or a workload presenting its own signed JWT (CI, a service account).
 * `key` is stable and unique per identity (`token:<name>`, `<issuer>#<subject>`): two requests by the same
 * identity have the same key, whatever its display name.
 */
export interface Identity {
  readonly kind: 'token' | 'person' | 'workload';
  readonly key: string;
  /** The token's name, or the JWT's `sub`. */
  readonly subject: string;
  /** The JWT's `iss`; absent for tokens. */
  readonly issuer?: string;
  /** What people read: the token's name, a person's name or email, a workload's repository. */
  readonly displayName: string;
  /** The groups the identity provider says a person belongs to (the `groups` claim); empty for tokens. */
  readonly groups: readonly string[];
}

export interface Principal {
  /** What the audit trail and messages call the caller (the identity's display name). */
  readonly name: string;
  readonly role: Role;
  /** Namespaces the token may act in; undefined means all. */
  readonly namespaces: readonly string[] | undefined;
  /** Clusters the token may act in; undefined (or absent) means all. */
  readonly clusters?: readonly string[] | undefined;
  /** Absent only for the anonymous caller of an open API and for principals built before identities existed. */
  readonly identity?: Identity;
}

/** The identity of a static or stored API token. */
export function tokenIdentity(name: string): Identity {
  return { kind: 'token', key: `token:${name}`, subject: name, displayName: name, groups: [] };
}

/** The identity key of a principal: its identity's, or the token name's for principals without one. */
export function identityKey(principal: Principal): string {
  return principal.identity?.key ?? `token:${principal.name}`;
}

/** Where a promotion is: the cluster and the namespace a scope is checked against. */
export interface ScopedTarget {
  readonly cluster: string;
  readonly namespace: string;
}

export const ROLE_RANK: Readonly<Record<Role, number>> = { viewer: 1, operator: 2, admin: 3 };

export function atLeast(role: Role, needed: Role): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[needed];
}

/** What the request's token may see and change, and whether the handler asked. */
export class NamespaceScope {
  #consulted = false;

  constructor(readonly principal: Principal) {}

  /** Whether the handler consulted the scope (read by the enforcement hook). */
  get consulted(): boolean {
    return this.#consulted;
  }

  /** The token's namespaces for filtering a list; undefined means all. */
  get namespaces(): readonly string[] | undefined {
    this.#consulted = true;
    return this.principal.namespaces;
  }

  /** The token's clusters for filtering a list; undefined means all. */
  get clusters(): readonly string[] | undefined {
    this.#consulted = true;
    return this.principal.clusters;
  }

  get unscoped(): boolean {
    this.#consulted = true;
    return this.principal.namespaces === undefined;
  }

  canSeeCluster(cluster: string): boolean {
    this.#consulted = true;
    const allowed = this.principal.clusters;
    return allowed === undefined || allowed.includes(cluster);
  }

  /** Whether a promotion in that cluster and namespace is within the token's scope. */
  canSeeTarget(target: ScopedTarget): boolean {
    return this.canSee(target.namespace) && this.canSeeCluster(target.cluster);
  }

  /** A promotion the caller asked for by id: outside the token's clusters or namespaces it does not exist. */
  seeTarget(target: ScopedTarget, notFound: () => AppError): void {
    if (!this.canSeeTarget(target)) throw notFound();
  }

  /** A cluster and namespace the caller named in its request (the target of a new promotion). */
  actOnTarget(target: ScopedTarget): void {
    this.act(target.namespace);
    if (!this.canSeeCluster(target.cluster)) {
      throw errors.forbidden(`Token '${this.principal.name}' may act only in clusters ${(this.principal.clusters ?? []).join(', ')}, not '${target.cluster}'.`);
    }
  }

  /** `null` is the global scope (a global policy), which every token may read. */
  canSee(namespace: string | null): boolean {
    this.#consulted = true;
    const allowed = this.principal.namespaces;
    return allowed === undefined || namespace === null || allowed.includes(namespace);
  }

  /** A record the caller asked for by id: outside the token's namespaces it does not exist. */
  see(namespace: string | null, notFound: () => AppError): void {
    if (!this.canSee(namespace)) throw notFound();
  }

  /** A namespace the caller named in its request (e.g. the target of a new promotion). */
  act(namespace: string): void {
    if (!this.canSee(namespace)) {
      throw errors.forbidden(`Token '${this.principal.name}' may act only in namespaces ${(this.principal.namespaces ?? []).join(', ')}, not '${namespace}'.`);
    }
  }

  /**
   * Changing something owned by a namespace, or by nobody (`null`, global): global things only by unscoped
   * tokens, namespaced ones by tokens of that namespace. Invisible things are not found; visible global
   * ones are forbidden.
   */
  manage(owner: string | null, notFound: () => AppError): void {
    this.see(owner, notFound);
    if (owner === null && this.principal.namespaces !== undefined) {
      throw errors.forbidden(`Token '${this.principal.name}' is scoped to namespaces ${this.principal.namespaces.join(', ')}; only an unscoped token may change global resources.`);
    }
    // A global policy guards promotions in every cluster: a cluster-scoped token may not change it either.
    if (owner === null && this.principal.clusters !== undefined) {
      throw errors.forbidden(`Token '${this.principal.name}' is scoped to clusters ${this.principal.clusters.join(', ')}; only an unscoped token may change global resources.`);
    }
  }

  /** Whether everything `namespaces` covers (undefined: all) lies within the token's namespaces. */
  covers(namespaces: readonly string[] | null | undefined): boolean {
    this.#consulted = true;
    const allowed = this.principal.namespaces;
    if (allowed === undefined) return true;
    return namespaces !== null && namespaces !== undefined && namespaces.every((ns) => allowed.includes(ns));
  }

  /** Whether every cluster `clusters` covers (undefined or null: all) lies within the token's clusters. */
  coversClusters(clusters: readonly string[] | null | undefined): boolean {
    this.#consulted = true;
    const allowed = this.principal.clusters;
    if (allowed === undefined) return true;
    return clusters !== null && clusters !== undefined && clusters.every((cluster) => allowed.includes(cluster));
  }

  /** Marks the scope as consulted where the handler decided by other means (documented at the call). */
  consult(): void {
    this.#consulted = true;
  }
}

/**
 * Fails closed: a 2xx answer of a 'checked' operation whose handler never consulted the scope is refused,
 * so an operation that forgets the check is caught by the first test that calls it.
 */
export function enforceScopeConsulted(operationId: string) {
  return (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: Error | null, payload?: unknown) => void) => {
    if (reply.statusCode < 400 && !request.scope.consulted) {
      done(errors.internal(new Error(`operation ${operationId} answered without consulting the token's namespace scope`)));
      return;
    }
    done(null, payload);
  };
}
