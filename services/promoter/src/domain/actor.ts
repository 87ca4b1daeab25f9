/**
 * Who did something, as the audit trail records it: the display name (the `actor` text every record had
 * before identities, kept for compatibility) and the identity behind it (absent for the engine's own
 * records, for the anonymous caller of an open API, and for rows written before identities were stored).
 */

/** An identity as stored and shown: what it is, its stable key and how people read it. Groups are not kept. */
export interface ActorIdentity {
  readonly kind: 'token' | 'person' | 'workload';
  readonly key: string;
  readonly subject: string;
  readonly issuer?: string;
  readonly displayName: string;
}

export interface Actor {
  readonly name: string;
  readonly identity: ActorIdentity | undefined;
}

/** The actor of a request's principal (structurally `Principal` of http/access.ts). */
export function actorOf(principal: { readonly name: string; readonly identity?: ActorIdentity | undefined }): Actor {
  const identity = principal.identity;
  if (identity === undefined) return { name: principal.name, identity: undefined };
  return {
    name: principal.name,
    identity: {
      kind: identity.kind,
      key: identity.key,
      subject: identity.subject,
      ...(identity.issuer === undefined ? {} : { issuer: identity.issuer }),
      displayName: identity.displayName,
    },
  };
}

/** Callers that know only a name (the engine, pipelines acting for their creator, older code) pass a string. */
export function asActor(actor: string | Actor): Actor {
  return typeof actor === 'string' ? { name: actor, identity: undefined } : actor;
}

/** The identity key of whoever created a record: its identity's, else its token name's (rows from before identities). */
export function recordedKey(actor: string, identity: ActorIdentity | null | undefined): string {
  return identity?.key ?? `token:${actor}`;
}

/** "alice (person, https://idp.example)" for logs and messages; just the name for tokens. */
export function describeActor(name: string, identity: ActorIdentity | null | undefined): string {
  if (!identity || identity.kind === 'token') return name;
  return `${name} (${identity.kind}${identity.issuer ? `, ${identity.issuer}` : ''})`;
}
