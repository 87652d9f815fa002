import { type AnchorHTMLAttributes, type MouseEvent, useSyncExternalStore } from 'react';

// A small history router: the dashboard has seven pages, a library would cost more than this file.

const listeners = new Set<() => void>();
const notify = () => listeners.forEach((l) => l());
window.addEventListener('popstate', notify);

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

const snapshot = () => window.location.pathname + window.location.search;

/** Goes to a path of the dashboard without reloading; `replace` keeps the history entry. */
export function navigate(to: string, replace = false): void {
  if (to === snapshot()) return;
  if (replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  notify();
}

/** The current path and query, re-rendering on every move. */
export function useLocation(): { path: string; search: URLSearchParams } {
  const href = useSyncExternalStore(subscribe, snapshot);
  const [path, query = ''] = href.split('?');
  return { path: path!, search: new URLSearchParams(query) };
}

/** One query parameter, and a setter that keeps the others (replacing the history entry). */
export function useSearchParam(name: string): [string | null, (value: string | null) => void] {
  const { path, search } = useLocation();
  const set = (value: string | null) => {
    const next = new URLSearchParams(window.location.search);
    if (value === null || value === '') next.delete(name);
    else next.set(name, value);
    const q = next.toString();
    navigate(q ? `${path}?${q}` : path, true);
  };
  return [search.get(name), set];
}

export type Route =
  | { page: 'overview' }
  | { page: 'model'; name: string }
  | { page: 'deployment'; name: string }
  | { page: 'monitoring' }
  | { page: 'jobs' }
  | { page: 'governance' }
  | { page: 'missing' };

export function match(path: string): Route {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { page: 'overview' };
  if (parts[0] === 'models' && parts.length === 2) return { page: 'model', name: parts[1]! };
  if (parts[0] === 'deployments' && parts.length === 2) return { page: 'deployment', name: parts[1]! };
  if (parts.length === 1 && (parts[0] === 'monitoring' || parts[0] === 'jobs' || parts[0] === 'governance')) return { page: parts[0] };
  return { page: 'missing' };
}

/** A link that moves inside the dashboard; modified clicks (new tab) behave as usual. */
export function Link({ to, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { to: string }) {
  const click = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={click} {...rest} />;
}
