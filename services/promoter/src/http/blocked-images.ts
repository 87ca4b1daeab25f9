/**
 * /v1/blocked-images: images that must not be promoted. A block applies in one namespace (operators of that
 * namespace add and lift it) or in all (unscoped operators and admins only: http/access.ts `manage`). Every
 * token sees the global blocks and those of its namespaces. Lifting keeps the record (who, when, why).
 */
import type { FastifyInstance } from 'fastify';
import type { BlockedImageRepository } from '../adapters/db/blocked-image-repository.js';
import type { OpenApiDocument } from '../contract/openapi.js';
import { errors } from '../errors.js';
import { blockedImageProblems } from '../domain/blocked-image-problems.js';
import { normalizeImage, type NormalizedImage } from '../domain/image-normalization.js';
import { registerOperations } from './operations.js';
import { actorOf } from '../domain/actor.js';

export interface BlockedImageRoutesDeps {
  readonly document: OpenApiDocument;
  readonly blocks: BlockedImageRepository;
}

/** A reference the contract let through (length) that must still parse; the field is named when not. */
function normalized(value: string, pointer: string, refuse: typeof errors.validation): NormalizedImage {
  const image = normalizeImage(value);
  if ('error' in image) throw refuse([{ pointer, detail: image.error }]);
  return image;
}

export async function blockedImageRoutes(app: FastifyInstance, deps: BlockedImageRoutesDeps): Promise<void> {
  const { blocks } = deps;
  registerOperations(app, deps.document, {
    listBlockedImages: {
      access: { role: 'viewer', namespaces: 'checked' },
      handler: async (request) => {
        const query = request.query as { image?: string; namespace?: string; state: 'active' | 'lifted' | 'all'; limit: number };
        // Filtered to the token's namespaces (and the global blocks); asking about another namespace is not
        // refused (that would say something about it): only the global blocks are listed for it.
        const visible = request.scope.namespaces;
        const image = query.image === undefined ? undefined : normalized(query.image, '/query/image', errors.badRequest);
        return { items: await blocks.list({ visible, namespace: query.namespace, image, state: query.state, limit: query.limit }) };
      },
    },
    getBlockedImage: {
      access: { role: 'viewer', namespaces: 'checked' },
      handler: async (request) => {
        const { id } = request.params as { id: string };
        const block = await blocks.get(id);
        request.scope.see(block.namespace, () => blockedImageProblems.notFound(id));
        return block;
      },
    },
    createBlockedImage: {
      access: { role: 'operator', namespaces: 'checked' },
      handler: async (request, reply) => {
        const body = request.body as { image: string; reason: string; namespace?: string };
        const namespace = body.namespace ?? null;
        // A namespace the caller named: 403, not 404 (it knows the name); a global block needs an unscoped token.
        request.scope.manage(namespace, () => errors.forbidden(`Token '${request.principal.name}' may not block images in namespace '${namespace}'.`));
        const image = normalized(body.image, '/body/image', errors.validation);
        const block = await blocks.create({ image: body.image, normalized: image, namespace, reason: body.reason, actor: actorOf(request.principal) });
        request.log.info({ block: block.id, image: block.normalizedImage, namespace, actor: block.createdBy }, 'image blocked');
        return reply.code(201).header('location', `/v1/blocked-images/${block.id}`).send(block);
      },
    },
    liftBlockedImage: {
      access: { role: 'operator', namespaces: 'checked' },
      handler: async (request) => {
        const { id } = request.params as { id: string };
        const { reason } = request.query as { reason: string };
        const block = await blocks.get(id);
        request.scope.manage(block.namespace, () => blockedImageProblems.notFound(id));
        const lifted = await blocks.lift(id, actorOf(request.principal), reason);
        request.log.info({ block: id, image: lifted.normalizedImage, actor: lifted.liftedBy }, 'image block lifted');
        return lifted;
      },
    },
  });
}
