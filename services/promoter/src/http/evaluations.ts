/**
 * /v1/evaluations: run a policy's checks without patching anything. Inline policies (arbitrary PromQL and
 * webhook calls with the service's credentials) are for admins only; operators evaluate stored policies.
 * The evaluation stops when the client goes away.
 */
import type { FastifyInstance } from 'fastify';
import type { EvaluationRepository } from '../adapters/db/evaluation-repository.js';
import type { OpenApiDocument } from '../contract/openapi.js';
import type { EvaluationRequest, EvaluationService } from '../evaluation/evaluation-service.js';
import { errors } from '../errors.js';
import { atLeast } from './access.js';
import { registerOperations } from './operations.js';

export async function evaluationRoutes(
  app: FastifyInstance,
  deps: { document: OpenApiDocument; evaluations: EvaluationRepository; service: EvaluationService },
): Promise<void> {
  registerOperations(app, deps.document, {
    createEvaluation: {
      access: { role: 'operator', namespaces: 'checked' },
      handler: async (request, reply) => {
        const body = request.body as EvaluationRequest;
        request.scope.act(body.target.namespace);
        if (typeof body.policy !== 'string' && !atLeast(request.principal.role, 'admin')) {
          throw errors.forbidden(`Token '${request.principal.name}' has role ${request.principal.role}; an inline policy needs admin. Evaluate a stored policy by its name.`);
        }
        // The work stops when the client closes the connection before the answer.
        const gone = new AbortController();
        const onClose = () => {
          if (!reply.raw.writableFinished) gone.abort();
        };
        request.raw.socket?.once('close', onClose);
        try {
          const evaluation = await deps.service.evaluate(body, request.principal.name, {
            signal: gone.signal,
            // A global policy, or one of the target's namespace (which `act` above found within the token's scope).
            canUsePolicy: (owner) => owner === null || owner === body.target.namespace,
          });
          request.log.info({ evaluation: evaluation.id, verdict: evaluation.verdict, phase: evaluation.phase }, 'evaluation stored');
          return reply.code(201).header('location', `/v1/evaluations/${evaluation.id}`).send(evaluation);
        } finally {
          request.raw.socket?.off('close', onClose);
        }
      },
    },
    getEvaluation: {
      access: { role: 'viewer', namespaces: 'checked' },
      handler: async (request) => {
        const { id } = request.params as { id: string };
        const evaluation = await deps.evaluations.get(id);
        request.scope.see(evaluation.target.namespace, () => errors.evaluationNotFound(id));
        return evaluation;
      },
    },
  });
}
