/**
 * Removes secrets from text before it leaves the adapter (errors, logs, results). Git does not print a
 * token it got from GIT_ASKPASS, but remote servers echo URLs, hooks print what they like, and a
 * misconfigured URL may carry userinfo: every line git prints goes through here.
 */
const REDACTED = '***';

/** The secrets themselves, the Basic-auth forms of them, and any `scheme://user:pass@` userinfo. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, `$1${REDACTED}@`);
  // All forms of all secrets, longest first: the Basic form of "user:token" may contain a short secret,
  // and removing that first would leave the rest of the encoded credential behind.
  const forms = secrets
    .filter((secret) => secret !== '')
    .flatMap((secret) => [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')])
    .filter((form, i, all) => all.indexOf(form) === i)
    .sort((a, b) => b.length - a.length);
  for (const form of forms) out = out.split(form).join(REDACTED);
  return out;
}
