/** Small hooks shared by the screens. */
import { useEffect, useSyncExternalStore, type MouseEvent, type RefObject } from 'react';
import { currentRoute, hasNavigated, navigate, subscribeRoute, type Route } from '../app/router.ts';

export function useRoute(): Route {
  return useSyncExternalStore(subscribeRoute, currentRoute);
}

/**
 * Moves keyboard and screen-reader focus to `ref` (a heading with tabIndex -1) when a screen
 * opens after a client-side navigation, so the user lands on the new screen's title instead
 * of a link that no longer exists. The first screen after a page load keeps the browser's
 * default focus.
 */
export function useFocusOnNavigation(ref: RefObject<HTMLElement | null>, key: string): void {
  useEffect(() => {
    if (hasNavigated()) ref.current?.focus();
  }, [key, ref]);
}

/** onClick for in-app links: client-side navigation, unless the user asked for a new tab. */
export function linkTo(path: string) {
  return (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(path);
  };
}
