/** /v1/policies: versioned policy documents. */
import type { FastifyInstance } from 'fastify';
import type { PolicyRepository } from '../adapters/db/policy-repository.js';
import type { OpenApiDocument } from '../contract/openapi.js';
import type { PolicyDocuments } from '../policies/policy-documents.js';
import type { PolicyDocument } from '../domain/policy/model.js';
import { registerOperations } from './operations.js';

export interface PolicyRoutesDeps {
  readonly document: OpenApiDocument;
  readonly policies: PolicyRepository;
  readonly policyDocuments: PolicyDocuments;
  /** Optional extra check of each query against Prometheus (syntax), when it is reachable. */
  readonly checkQueries?: ((document: PolicyDocument) => Promise<void>) | undefined;
}

export async function policyRoutes(app: FastifyInstance, deps: PolicyRoutesDeps): Promise<void> {
  const { policies, policyDocuments } = deps;
  registerOperations(app, deps.document, {
    listPolicies: {
      role: 'viewer',
      handler: async () => ({ items: await policies.list() }),
    },
    getPolicy: {
      role: 'viewer',
      handler: async (request) => {
        const { name } = request.params as { name: string };
        const { version } = request.query as { version?: number };
        return policies.get(name, version);
      },
    },
    listPolicyVersions: {
      role: 'viewer',
      handler: async (request) => {
        const { name } = request.params as { name: string };
        return { items: await policies.versions(name) };
      },
    },
    putPolicy: {
      role: 'admin',
      handler: async (request, reply) => {
        const { name } = request.params as { name: string };
        const policyDocument = policyDocuments.check(request.body, '/body', name);
        await deps.checkQueries?.(policyDocument);
        const result = await policies.put(name, policyDocument, 'api', request.principal.name);
        request.log.info({ policy: name, version: result.policy.version, changed: result.changed }, 'policy stored');
        return reply.code(result.created ? 201 : 200).header('location', `/v1/policies/${name}`).send(result.policy);
      },
    },
    deletePolicy: {
      role: 'admin',
      handler: async (request, reply) => {
        const { name } = request.params as { name: string };
        await policies.delete(name);
        request.log.info({ policy: name }, 'policy deleted');
        return reply.code(204).send();
      },
    },
  });
}
