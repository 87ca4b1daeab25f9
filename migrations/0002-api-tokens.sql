-- API tokens created through the admin API. Only a SHA-256 digest of each secret is stored; the
-- secret itself is shown once, when the token is created.
CREATE TABLE api_tokens (
  name          text PRIMARY KEY,
  role          text NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
  namespaces    jsonb,
  secret_sha256 text NOT NULL UNIQUE,
  created_by    text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  revoked_at    timestamptz
);
