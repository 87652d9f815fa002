import { lazy, Suspense, useEffect } from 'react';
import { Loading } from './components/notes.js';
import { OverviewPage } from './pages/overview.js';
import { Link, match, type Route, useLocation } from './router.js';
import { useSession } from './session.js';
import { useTheme } from './theme.js';

// The overview comes with the first script; every other page (and the chart library) loads when
// first visited, so the page an on-call engineer opens first has the least to parse.
const ModelPage = lazy(() => import('./pages/model.js').then((m) => ({ default: m.ModelPage })));
const DeploymentPage = lazy(() => import('./pages/deployment.js').then((m) => ({ default: m.DeploymentPage })));
const MonitoringPage = lazy(() => import('./pages/monitoring.js').then((m) => ({ default: m.MonitoringPage })));
const JobsPage = lazy(() => import('./pages/jobs.js').then((m) => ({ default: m.JobsPage })));
const GovernancePage = lazy(() => import('./pages/governance.js').then((m) => ({ default: m.GovernancePage })));

const NAV: { to: string; label: string; page: Route['page'] }[] = [
  { to: '/', label: 'Overview', page: 'overview' },
  { to: '/monitoring', label: 'Monitoring', page: 'monitoring' },
  { to: '/jobs', label: 'Jobs', page: 'jobs' },
  { to: '/governance', label: 'Approvals & audit', page: 'governance' },
];

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'overview':
      return <OverviewPage />;
    case 'model':
      return <ModelPage name={route.name} />;
    case 'deployment':
      return <DeploymentPage name={route.name} />;
    case 'monitoring':
      return <MonitoringPage />;
    case 'jobs':
      return <JobsPage />;
    case 'governance':
      return <GovernancePage />;
    default:
      return (
        <>
          <h1>Not found</h1>
          <p>
            There is no such page. <Link to="/">Back to the overview</Link>.
          </p>
        </>
      );
  }
}

const TITLES: Record<Route['page'], string> = {
  overview: 'Overview',
  model: 'Model',
  deployment: 'Deployment',
  monitoring: 'Monitoring',
  jobs: 'Jobs',
  governance: 'Approvals & audit',
  missing: 'Not found',
};

/** The frame every page sits in: skip link, header with navigation, theme and session, the page. */
export function App() {
  const { path } = useLocation();
  const route = match(path);
  const { theme, toggle } = useTheme();
  const { me, signOut } = useSession();
  useEffect(() => {
    const name = 'name' in route ? `${route.name} · ` : '';
    document.title = `${name}${TITLES[route.page]} · Sextant`;
    window.scrollTo(0, 0);
  }, [path]);
  const section = route.page === 'model' || route.page === 'deployment' ? 'overview' : route.page;
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <Link to="/" className="brand" aria-label="Sextant overview">
          <svg viewBox="0 0 32 32" width="22" height="22" aria-hidden="true">
            <circle cx="16" cy="16" r="14" fill="var(--accent)" />
            <path d="M8 22 L16 7 L24 22 Z" fill="none" stroke="#fff" strokeWidth="2.4" strokeLinejoin="round" />
            <circle cx="16" cy="19" r="2.4" fill="#fff" />
          </svg>
          Sextant
        </Link>
        <nav aria-label="Main">
          <ul>
            {NAV.map((n) => (
              <li key={n.to}>
                <Link to={n.to} aria-current={section === n.page ? 'page' : undefined}>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="session">
          <span className="who" title={me.auth ? 'signed in with a token' : 'the server runs without auth'}>
            {me.actor} · {me.role}
          </span>
          <button type="button" onClick={toggle} aria-label={`Switch to ${theme === 'light' ? 'dark' : 'light'} theme`}>
            {theme === 'light' ? '☾' : '☀'}
          </button>
          {me.auth && (
            <button type="button" onClick={signOut}>
              Sign out
            </button>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<Loading what="the page" />}>
          <Page route={route} />
        </Suspense>
      </main>
    </>
  );
}
