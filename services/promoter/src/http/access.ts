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
 * there) is a 403: the caller already knows the name, nothing leaks.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Role } from '../config.js';
import { AppError, errors } from '../errors.js';

export type Access = 'public' | { readonly role: Role; readonly namespaces: 'none' | 'checked' };

export interface Principal {
  readonly name: string;
  readonly role: Role;
  /** Namespaces the token may act in; undefined means all. */
  readonly namespaces: readonly string[] | undefined;
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

  get unscoped(): boolean {
    this.#consulted = true;
    return this.principal.namespaces === undefined;
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
  }

  /** Whether everything `namespaces` covers (undefined: all) lies within the token's namespaces. */
  covers(namespaces: readonly string[] | null | undefined): boolean {
    this.#consulted = true;
    const allowed = this.principal.namespaces;
    if (allowed === undefined) return true;
    return namespaces !== null && namespaces !== undefined && namespaces.every((ns) => allowed.includes(ns));
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
