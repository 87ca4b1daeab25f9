/** The console's entry: the session (or the sign-in), the navigation, and the page for the URL. */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { isPromoterError, type OidcSignIn } from '@promoter/sdk';
import { Backtest } from './pages/backtest.js';
import { BlockedImagesList } from './pages/blocked-images.js';
import { PipelinePage, PipelinesList } from './pages/pipelines.js';
import { PoliciesList, PolicyPage } from './pages/policies.js';
import { PromotionPage } from './pages/promotion-page.js';
import { PromotionsList } from './pages/promotions-list.js';
import { SignIn } from './pages/sign-in.js';
import { describeError } from './lib/errors.js';
import { interceptLinks, useLocation, type Location } from './lib/router.js';
import { isCookieSession, openSession, signInOptions, signOutOfProvider, storedToken, storeToken, type Session } from './lib/session.js';
import { signInNotice } from './lib/sign-in-notice.js';
import './styles.css';

type Boot =
  | { kind: 'loading' }
  | { kind: 'signed-in'; session: Session }
  | { kind: 'sign-in'; notice?: string | undefined; oidc: OidcSignIn | null }
  | { kind: 'error'; message: string };

function App() {
  const [boot, setBoot] = useState<Boot>({ kind: 'loading' });
  const location = useLocation();

  useEffect(() => {
    const token = storedToken();
    openSession(token)
      .then((session) => setBoot({ kind: 'signed-in', session }))
      .catch((error: unknown) => {
        if (isPromoterError(error) && error.status === 401) {
          storeToken(undefined);
          const notice = token ? 'Your token is no longer accepted; sign in again.' : signInNotice(window.location.search);
          // Whether people sign in through an OpenID provider (then no token box) or with a token.
          signInOptions()
            .then((oidc) => setBoot({ kind: 'sign-in', notice, oidc }))
            .catch((optionsError: unknown) => setBoot({ kind: 'error', message: describeError(optionsError) }));
        } else setBoot({ kind: 'error', message: describeError(error) });
      });
  }, []);

  const signOut = () => {
    if (boot.kind === 'signed-in' && isCookieSession(boot.session)) {
      void signOutOfProvider(boot.session, boot.session.principal.signIn?.logoutUrl ?? '/auth/logout');
      return;
    }
    storeToken(undefined);
    setBoot({ kind: 'sign-in', oidc: null });
  };

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="/ui/">
          promoter
        </a>
        <nav aria-label="Main">
          <a href="/ui/" aria-current={location.path === '/' || location.path.startsWith('/promotions') ? 'page' : undefined}>
            Promotions
          </a>
          <a href="/ui/pipelines" aria-current={location.path.startsWith('/pipelines') ? 'page' : undefined}>
            Pipelines
          </a>
          <a href="/ui/policies" aria-current={location.path.startsWith('/policies') ? 'page' : undefined}>
            Policies
          </a>
          <a href="/ui/backtest" aria-current={location.path.startsWith('/backtest') ? 'page' : undefined}>
            Backtest
          </a>
          <a href="/ui/blocked-images" aria-current={location.path.startsWith('/blocked-images') ? 'page' : undefined}>
            Blocked images
          </a>
          <a href="/docs">API</a>
        </nav>
        {boot.kind === 'signed-in' && (
          <div class="who" data-role={boot.session.principal.role}>
            {boot.session.principal.open ? 'open API' : `${boot.session.principal.name} (${boot.session.principal.role}${boot.session.principal.namespaces ? `: ${boot.session.principal.namespaces.join(', ')}` : ''}${boot.session.principal.clusters ? `; clusters ${boot.session.principal.clusters.join(', ')}` : ''})`}
            {!boot.session.principal.open && (
              <button type="button" class="link" onClick={signOut}>
                Sign out
              </button>
            )}
          </div>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {boot.kind === 'loading' && <p class="muted">Loading…</p>}
        {boot.kind === 'error' && (
          <p class="error" role="alert">
            {boot.message}
          </p>
        )}
        {boot.kind === 'sign-in' && <SignIn notice={boot.notice} oidc={boot.oidc} onSignedIn={(session) => setBoot({ kind: 'signed-in', session })} />}
        {boot.kind === 'signed-in' && <Page session={boot.session} location={location} />}
      </main>
    </>
  );
}

function Page(props: { session: Session; location: Location }) {
  const { path } = props.location;
  const promotion = /^\/promotions\/([0-9a-f-]{36})$/.exec(path);
  if (promotion) return <PromotionPage key={promotion[1]} session={props.session} id={promotion[1]!} />;
  const pipeline = /^\/pipelines\/([a-z0-9-]+)(?:\/runs\/([0-9a-f-]{36}))?$/.exec(path);
  if (pipeline) return <PipelinePage key={pipeline[1]} session={props.session} name={pipeline[1]!} runId={pipeline[2]} />;
  if (path === '/pipelines') return <PipelinesList session={props.session} />;
  const policy = /^\/policies\/([a-z0-9-]+)$/.exec(path);
  if (policy) return <PolicyPage key={policy[1]} session={props.session} name={policy[1]!} location={props.location} />;
  if (path === '/policies') return <PoliciesList session={props.session} />;
  if (path === '/backtest') return <Backtest session={props.session} />;
  if (path === '/blocked-images') return <BlockedImagesList session={props.session} location={props.location} />;
  if (path === '/' || path === '/promotions') return <PromotionsList session={props.session} location={props.location} />;
  return (
    <p>
      Nothing here. <a href="/ui/">Promotions</a>
    </p>
  );
}

const root = document.getElementById('app')!;
interceptLinks(document.body);
render(<App />, root);
