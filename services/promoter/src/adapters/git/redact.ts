/**
 * Removes secrets from text before it leaves the adapter (errors, logs, results). Git does not print a
 * token it got from GIT_ASKPASS, but remote servers echo URLs, hooks print what they like, and a
 * misconfigured URL may carry userinfo: every line git prints goes through here.
 */
const REDACTED = '***';

/** The secrets themselves, the Basic-auth forms of them, and any `scheme://user:pass@` userinfo. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, `$1${REDACTED}@`);
  for (const secret of secrets) {
    if (secret === '') continue;
    for (const form of secretForms(secret)) out = out.split(form).join(REDACTED);
  }
  return out;
}

function secretForms(secret: string): string[] {
  // Longest first, so a form containing another is removed whole.
  return [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')]
    .filter((form, i, all) => form.length > 0 && all.indexOf(form) === i)
    .sort((a, b) => b.length - a.length);
}
