/**
 * A small client-side router: the console's pages live under /ui/..., the service answers every such path
 * with index.html, and links change the history without a reload. Filters live in the query string so a
 * link can be shared.
 */
import { useEffect, useState } from 'preact/hooks';

export interface Location {
  readonly path: string;
  readonly query: URLSearchParams;
}

const listeners = new Set<() => void>();

function current(): Location {
  return { path: window.location.pathname.replace(/^\/ui/, '') || '/', query: new URLSearchParams(window.location.search) };
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const url = to.startsWith('/ui') ? to : `/ui${to}`;
  if (options.replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  for (const listener of listeners) listener();
}

export function useLocation(): Location {
  const [location, setLocation] = useState(current);
  useEffect(() => {
    const update = () => setLocation(current());
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return location;
}

/** Left clicks on same-origin /ui links go through the router; modified clicks open tabs as usual. */
export function interceptLinks(root: HTMLElement): void {
  root.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const anchor = (event.target as Element).closest('a');
    if (!anchor || anchor.target || anchor.origin !== window.location.origin || !anchor.pathname.startsWith('/ui')) return;
    event.preventDefault();
    navigate(anchor.pathname + anchor.search);
  });
}
