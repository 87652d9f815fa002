import { QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import { modelsQuery, overviewQuery } from './pages/overview.js';
import { SessionProvider, SIGNED_OUT } from './session.js';
import { clientFor, SextantError, storedToken } from './api.js';
import { ThemeProvider } from './theme.js';
import './styles.css';

const queries = new QueryClient({
  // A 401 anywhere means the token no longer works: back to the login page.
  queryCache: new QueryCache({ onError: (err) => err instanceof SextantError && err.status === 401 && window.dispatchEvent(new Event(SIGNED_OUT)) }),
  defaultOptions: {
    queries: {
      // Live pages set their own refetch interval; everything refetches when the tab comes back.
      staleTime: 2_000,
      retry: (count, err) => count < 2 && !(err && typeof err === 'object' && 'status' in err && (err as { status: number }).status >= 400 && (err as { status: number }).status < 500),
      refetchOnWindowFocus: true,
    },
  },
});

// Who we are is the first question every page asks: send it before React has even started, and
// on the overview ask for its data as soon as we may, while React renders the frame.
const token = storedToken();
const client = clientFor(token);
queries
  .fetchQuery({ queryKey: ['whoami', token], queryFn: () => client.session.whoami(), staleTime: 60_000 })
  .then((me) => {
    if (!me.signedIn || window.location.pathname !== '/') return;
    void queries.prefetchQuery(overviewQuery(client));
    void queries.prefetchQuery(modelsQuery(client, new URLSearchParams(window.location.search).get('q'), undefined));
  })
  .catch(() => {});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ThemeProvider>
      <QueryClientProvider client={queries}>
        <SessionProvider>
          <App />
        </SessionProvider>
      </QueryClientProvider>
    </ThemeProvider>
  </StrictMode>,
);
