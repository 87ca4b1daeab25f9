-- Console sessions of people signed in through the OpenID provider (issue 25). Several replicas share them,
-- so they live here, not in a replica's memory. Only the SHA-256 digest of the session id (the cookie) is
-- stored: a copy of this table does not let anyone act as the people in it.
CREATE TABLE console_sessions (
  id_sha256      text PRIMARY KEY,
  identity       jsonb NOT NULL,
  role           text NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
  namespaces     jsonb,
  clusters       jsonb,
  csrf_token     text NOT NULL,
  -- The provider's refresh token (to ask it every few minutes whether the person's session still holds) and
  -- ID token (the hint of the provider's sign-out), sealed with AES-256-GCM under a key derived from the
  -- session id, which only the cookie holds: this table alone opens neither.
  sealed_refresh_token text,
  sealed_id_token      text,
  checked_at     timestamptz NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  expires_at     timestamptz NOT NULL
);
CREATE INDEX console_sessions_expires_at ON console_sessions (expires_at);

-- A sign-in between the redirect to the provider and its callback: the PKCE verifier, state and nonce,
-- bound to the browser by a cookie holding the attempt id (stored as its digest). Used once.
CREATE TABLE sign_in_attempts (
  id_sha256      text PRIMARY KEY,
  state          text NOT NULL,
  nonce          text NOT NULL,
  code_verifier  text NOT NULL,
  return_to      text NOT NULL,
  redirect_uri   text NOT NULL,
  expires_at     timestamptz NOT NULL
);
