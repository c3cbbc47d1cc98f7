// app.js - the dashboard's entry: who is signed in (GET /v1/session), the hash router
// (#/programs, ...) and the layout. Admins get the merchant's pages, affiliate users the
// portal. Everything is rendered in the browser from the JSON API; the server only
// serves these files (embedded in the binary) with a CSP that forbids inline scripts.
import { render } from './vendor/preact.mjs';
import { useEffect, useState } from './vendor/hooks.mjs';
import { api, get, setCsrf, setSignedOutHandler } from './api.js';
import { html } from './ui.js';
import { SignIn } from './pages/signin.js';
import { SignUp } from './pages/signup.js';
import { Affiliates, Clicks, Conversions, Coupons, Links, Overview, Programs } from './pages/admin.js';
import { Commissions, Payouts } from './pages/money.js';
import { Review } from './pages/review.js';
import { ApplyProgram, Content, PortalAnnouncements, PortalCreatives, PortalPrograms } from './pages/content.js';
import { ProgramSettings } from './pages/settings.js';
import { PortalCommissions, PortalConversions, PortalCoupons, PortalLinks, PortalOverview, PortalPayouts } from './pages/portal.js';

const ADMIN_ROUTES = [
  { path: '/', label: 'Overview', page: Overview },
  { path: '/programs', label: 'Programs', page: Programs },
  { path: '/affiliates', label: 'Affiliates', page: Affiliates },
  { path: '/links', label: 'Links', page: Links },
  { path: '/coupons', label: 'Coupons', page: Coupons },
  { path: '/clicks', label: 'Clicks', page: Clicks },
  { path: '/conversions', label: 'Conversions', page: Conversions },
  { path: '/review', label: 'Review', page: Review },
  { path: '/commissions', label: 'Commissions', page: Commissions },
  { path: '/payouts', label: 'Payouts', page: Payouts },
  { path: '/content', label: 'Content', page: Content },
  // not in the menu: reached from a row of its parent's page
  { path: '/program', label: 'Program', page: ProgramSettings, parent: '/programs' },
];
const PORTAL_ROUTES = [
  { path: '/', label: 'Overview', page: PortalOverview },
  { path: '/my-programs', label: 'Programs', page: PortalPrograms },
  { path: '/links', label: 'Links', page: PortalLinks },
  { path: '/creatives', label: 'Creatives', page: PortalCreatives },
  { path: '/news', label: 'News', page: PortalAnnouncements },
  { path: '/coupons', label: 'Coupons', page: PortalCoupons },
  { path: '/conversions', label: 'Conversions', page: PortalConversions },
  { path: '/commissions', label: 'Commissions', page: PortalCommissions },
  { path: '/payouts', label: 'Payouts', page: PortalPayouts },
];

function currentPath() {
  const h = window.location.hash.replace(/^#/, '');
  return h.startsWith('/') ? h.split('?')[0] : '/';
}

/** The hash route's query (#/program?id=3 -> "id=3"): a page that reads it is remounted when it changes. */
function currentQuery() {
  return window.location.hash.split('?')[1] || '';
}

function App() {
  const [session, setSession] = useState(undefined); // undefined: asking; null: signed out
  const [notice, setNotice] = useState(null);
  const [path, setPath] = useState(currentPath());
  const [query, setQuery] = useState(currentQuery());
  const [me, setMe] = useState(null);

  useEffect(() => {
    const onHash = () => { setPath(currentPath()); setQuery(currentQuery()); };
    window.addEventListener('hashchange', onHash);
    setSignedOutHandler(() => { setCsrf(null); setSession(null); setNotice('Your session ended. Please sign in again.'); });
    get('/v1/session').then(accept).catch(() => setSession(null));
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  function accept(s) {
    setCsrf(s.csrf_token);
    setSession(s);
    setNotice(null);
    if (s.user && s.user.role === 'affiliate') get('/v1/me').then(setMe).catch(() => setMe(null));
  }

  async function signOut() {
    try { await api('DELETE', '/v1/session'); } catch { /* ended anyway */ }
    setCsrf(null);
    setSession(null);
    setMe(null);
    setNotice('You are signed out.');
    window.location.hash = '#/';
  }

  // A program's public application page, whoever looks at it (#/apply/{program id}).
  const apply = path.match(/^\/apply\/(\d+)$/);
  if (apply) return html`<${ApplyProgram} programId=${apply[1]} user=${session && session.user ? session.user : null} />`;
  if (session === undefined) return html`<p class="muted center">Loading…</p>`;
  if (session === null || !session.user) {
    return path === '/apply' ? html`<${SignUp} />` : html`<${SignIn} onSignedIn=${accept} notice=${notice} />`;
  }

  const portal = session.user.role === 'affiliate';
  const routes = portal ? PORTAL_ROUTES : ADMIN_ROUTES;
  const route = routes.find((r) => r.path === path) || routes[0];
  const Page = route.page;
  return html`<div class="shell">
    <header class="topbar">
      <a class="brand" href="#/"><img src="/assets/favicon.svg" alt="" width="24" height="24" /> afftrack
        <span class="muted">${portal ? 'partner portal' : 'dashboard'}</span></a>
      <nav class="nav" aria-label="main">
        ${routes.filter((r) => !r.parent).map((r) => {
          const on = r === route || r.path === route.parent;
          return html`<a href=${`#${r.path}`} class=${on ? 'active' : ''} aria-current=${on ? 'page' : undefined}>${r.label}</a>`;
        })}
      </nav>
      <div class="user">
        <span class="muted" title=${session.user.email}>${session.user.email}</span>
        <button type="button" class="secondary" onClick=${signOut}>Sign out</button>
      </div>
    </header>
    <main><${Page} key=${`${route.path}?${query}`} me=${me} /></main>
  </div>`;
}

render(html`<${App} />`, document.getElementById('app'));
