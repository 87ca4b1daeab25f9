/**
 * What the sign-in page says after the service sent the browser back from a sign-in that did not end in a
 * session (`/ui/?signIn=<reason>`): the reasons the service gives, never the provider's details.
 */
const NOTICES: Readonly<Record<string, string>> = {
  'no-access': 'You signed in, but your account has no access to this service: none of its rules grants your groups anything. Ask an administrator to add your group.',
  failed: 'The sign-in with the identity provider did not complete. Try again.',
  expired: 'The sign-in took too long or was already used. Try again.',
  'signed-out': 'You are signed out.',
};

/** The notice for a URL's `signIn` parameter, or undefined (none, or one this console does not know). */
export function signInNotice(search: string): string | undefined {
  const reason = new URLSearchParams(search).get('signIn');
  return reason !== null && Object.hasOwn(NOTICES, reason) ? NOTICES[reason] : undefined;
}

/** Where the provider's sign-in returns to: this page, without the previous sign-in's notice. */
export function returnToOf(pathname: string, search: string): string {
  const params = new URLSearchParams(search);
  params.delete('signIn');
  const rest = params.toString();
  return `${pathname}${rest ? `?${rest}` : ''}`;
}
