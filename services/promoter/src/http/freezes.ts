/**
 * /v1/freezes: deployment freezes, and an admin's override of them for one promotion. Who may change a
 * freeze: an admin whose token covers every namespace the freeze names (a freeze over all namespaces needs
 * an unscoped admin). Who sees one: every token whose namespaces it can hold.
 */
import { actorOf } from '../domain/actor.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FreezeInput, FreezeRepository, StoredFreeze } from '../adapters/db/freeze-repository.js';
import type { PromotionRepository } from '../adapters/db/promotion-repository.js';
import type { OpenApiDocument } from '../contract/openapi.js';
import { errors, type AppError } from '../errors.js';
import { activeAt, endsAfter } from '../domain/freeze/freeze-window.js';
import { checkFreezeWindow, type FreezeWindowInput } from '../domain/freeze/freeze-validation.js';
import type { FreezeScope } from '../domain/freeze/freeze.js';
import { registerOperations } from './operations.js';

export interface FreezeRoutesDeps {
  readonly document: OpenApiDocument;
  readonly freezes: FreezeRepository;
  readonly promotions: PromotionRepository;
  readonly clock?: () => Date;
}

/** The freeze as the API shows it: whether it holds now, and until when. */
function freezeView(freeze: StoredFreeze, now: number) {
  const until = endsAfter(freeze.window, now);
  return { ...freeze, active: activeAt(freeze.window, now), until: until === undefined ? null : new Date(until).toISOString() };
}

export async function freezeRoutes(app: FastifyInstance, deps: FreezeRoutesDeps): Promise<void> {
  const { freezes, promotions } = deps;
  const now = () => (deps.clock?.() ?? new Date()).getTime();
  // A freeze without namespaces may hold any promotion: every token sees it.
  const visible = (request: FastifyRequest, scope: FreezeScope) =>
    scope.namespaces === undefined ? request.scope.canSee(null) : scope.namespaces.some((namespace) => request.scope.canSee(namespace));
  /** A freeze the token cannot see is answered by `hidden` (not found for a delete; for a PUT the name is taken: forbidden). */
  const mayChange = (request: FastifyRequest, hidden: () => AppError) => (scope: FreezeScope) => {
    if (!visible(request, scope)) throw hidden();
    if (!request.scope.covers(scope.namespaces)) {
      throw errors.forbidden(`Token '${request.principal.name}' may change only freezes that name namespaces within its own (${(request.principal.namespaces ?? []).join(', ')}).`);
    }
  };
  const nameTaken = (request: FastifyRequest, name: string) => () => errors.forbidden(`Token '${request.principal.name}' may not change freeze '${name}'.`);

  registerOperations(app, deps.document, {
    listFreezes: {
      access: { role: 'viewer', namespaces: 'checked' },
      handler: async (request) => {
        request.scope.consult(); // consulted even when there is nothing to filter
        const at = now();
        return { items: (await freezes.list()).filter((f) => visible(request, f.scope)).map((f) => freezeView(f, at)) };
      },
    },
    getFreeze: {
      access: { role: 'viewer', namespaces: 'checked' },
      handler: async (request) => {
        const { name } = request.params as { name: string };
        const freeze = await freezes.get(name);
        if (!visible(request, freeze.scope)) throw errors.freezeNotFound(name);
        return freezeView(freeze, now());
      },
    },
    putFreeze: {
      access: { role: 'admin', namespaces: 'checked' },
      handler: async (request, reply) => {
        const { name } = request.params as { name: string };
        const body = request.body as { window: FreezeWindowInput; scope?: FreezeScope; reason: string };
        const checked = checkFreezeWindow(body.window, '/body/window');
        if ('problems' in checked) throw errors.validation(checked.problems);
        const input: FreezeInput = { window: checked.window, scope: body.scope ?? {}, reason: body.reason };
        // The new scope first (it is in the request), then the stored one, under the freeze's lock.
        mayChange(request, nameTaken(request, name))(input.scope);
        const result = await freezes.put(name, input, actorOf(request.principal), mayChange(request, nameTaken(request, name)));
        request.log.info({ freeze: name, version: result.freeze.version, changed: result.changed }, 'freeze stored');
        return reply.code(result.created ? 201 : 200).header('location', `/v1/freezes/${name}`).send(freezeView(result.freeze, now()));
      },
    },
    deleteFreeze: {
      access: { role: 'admin', namespaces: 'checked' },
      handler: async (request, reply) => {
        const { name } = request.params as { name: string };
        await freezes.delete(name, actorOf(request.principal), mayChange(request, () => errors.freezeNotFound(name)));
        request.log.info({ freeze: name }, 'freeze ended');
        return reply.code(204).send();
      },
    },
    overrideFreeze: {
      access: { role: 'admin', namespaces: 'checked' },
      handler: async (request) => {
        const { id } = request.params as { id: string };
        const current = await promotions.get(id);
        request.scope.see(current.target.namespace, () => errors.promotionNotFound(id));
        const { reason } = request.body as { reason: string };
        const promotion = await promotions.overrideFreeze(id, actorOf(request.principal), reason);
        request.log.info({ promotion: id, state: promotion.state }, 'freezes overridden for a promotion');
        return promotion;
      },
    },
  });
}
