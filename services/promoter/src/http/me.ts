/**
 * GET /v1/me: who the caller is. The console reads it to hide what the token's role cannot do; the API
 * still enforces every role and namespace scope on the operations themselves.
 */
import type { FastifyInstance } from 'fastify';
import type { OpenApiDocument } from '../contract/openapi.js';
import type { PeopleConfig } from '../adapters/identity/identity-config.js';
import type { Authenticator } from './auth.js';
import { sessionOf } from './console-sessions.js';
import { signInOptions } from './console-sign-in.js';
import { registerOperations } from './operations.js';

export async function meRoutes(app: FastifyInstance, deps: { document: OpenApiDocument; auth: Authenticator; people?: PeopleConfig | undefined }): Promise<void> {
  registerOperations(app, deps.document, {
    getCurrentPrincipal: {
      // The least role: any valid token may ask who it is; an open API answers with its anonymous admin.
      access: { role: 'viewer', namespaces: 'none' },
      handler: async (request) => {
        const { name, role, namespaces, clusters, identity } = request.principal;
        // The console's session (when its cookie authenticated this request) hands the console its CSRF token.
        const session = sessionOf(request);
        return {
          name,
          role,
          namespaces: namespaces ?? null,
          clusters: clusters ?? null,
          open: await deps.auth.isOpen(),
          identity: identity ?? null,
          signIn: signInOptions(deps.people),
          session: session ? { csrfToken: session.csrfToken, expiresAt: session.expiresAt.toISOString() } : null,
        };
      },
    },
  });
}
