/** How an actor's identity is written to an `..._identity` jsonb column (0015, 0017): NULL when it has none. */
import type { Actor } from '../../domain/actor.js';

export function identityJson(actor: Actor): string | null {
  return actor.identity ? JSON.stringify(actor.identity) : null;
}
