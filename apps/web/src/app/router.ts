/**
 * Client-side routes on the History API (the server answers index.html for any path outside
 * its API, see packages/server/src/http/static-web.ts), so every screen has a real URL and
 * back/forward work.
 */
export type Route =
  | { readonly name: 'home' }
  | { readonly name: 'chat'; readonly peer: string }
  | { readonly name: 'safety'; readonly peer: string };

const NAVIGATE_EVENT = 'susurro:navigate';

export const homePath = '/';
export const chatPath = (peer: string) => `/chat/${encodeURIComponent(peer)}`;
export const safetyPath = (peer: string) => `${chatPath(peer)}/safety`;

export function parseRoute(pathname: string): Route {
  const m = /^\/chat\/([^/]+)(\/safety)?\/?$/.exec(pathname);
  if (!m) return { name: 'home' };
  let peer: string;
  try {
    peer = decodeURIComponent(m[1]!).toLowerCase();
  } catch {
    return { name: 'home' };
  }
  return m[2] ? { name: 'safety', peer } : { name: 'chat', peer };
}

let navigated = false;

/** Whether the user has moved between screens since the page loaded (focus management). */
export const hasNavigated = (): boolean => navigated;

export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (path === location.pathname) return;
  navigated = true;
  if (options.replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  window.dispatchEvent(new Event(NAVIGATE_EVENT));
}

const onPopState = () => {
  navigated = true;
};

export function subscribeRoute(onChange: () => void): () => void {
  window.addEventListener('popstate', onPopState);
  window.addEventListener('popstate', onChange);
  window.addEventListener(NAVIGATE_EVENT, onChange);
  return () => {
    window.removeEventListener('popstate', onPopState);
    window.removeEventListener('popstate', onChange);
    window.removeEventListener(NAVIGATE_EVENT, onChange);
  };
}

let cached: { path: string; route: Route } | undefined;

/** The current route, the same object while the path is unchanged (useSyncExternalStore). */
export function currentRoute(): Route {
  const path = location.pathname;
  if (cached?.path !== path) cached = { path, route: parseRoute(path) };
  return cached.route;
}
