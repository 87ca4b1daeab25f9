/**
 * GET /v1/me: who the caller is. The console reads it to hide what the token's role cannot do; the API
 * still enforces every role and namespace scope on the operations themselves.
 */
import type { FastifyInstance } from 'fastify';
import type { OpenApiDocument } from '../contract/openapi.js';
import type { Authenticator } from './auth.js';
import { registerOperations } from './operations.js';

export async function meRoutes(app: FastifyInstance, deps: { document: OpenApiDocument; auth: Authenticator }): Promise<void> {
  registerOperations(app, deps.document, {
    getCurrentPrincipal: {
      // The least role: any valid token may ask who it is; an open API answers with its anonymous admin.
      access: { role: 'viewer', namespaces: 'none' },
      handler: async (request) => {
        const { name, role, namespaces } = request.principal;
        return { name, role, namespaces: namespaces ?? null, open: await deps.auth.isOpen() };
      },
    },
  });
}
