import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useContext, useEffect, useMemo, useState } from 'react';
import type { Role, Whoami } from '../../src/sdk/browser.js';
import { clientFor, describeError, type SextantClient, storedToken, storeToken } from './api.js';
import { Login } from './pages/login.js';

interface Session {
  client: SextantClient;
  me: Whoami & { actor: string; role: Role };
  /** Whether the caller's role reaches `role` (the server checks again on every call). */
  can(role: Role): boolean;
  signOut(): void;
}

const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}

export const useClient = () => useSession().client;

/** Sent by the query cache when a call answers 401: the token expired or was revoked. */
export const SIGNED_OUT = 'sextant:signed-out';

/** Asks the server who we are; with auth on and no valid token, shows the login page instead. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [token, setToken] = useState(storedToken);
  const [ended, setEnded] = useState(false);
  const client = useMemo(() => clientFor(token), [token]);
  const queries = useQueryClient();
  const me = useQuery({ queryKey: ['whoami', token], queryFn: () => client.session.whoami(), retry: false, staleTime: 60_000 });
  const signIn = (t: string | null) => {
    storeToken(t);
    queries.clear();
    setToken(t);
  };
  useEffect(() => {
    const out = () => {
      setEnded(true);
      signIn(null);
    };
    window.addEventListener(SIGNED_OUT, out);
    return () => window.removeEventListener(SIGNED_OUT, out);
  });
  if (me.isPending) return <p className="boot" role="status">Connecting to Sextant…</p>;
  if (me.error) return <p className="boot error" role="alert">Sextant did not answer: {describeError(me.error)}</p>;
  const who = me.data;
  if (!who.signedIn || who.actor === null || who.role === null) {
    return <Login onToken={(t) => { setEnded(false); signIn(t); }} problem={token ? 'That token was refused.' : ended ? 'Your session ended: the token expired or was revoked.' : null} />;
  }
  const session: Session = { client, me: { ...who, actor: who.actor, role: who.role }, can: (role) => who.allows.includes(role), signOut: () => signIn(null) };
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

/**
 * The caller's roles on one model, grants included (a token may be a viewer everywhere and a
 * deployer on its team's model); the global roles until the server answers.
 */
export function useAccess(model: string | undefined): { role: Role; can(role: Role): boolean } {
  const { client, me, can } = useSession();
  const onModel = useQuery({
    queryKey: ['whoami-model', model],
    enabled: model !== undefined && me.auth,
    queryFn: () => client.session.whoami(model),
    staleTime: 60_000,
  });
  const who = onModel.data;
  if (!who?.signedIn || who.role === null) return { role: me.role, can };
  return { role: who.role, can: (role) => who.allows.includes(role) };
}
