/** /v1/tokens: API tokens (admin only). Environment tokens are listed too, never with secrets. */
import type { FastifyInstance } from 'fastify';
import type { ApiToken, Role } from '../config.js';
import type { TokenRepository } from '../adapters/db/token-repository.js';
import type { OpenApiDocument } from '../contract/openapi.js';
import { AppError } from '../errors.js';
import type { Authenticator } from './auth.js';
import { registerOperations } from './operations.js';

export async function tokenRoutes(
  app: FastifyInstance,
  deps: { document: OpenApiDocument; tokens: TokenRepository; environmentTokens: readonly ApiToken[]; auth: Authenticator },
): Promise<void> {
  const environmentNames = new Set(deps.environmentTokens.map((t) => t.name));
  registerOperations(app, deps.document, {
    listTokens: {
      role: 'admin',
      handler: async () => ({
        items: [
          ...deps.environmentTokens.map((t) => ({
            name: t.name,
            role: t.role,
            namespaces: t.namespaces ?? null,
            createdBy: 'PROMOTER_API_TOKENS',
            createdAt: null,
            source: 'environment',
          })),
          ...(await deps.tokens.list()).map((t) => ({ ...t, source: 'api' })),
        ],
      }),
    },
    createToken: {
      role: 'admin',
      handler: async (request, reply) => {
        const body = request.body as { name: string; role: Role; namespaces?: string[] };
        if (environmentNames.has(body.name)) {
          throw new AppError({ code: 'token-exists', status: 409, title: 'Token exists', detail: `'${body.name}' is a token of PROMOTER_API_TOKENS.` });
        }
        const token = await deps.tokens.create(body, request.principal.name);
        deps.auth.invalidate();
        request.log.info({ token: token.name, role: token.role, namespaces: token.namespaces }, 'API token created');
        return reply.code(201).send({ ...token, source: 'api' });
      },
    },
    revokeToken: {
      role: 'admin',
      handler: async (request, reply) => {
        const { name } = request.params as { name: string };
        await deps.tokens.revoke(name);
        deps.auth.invalidate();
        request.log.info({ token: name }, 'API token revoked');
        return reply.code(204).send();
      },
    },
  });
}
