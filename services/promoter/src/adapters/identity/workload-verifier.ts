/**
 * Workload identity: a CI job or a service account presents its own signed JWT as the bearer token, and no
 * stored secret is needed. A token is accepted when
 * - its `iss` is one of the issuers the operator trusts (PROMOTER_IDENTITY_FILE `workloads`), compared exactly;
 * - its signature checks against that issuer's published keys (JwksSource), with an asymmetric algorithm the
 *   operator allows (never `none`, never a shared secret);
 * - its `aud` holds the audience configured for that issuer, it has expired no more than 30 s ago (clock
 *   skew), and it is not from the future;
 * - and one of the issuer's claim rules grants it a role.
 * A bearer that is no JWT, or a JWT of an issuer nobody trusts, is not this verifier's ("not mine"): the API
 * then answers 401 as for any unknown token. A JWT of a trusted issuer that fails a check is a 401 saying which
 * check in general terms; a valid one no rule grants is a 403 naming its subject (the caller's own) and
 * nothing of the rules.
 */
import { decodeJwt, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { WorkloadIssuerConfig } from './identity-config.js';
import { JwksSource, JwksUnavailableError } from './jwks-source.js';
import { grantFor, groupsOf, identityName } from '../../domain/identity/claim-rules.js';
import { AppError, errors } from '../../errors.js';
import type { BearerVerifier } from '../../http/auth.js';
import type { Principal } from '../../http/access.js';

/** JWTs are compact JWS: three base64url parts. Longer than this is no token a CI system issues. */
export const MAX_JWT_LENGTH = 16 * 1024;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const CLOCK_TOLERANCE_S = 30;

export interface WorkloadLog {
  info(details: Record<string, unknown>, message: string): void;
  warn(details: Record<string, unknown>, message: string): void;
}

export interface WorkloadVerifierOptions {
  readonly fetch?: typeof globalThis.fetch;
  /** How often a token naming an unknown key may fetch the issuer's keys again (default JWKS_COOLDOWN_MS). */
  readonly cooldownMs?: number;
  readonly log?: WorkloadLog;
  /** Seconds since the epoch, for tests of expiry; default: the clock. */
  readonly currentDate?: () => Date;
}

interface TrustedIssuer {
  readonly config: WorkloadIssuerConfig;
  readonly keys: JwksSource;
}

export class WorkloadVerifier implements BearerVerifier {
  readonly #issuers: ReadonlyMap<string, TrustedIssuer>;
  readonly #options: WorkloadVerifierOptions;

  constructor(issuers: readonly WorkloadIssuerConfig[], options: WorkloadVerifierOptions = {}) {
    this.#options = options;
    this.#issuers = new Map(
      issuers.map((config) => [config.issuer, { config, keys: new JwksSource({ issuer: config.issuer, jwksUrl: config.jwksUrl, ...(options.fetch ? { fetch: options.fetch } : {}), ...(options.cooldownMs === undefined ? {} : { cooldownMs: options.cooldownMs }) }) }]),
    );
  }

  /** How many times an issuer's key set was fetched (tests check rotation and the cool-down with it). */
  jwksFetches(issuer: string): number {
    return this.#issuers.get(issuer)?.keys.fetches ?? 0;
  }

  async verify(bearer: string): Promise<Principal | undefined> {
    if (bearer.length > MAX_JWT_LENGTH || !COMPACT_JWS.test(bearer)) return undefined;
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(bearer);
    } catch {
      return undefined;
    }
    const trusted = typeof unverified.iss === 'string' ? this.#issuers.get(unverified.iss) : undefined;
    if (!trusted) return undefined;
    const { config } = trusted;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(bearer, trusted.keys.resolve, {
        issuer: config.issuer,
        audience: config.audience,
        algorithms: [...config.algorithms],
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ['exp', 'sub'],
        ...(this.#options.currentDate ? { currentDate: this.#options.currentDate() } : {}),
      }));
    } catch (error) {
      if (error instanceof JwksUnavailableError) {
        this.#options.log?.warn({ issuer: config.issuer, reason: error.message }, 'workload token not checked: the issuer keys cannot be fetched');
        throw errors.identityProviderUnavailable(config.issuer);
      }
      const why = refusal(error);
      this.#options.log?.info({ issuer: config.issuer, subject: typeof unverified.sub === 'string' ? identityName(unverified.sub) : undefined, why }, 'workload token refused');
      throw errors.unauthorized(`The token of ${config.issuer} is not accepted: ${why}.`);
    }
    const subject = String(payload.sub);
    const grant = grantFor(config.rules, payload);
    if (!grant) {
      this.#options.log?.info({ issuer: config.issuer, subject }, 'workload token valid, but no rule grants it access');
      throw new AppError({
        code: 'forbidden',
        status: 403,
        title: 'Forbidden',
        detail: `The token of ${config.issuer} for '${identityName(subject)}' is valid, but no rule of this service grants it access.`,
      });
    }
    const named = payload[config.nameClaim];
    const displayName = identityName(typeof named === 'string' && named.trim() !== '' ? named : subject);
    return {
      name: displayName,
      role: grant.role,
      namespaces: grant.namespaces,
      clusters: grant.clusters,
      identity: { kind: 'workload', key: `${config.issuer}#${subject}`, subject, issuer: config.issuer, displayName, groups: groupsOf(payload) },
    };
  }
}

/** Why jose refused a token, in words that name the check and nothing of the keys or the configuration. */
function refusal(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'it has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return 'its audience (aud) is not this service';
    if (error.claim === 'iss') return 'its issuer does not match';
    if (error.claim === 'nbf' || error.claim === 'iat') return 'it is not valid yet';
    return `its ${error.claim} claim is missing or wrong`;
  }
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'it is signed with a key the issuer does not publish';
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'its signing algorithm is not allowed';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'its signature does not verify';
  if (error instanceof joseErrors.JWKSMultipleMatchingKeys) return 'its key id matches several keys';
  return 'it is not a well-formed signed JWT';
}
