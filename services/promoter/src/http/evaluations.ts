/** /v1/evaluations: run a policy's checks without patching anything. */
import type { FastifyInstance } from 'fastify';
import type { EvaluationRepository } from '../adapters/db/evaluation-repository.js';
import type { OpenApiDocument } from '../contract/openapi.js';
import type { EvaluationRequest, EvaluationService } from '../evaluation/evaluation-service.js';
import { requireNamespace } from './auth.js';
import { registerOperations } from './operations.js';

export async function evaluationRoutes(
  app: FastifyInstance,
  deps: { document: OpenApiDocument; evaluations: EvaluationRepository; service: EvaluationService },
): Promise<void> {
  registerOperations(app, deps.document, {
    createEvaluation: {
      role: 'operator',
      handler: async (request, reply) => {
        const body = request.body as EvaluationRequest;
        requireNamespace(request, body.target.namespace);
        const evaluation = await deps.service.evaluate(body, request.principal.name);
        request.log.info({ evaluation: evaluation.id, verdict: evaluation.verdict, phase: evaluation.phase }, 'evaluation stored');
        return reply.code(201).header('location', `/v1/evaluations/${evaluation.id}`).send(evaluation);
      },
    },
    getEvaluation: {
      role: 'viewer',
      handler: async (request) => {
        const evaluation = await deps.evaluations.get((request.params as { id: string }).id);
        requireNamespace(request, evaluation.target.namespace);
        return evaluation;
      },
    },
  });
}
