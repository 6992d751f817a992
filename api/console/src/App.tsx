import { useState } from 'react';
import { BrowserRouter, Navigate, NavLink, Outlet, Route, Routes, useLocation } from 'react-router-dom';
import { pages } from './pages';
import { Login } from './pages/Login';
import { SessionProvider, useSession } from './session';

// The router and the layout: a nav built from pages/index.ts (pages the user's role may not read are left
// out), who is signed in, sign out. Signed out (or a session that ended) goes to /console/login.

export function App() {
  return (
    <SessionProvider>
      <BrowserRouter basename="/console">
        <Routes>
          <Route path="login" element={<Login />} />
          <Route element={<Layout />}>
            <Route index element={<Navigate to="/orders" replace />} />
            {pages.map((p) => (
              <Route key={p.name} path={p.path} element={<p.component />} />
            ))}
            <Route path="*" element={<p className="empty">No such page.</p>} />
          </Route>
        </Routes>
      </BrowserRouter>
    </SessionProvider>
  );
}

function Layout() {
  const { session, signOut, can } = useSession();
  const location = useLocation();
  const [open, setOpen] = useState(false);
  if (session === undefined) return <p className="loading">Loading…</p>;
  if (session === null) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  const { principal } = session;
  return (
    <div className="layout">
      <header className="topbar">
        <button type="button" className="menu" aria-label="Menu" aria-expanded={open} onClick={() => setOpen(!open)}>
          ☰
        </button>
        <strong className="brand">Orderhub</strong>
        <nav className={open ? 'nav open' : 'nav'} aria-label="Main" onClick={() => setOpen(false)}>
          {pages
            .filter((p) => p.nav && (!p.permission || can(p.permission)))
            .map((p) => (
              <NavLink key={p.name} to={`/${p.path}`}>
                {p.nav}
              </NavLink>
            ))}
        </nav>
        <span className="who" data-testid="who">
          {principal.name} <span className="role">{principal.role}</span>
        </span>
        <button type="button" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <main>
        <Outlet />
      </main>
    </div>
  );
}
