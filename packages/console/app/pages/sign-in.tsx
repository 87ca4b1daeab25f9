/** Sign-in: a bearer token, checked against the API (`GET /v1/me`) and kept in sessionStorage only. */
import { useState } from 'preact/hooks';
import { isPromoterError } from '@promoter/sdk';
import { describeError } from '../lib/errors.js';
import { openSession, storeToken, type Session } from '../lib/session.js';

export function SignIn(props: { onSignedIn: (session: Session) => void; notice?: string | undefined }) {
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
