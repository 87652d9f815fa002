import type { ReactNode } from 'react';
import { describeError } from '../api.js';

export function ErrorNote({ error, what }: { error: unknown; what?: string }) {
  return (
    <p className="error" role="alert">
      {what ? `Could not load ${what}: ` : ''}
      {describeError(error)}
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

/** A query's three states in one place: loading, failed, or its content. */
export function Loaded<T>({ query, what, children }: { query: { data: T | undefined; error: unknown; isPending: boolean }; what: string; children: (data: T) => ReactNode }) {
  if (query.data !== undefined) return <>{children(query.data)}</>;
  if (query.error) return <ErrorNote error={query.error} what={what} />;
  return <Loading what={what} />;
}
