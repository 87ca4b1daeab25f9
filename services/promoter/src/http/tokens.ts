/**
 * /v1/tokens: API tokens (admin only). Environment tokens are listed too, never with secrets. A scoped
 * admin sees and manages only tokens within its namespaces, and mints them only at or below its role.
 */
import type { FastifyInstance } from 'fastify';
import type { ApiToken, Role } from '../config.js';
import { RESERVED_ACTOR_NAMES } from '../config.js';
import type { TokenRepository } from '../adapters/db/token-repository.js';
import type { OpenApiDocument } from '../contract/openapi.js';
import { AppError, errors } from '../errors.js';
import { atLeast } from './access.js';
import { ANONYMOUS, type Authenticator } from './auth.js';
import { registerOperations } from './operations.js';
import { actorOf } from '../domain/actor.js';

const tokenNotFound = (name: string) => new AppError({ code: 'token-not-found', status: 404, title: 'Token not found', detail: `No active token is named '${name}'.` });

export async function tokenRoutes(
  app: FastifyInstance,
  deps: { document: OpenApiDocument; tokens: TokenRepository; environmentTokens: readonly ApiToken[]; auth: Authenticator },
): Promise<void> {
  const environmentNames = new Set(deps.environmentTokens.map((t) => t.name));
  registerOperations(app, deps.document, {
    listTokens: {
      access: { role: 'admin', namespaces: 'checked' },
      handler: async (request) => {
        const { scope } = request;
        scope.consult(); // consulted even when there is nothing to filter
        const environment = deps.environmentTokens.map((t) => ({
          name: t.name,
          role: t.role,
          namespaces: t.namespaces ?? null,
          clusters: t.clusters ?? null,
          createdBy: 'PROMOTER_API_TOKENS',
          createdByIdentity: null,
          createdAt: null,
          source: 'environment',
        }));
        const api = (await deps.tokens.list()).map((t) => ({ ...t, source: 'api' }));
        return { items: [...environment, ...api].filter((t) => scope.covers(t.namespaces) && scope.coversClusters(t.clusters)) };
      },
    },
    createToken: {
      access: { role: 'admin', namespaces: 'checked' },
      handler: async (request, reply) => {
        const body = request.body as { name: string; role: Role; namespaces?: string[]; clusters?: string[] };
        const { principal, scope } = request;
        if (RESERVED_ACTOR_NAMES.includes(body.name)) {
          throw errors.validation([{ pointer: '/body/name', detail: `'${body.name}' is reserved for the service's own actions (${RESERVED_ACTOR_NAMES.join(', ')})` }]);
        }
        if (!atLeast(principal.role, body.role)) {
          throw errors.forbidden(`Token '${principal.name}' has role ${principal.role}; it cannot create a token with role ${body.role}.`);
        }
        if (!scope.covers(body.namespaces)) {
          throw errors.forbidden(
            `Token '${principal.name}' is scoped to namespaces ${(principal.namespaces ?? []).join(', ')}; the new token must be scoped within them (give namespaces).`,
          );
        }
        if (!scope.coversClusters(body.clusters)) {
          throw errors.forbidden(
            `Token '${principal.name}' is scoped to clusters ${(principal.clusters ?? []).join(', ')}; the new token must be scoped within them (give clusters).`,
          );
        }
        if (environmentNames.has(body.name)) {
          throw new AppError({ code: 'token-exists', status: 409, title: 'Token exists', detail: `'${body.name}' is a token of PROMOTER_API_TOKENS.` });
        }
        // Anonymous callers exist only while the API is open: their token must be the first one, checked
        // again inside the transaction that stores it, so two replicas cannot both mint one.
        const token = await deps.tokens.create(body, actorOf(principal), { onlyIfFirst: principal === ANONYMOUS });
        request.log.info({ token: token.name, role: token.role, namespaces: token.namespaces, clusters: token.clusters }, 'API token created');
        return reply.code(201).send({ ...token, source: 'api' });
      },
    },
    revokeToken: {
      access: { role: 'admin', namespaces: 'checked' },
      handler: async (request, reply) => {
        const { name } = request.params as { name: string };
        const token = await deps.tokens.find(name);
        if (!token || !request.scope.covers(token.namespaces) || !request.scope.coversClusters(token.clusters)) throw tokenNotFound(name);
        await deps.tokens.revoke(name);
        request.log.info({ token: name }, 'API token revoked');
        return reply.code(204).send();
      },
    },
  });
}
