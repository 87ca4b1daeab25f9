/** `client.tokens`: API tokens managed through the API (admin role). */
import type { CallOptions, Transport } from './transport.js';
import type { CreatedToken, Principal, SignInOptions, Token, TokenRequest } from './types.js';

export class TokensApi {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * Who this client's token is (`GET /v1/me`): its name, role and namespaces, and whether the API is open.
   * Any valid token may ask; use it to show only what the caller may do (the API enforces it anyway).
   *
   * @example
   * ```ts
   * const me = await client.tokens.current();
   * if (me.role === 'viewer') console.log('read-only');
   * ```
   */
  async current(options: CallOptions = {}): Promise<Principal> {
    const { data } = await this.#transport.send((init) => this.#transport.api.GET('/v1/me', { ...init }), { ...options, mode: 'idempotent' });
    return data;
  }

  /**
   * How people sign in (`GET /v1/sign-in`, no token needed): the OpenID provider, or `oidc: null` when only
   * API tokens are accepted.
   *
   * @example
   * ```ts
   * const { oidc } = await client.tokens.signInOptions();
   * if (oidc) console.log(`Sign in with ${oidc.provider}: ${oidc.loginUrl}`);
   * ```
   */
  async signInOptions(options: CallOptions = {}): Promise<SignInOptions> {
    const { data } = await this.#transport.send((init) => this.#transport.api.GET('/v1/sign-in', { ...init }), { ...options, mode: 'idempotent' });
    return data;
  }

  /**
   * Every token (those of PROMOTER_API_TOKENS too), never their secrets.
   *
   * @example
   * ```ts
   * for (const token of await client.tokens.list()) console.log(token.name, token.role, token.source);
   * ```
   */
  async list(options: CallOptions = {}): Promise<Token[]> {
    const { data } = await this.#transport.send((init) => this.#transport.api.GET('/v1/tokens', { ...init }), { ...options, mode: 'idempotent' });
    return data.items;
  }

  /**
   * Creates a token; its secret is in this answer only. Not retried after an ambiguous failure: a retry of a
   * create that did happen would answer 409 and the secret would be lost.
   *
   * @example
   * ```ts
   * const { secret } = await client.tokens.create({ name: 'ci-mcp', role: 'operator', namespaces: ['mcp'] });
   * ```
   */
  async create(request: TokenRequest, options: CallOptions = {}): Promise<CreatedToken> {
    const { data } = await this.#transport.send(
      (init) => this.#transport.api.POST('/v1/tokens', { ...init, body: request }),
      { ...options, mode: 'unsafe' },
    );
    return data;
  }

  /**
   * Revokes a token at once.
   *
   * @example
   * ```ts
   * await client.tokens.revoke('ci-mcp');
   * ```
   */
  async revoke(name: string, options: CallOptions = {}): Promise<void> {
    await this.#transport.send(
      (init) => this.#transport.api.DELETE('/v1/tokens/{name}', { ...init, params: { path: { name } } }),
      { ...options, mode: 'unsafe' },
    );
  }
}
