/**
 * The OpenID provider as the console's sign-in uses it, through `openid-client`: discovery (once, retried
 * after a failure), the authorization URL with PKCE, state and nonce, the code exchange (the library checks
 * state, nonce, PKCE, the ID token's signature, issuer and audience), userinfo, the refresh that tells
 * whether the person's session still holds, and the provider's sign-out URL.
 */
import * as oidc from 'openid-client';
import type { PeopleConfig } from './identity-config.js';

export interface SignedInTokens {
  /** ID token claims merged with userinfo (userinfo wins: it is where many providers put `groups`). */
  readonly claims: Readonly<Record<string, unknown>>;
  readonly subject: string;
  readonly idToken: string | undefined;
  readonly idTokenExp: number | undefined;
  readonly refreshToken: string | undefined;
}

/** A refresh: the provider still vouches for the person, no longer does, or could not be asked. */
export type RefreshOutcome =
  | { readonly kind: 'valid'; readonly refreshToken: string | undefined; readonly idToken: string | undefined }
  | { readonly kind: 'refused'; readonly error: string }
  | { readonly kind: 'unavailable'; readonly error: string };

export class OidcClient {
  readonly #people: PeopleConfig;
  #configuration: Promise<oidc.Configuration> | undefined;

  constructor(people: PeopleConfig) {
    this.#people = people;
  }

  #discover(): Promise<oidc.Configuration> {
    if (!this.#configuration) {
      const people = this.#people;
      // Plain http is allowed only for a loopback issuer (a provider started by tests or on the operator's machine).
      const insecure = new URL(people.issuer).protocol === 'http:' && isLoopback(new URL(people.issuer).hostname);
      this.#configuration = oidc
        .discovery(
          new URL(people.issuer),
          people.clientId,
          people.clientSecret === undefined ? undefined : { client_secret: people.clientSecret },
          people.clientSecret === undefined ? oidc.None() : oidc.ClientSecretBasic(people.clientSecret),
          insecure ? { execute: [oidc.allowInsecureRequests] } : undefined,
        )
        .catch((error: unknown) => {
          // Not cached: the next sign-in asks again (the provider may have been down for a moment).
          this.#configuration = undefined;
          throw error;
        });
    }
    return this.#configuration;
  }

  async authorizationUrl(input: { redirectUri: string; state: string; nonce: string; codeVerifier: string }): Promise<URL> {
    const configuration = await this.#discover();
    return oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: input.redirectUri,
      scope: this.#people.scopes.join(' '),
      state: input.state,
      nonce: input.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(input.codeVerifier),
      code_challenge_method: 'S256',
    });
  }

  /** The callback's URL (with code and state) for the tokens and the person's claims; throws when any check fails. */
  async exchange(callbackUrl: URL, checks: { state: string; nonce: string; codeVerifier: string }): Promise<SignedInTokens> {
    const configuration = await this.#discover();
    const tokens = await oidc.authorizationCodeGrant(configuration, callbackUrl, {
      pkceCodeVerifier: checks.codeVerifier,
      expectedState: checks.state,
      expectedNonce: checks.nonce,
      idTokenExpected: true,
    });
    const idClaims = tokens.claims();
    if (!idClaims) throw new Error('the provider answered without an ID token');
    let userinfo: Record<string, unknown> = {};
    if (configuration.serverMetadata().userinfo_endpoint) {
      userinfo = { ...(await oidc.fetchUserInfo(configuration, tokens.access_token, idClaims.sub)) };
    }
    return {
      claims: { ...idClaims, ...userinfo },
      subject: idClaims.sub,
      idToken: tokens.id_token,
      idTokenExp: typeof idClaims.exp === 'number' ? idClaims.exp : undefined,
      refreshToken: tokens.refresh_token,
    };
  }

  async refresh(refreshToken: string): Promise<RefreshOutcome> {
    let configuration: oidc.Configuration;
    try {
      configuration = await this.#discover();
    } catch (error) {
      return { kind: 'unavailable', error: errorText(error) };
    }
    try {
      const tokens = await oidc.refreshTokenGrant(configuration, refreshToken);
      return { kind: 'valid', refreshToken: tokens.refresh_token, idToken: tokens.id_token };
    } catch (error) {
      // The provider's own "no" (invalid_grant: revoked, expired, the person signed out) ends the session;
      // a network failure or a 5xx does not, the next request asks again.
      if (error instanceof oidc.ResponseBodyError && error.status < 500) return { kind: 'refused', error: error.error };
      return { kind: 'unavailable', error: errorText(error) };
    }
  }

  /** The provider's RP-initiated logout URL, when it has an end_session_endpoint. */
  async endSessionUrl(input: { idToken: string | undefined; postLogoutRedirectUri: string }): Promise<URL | undefined> {
    const configuration = await this.#discover().catch(() => undefined);
    if (!configuration?.serverMetadata().end_session_endpoint) return undefined;
    return oidc.buildEndSessionUrl(configuration, {
      post_logout_redirect_uri: input.postLogoutRedirectUri,
      client_id: this.#people.clientId,
      ...(input.idToken ? { id_token_hint: input.idToken } : {}),
    });
  }
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\./.test(hostname);
}

/** An error's class and code or message, never a token: openid-client's messages name no secret. */
export function errorText(error: unknown): string {
  if (error instanceof oidc.ResponseBodyError) return `${error.error}${error.error_description ? `: ${error.error_description}` : ''}`;
  if (error instanceof Error) return `${error.name}: ${(error as { code?: string }).code ?? error.message}`;
  return String(error);
}
