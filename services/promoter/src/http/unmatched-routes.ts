/**
 * A request for a route that does not exist is answered before its body is read: Fastify would otherwise
 * parse it (260 KB of YAML cost 2.5 s of CPU) just to answer 404, unauthenticated and not rate-limited.
 */
import type { FastifyInstance } from 'fastify';
import { errors } from '../errors.js';

export function registerUnmatchedRouteGuard(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.is404) {
      done(errors.routeNotFound(request.method, request.url.split('?')[0] ?? ''));
      return;
    }
    done();
  });
}
