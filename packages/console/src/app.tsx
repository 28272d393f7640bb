import { useEffect, useState } from 'react';
import { api, loadSession, setDevActor } from './api.ts';
import { CasePage } from './pages/case-page.tsx';
import { Inbox } from './pages/inbox.tsx';
import { RuleEditPage } from './pages/rule-edit.tsx';
import { RulesPage } from './pages/rules.tsx';
import { Link, useLocation } from './router.tsx';
import { type Org, SessionContext, type SessionInfo } from './session.tsx';

function route(path: string) {
  const c = /^\/cases\/([^/]+)\/?$/.exec(path);
  if (c) return <CasePage id={decodeURIComponent(c[1]!)} />;
  if (/^\/(cases\/?)?$/.test(path)) return <Inbox />;
  if (/^\/rules\/?$/.test(path)) return <RulesPage />;
  const r = /^\/rules\/([^/]+)\/([^/]+)\/?$/.exec(path);
  if (r) return <RuleEditPage kind={decodeURIComponent(r[1]!)} id={decodeURIComponent(r[2]!)} />;
  return (
    <main id="main">
      <h1>Page not found</h1>
      <p>
        <Link to="/cases">Go to the cases</Link>
      </p>
    </main>
  );
}

function DevPicker(props: { session: SessionInfo; onPick: (id: string) => void }) {
  return (
    <div className="dev-picker">
      <label htmlFor="dev-actor">Acting as (dev sign-in)</label>
      <select
        id="dev-actor"
        value={props.session.devActor ?? ''}
        onChange={(e) => props.onPick(e.target.value)}
      >
        <option value="">— pick a person —</option>
        {props.session.org.people.map((p) => (
          <option key={p.id} value={p.id}>
            {p.name} ({p.id})
          </option>
        ))}
      </select>
    </div>
  );
}

export function App() {
  const { path } = useLocation();
  const [session, setSession] = useState<SessionInfo | undefined>();
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    (async () => {
      try {
        const who = await loadSession();
        const org = await api<Org>('GET', '/v1/org').catch(() => ({ segments: [], people: [] }) as Org);
        setSession(
          'me' in who ? { me: who.me, org } : { org, ...(who.actor ? { devActor: who.actor } : {}) },
        );
      } catch (e) {
        setError((e as Error).message);
      }
    })();
  }, []);

  useEffect(() => {
    const page = path.startsWith('/rules') ? 'Rules' : path.startsWith('/cases/') ? 'Case' : 'Cases';
    document.title = `${page} · closedloop`;
  }, [path]);

  if (error)
    return (
      <main id="main">
        <h1>closedloop</h1>
        <p role="alert">{error}</p>
      </main>
    );
  if (!session)
    return (
      <main id="main">
        <p>Loading…</p>
      </main>
    );

  const section = path.startsWith('/rules') ? 'rules' : 'cases';
  return (
    <SessionContext.Provider value={session}>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">closedloop</span>
        <nav aria-label="Main">
          <Link to="/cases" {...(section === 'cases' ? { 'aria-current': 'page' as const } : {})}>
            Cases
          </Link>
          <Link to="/rules" {...(section === 'rules' ? { 'aria-current': 'page' as const } : {})}>
            Rules
          </Link>
        </nav>
        {session.me ? (
          <span className="who">
            {session.me.name} · {session.me.roles.join(', ')}
            <button
              type="button"
              className="signout"
              onClick={() => void signOut(session.me?.csrfToken ?? '')}
            >
              Sign out
            </button>
          </span>
        ) : (
          <DevPicker
            session={session}
            onPick={(id) => {
              setDevActor(id);
              setSession({ ...session, devActor: id });
            }}
          />
        )}
      </header>
      {route(path)}
    </SessionContext.Provider>
  );
}

/**
 * Signs out with the API (JSON, CSRF header), then follows where the server says to go: the
 * provider's end-session page may be on another site, which a form post could not reach under
 * the console's `form-action 'self'` policy.
 */
async function signOut(csrfToken: string): Promise<void> {
  const res = await fetch('/auth/logout', {
    method: 'POST',
    headers: { accept: 'application/json', 'x-csrf-token': csrfToken },
  });
  const body = (await res.json().catch(() => ({}))) as { redirect?: string };
  window.location.assign(body.redirect ?? '/auth/signed-out');
}
