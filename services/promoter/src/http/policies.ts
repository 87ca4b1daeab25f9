/**
 * /v1/policies: versioned policy documents. A policy is global (no `namespace`: every token reads it, only
 * unscoped admins change it) or owned by a namespace (only tokens of that namespace see it, only its
 * admins change it, only its promotions use it). Webhook header values are never read back.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PolicyRepository, PolicyVersionView } from '../adapters/db/policy-repository.js';
import type { OpenApiDocument } from '../contract/openapi.js';
import { errors } from '../errors.js';
import type { PolicyDocuments } from '../policies/policy-documents.js';
import type { PolicyDocument } from '../domain/policy/model.js';
import { registerOperations } from './operations.js';
import { actorOf } from '../domain/actor.js';
import { redactPolicyDocument } from './redaction.js';

export interface PolicyRoutesDeps {
  readonly document: OpenApiDocument;
  readonly policies: PolicyRepository;
  readonly policyDocuments: PolicyDocuments;
  /** Optional extra check of each query against Prometheus (syntax), when it is reachable. */
  readonly checkQueries?: ((document: PolicyDocument) => Promise<void>) | undefined;
  /** Refuses webhook URLs the operator did not allow (field errors relative to the document). */
  readonly checkWebhooks?: ((document: PolicyDocument) => void) | undefined;
}

const owner = (policy: PolicyVersionView): string | null => policy.document.namespace ?? null;
const readable = (policy: PolicyVersionView): PolicyVersionView => ({ ...policy, document: redactPolicyDocument(policy.document) });

export async function policyRoutes(app: FastifyInstance, deps: PolicyRoutesDeps): Promise<void> {
  const { policies, policyDocuments } = deps;
  const visible = (request: FastifyRequest, policy: PolicyVersionView) => request.scope.canSee(owner(policy));
  registerOperations(app, deps.document, {
    listPolicies: {
      access: { role: 'viewer', namespaces: 'checked' },
      handler: async (request) => {
        request.scope.consult(); // consulted even when there is nothing to filter
        return { items: (await policies.list()).filter((p) => visible(request, p)).map(readable) };
      },
    },
    getPolicy: {
      access: { role: 'viewer', namespaces: 'checked' },
      handler: async (request) => {
        const { name } = request.params as { name: string };
        const { version } = request.query as { version?: number };
        const policy = await policies.get(name, version);
        request.scope.see(owner(policy), () => errors.policyNotFound(name, version));
        return readable(policy);
      },
    },
    listPolicyVersions: {
      access: { role: 'viewer', namespaces: 'checked' },
      handler: async (request) => {
        const { name } = request.params as { name: string };
        // Newest first, and not found for a policy that does not exist: the first is the one that owns it.
        const versions = await policies.versions(name);
        request.scope.see(versions[0] ? owner(versions[0]) : null, () => errors.policyNotFound(name));
        return { items: versions.filter((p) => visible(request, p)).map(readable) };
      },
    },
    putPolicy: {
      access: { role: 'admin', namespaces: 'checked' },
      handler: async (request, reply) => {
        const { name } = request.params as { name: string };
        const policyDocument = policyDocuments.check(request.body, '/body', name);
        // The new owner first (it is in the request), then the current one, under the policy's lock.
        request.scope.manage(policyDocument.namespace ?? null, () => errors.forbidden(`Token '${request.principal.name}' may not own policies in namespace '${policyDocument.namespace}'.`));
        deps.checkWebhooks?.(policyDocument);
        await deps.checkQueries?.(policyDocument);
        const result = await policies.put(name, policyDocument, 'api', actorOf(request.principal), (current) =>
          // A name taken by another namespace: the same answer as for a global policy.
          request.scope.manage(current, () => errors.forbidden(`Token '${request.principal.name}' may not change policy '${name}'.`)),
        );
        request.log.info({ policy: name, version: result.policy.version, changed: result.changed }, 'policy stored');
        return reply.code(result.created ? 201 : 200).header('location', `/v1/policies/${name}`).send(readable(result.policy));
      },
    },
    deletePolicy: {
      access: { role: 'admin', namespaces: 'checked' },
      handler: async (request, reply) => {
        const { name } = request.params as { name: string };
        await policies.delete(name, (current) => request.scope.manage(current, () => errors.policyNotFound(name)));
        request.log.info({ policy: name }, 'policy deleted');
        return reply.code(204).send();
      },
    },
  });
}
