/**
 * Sign-in. With an OpenID provider configured: one button to it (the service runs the sign-in and sets its
 * session cookie); the token box is not shown. Without one: a bearer token, checked against the API
 * (`GET /v1/me`) and kept in sessionStorage only.
 */
import { useState } from 'preact/hooks';
import { isPromoterError, type OidcSignIn } from '@promoter/sdk';
import { describeError } from '../lib/errors.js';
import { returnToOf } from '../lib/sign-in-notice.js';
import { openSession, storeToken, type Session } from '../lib/session.js';

export function SignIn(props: { onSignedIn: (session: Session) => void; notice?: string | undefined; oidc: OidcSignIn | null }) {
  if (props.oidc) {
    const href = `${props.oidc.loginUrl}?${new URLSearchParams({ returnTo: returnToOf(location.pathname, location.search) }).toString()}`;
    return (
      <section class="sign-in" aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Sign in</h1>
        {props.notice && (
          <p class="note sign-in-notice" role="status">
            {props.notice}
          </p>
        )}
        <p>This service signs people in through {props.oidc.provider}.</p>
        <a class="button primary" href={href} data-sign-in="oidc">
          Sign in with {props.oidc.provider}
        </a>
      </section>
    );
  }
  return <TokenSignIn {...props} />;
}

function TokenSignIn(props: { onSignedIn: (session: Session) => void; notice?: string | undefined }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const token = String(new FormData(event.target as HTMLFormElement).get('token') ?? '').trim();
    setBusy(true);
    setError(null);
    try {
      const session = await openSession(token);
      storeToken(token);
      props.onSignedIn(session);
    } catch (caught) {
      setError(
        isPromoterError(caught) && caught.status === 401
          ? `The API did not accept this token: ${caught.detail ?? 'unknown token'} Check it and try again.`
          : describeError(caught),
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="sign-in" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in</h1>
      <p>This service needs an API token. It is kept in this tab only (sessionStorage) and sent as a bearer token.</p>
      {props.notice && <p class="note">{props.notice}</p>}
      <form onSubmit={submit}>
        <label>
          API token
          <input name="token" type="password" autocomplete="off" required autofocus />
        </label>
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
      </form>
      {error && (
        <p class="error sign-in-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
