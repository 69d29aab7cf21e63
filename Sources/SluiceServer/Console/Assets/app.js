// The console's shell: session, navigation (hash routes), and the page in view.
import * as api from './api.js';
import { h, mount, badge, errorBanner } from './ui.js';
import { signInPage } from './pages/signin.js';
import { overviewPage } from './pages/overview.js';
import { nodesPage } from './pages/nodes.js';
import { policiesPage } from './pages/policies.js';
import { eventsPage } from './pages/events.js';
import { alertsPage } from './pages/alerts.js';
import { rulesPage } from './pages/rules.js';
import { reportsPage } from './pages/reports.js';
import { applicationsPage } from './pages/applications.js';
import { feedsPage } from './pages/feeds.js';

const pages = [
  { path: 'overview', title: 'Overview', render: overviewPage },
  { path: 'nodes', title: 'Nodes', render: nodesPage },
  { path: 'policies', title: 'Policies', render: policiesPage },
  { path: 'events', title: 'Events', render: eventsPage },
  { path: 'alerts', title: 'Alerts', render: alertsPage },
  { path: 'apps', title: 'Applications', render: applicationsPage },
  { path: 'rules', title: 'Learned rules', render: rulesPage },
  { path: 'reports', title: 'Reports', render: reportsPage },
  { path: 'feeds', title: 'Threat feeds', render: feedsPage },
];

const ranks = { viewer: 0, operator: 1, admin: 2 };

/// What the page knows about who is signed in; `can(role)` hides controls the server would refuse.
export const session = {
  user: null,
  can(role) { return !!this.user && ranks[this.user.role] >= ranks[role]; },
};

const root = document.getElementById('app');
let cleanup = null;

function route() {
  const [path, ...rest] = location.hash.replace(/^#\/?/, '').split('/');
  return { page: pages.find((p) => p.path === path) || pages[0], args: rest.map(decodeURIComponent) };
}

async function render() {
  if (cleanup) { try { cleanup(); } catch { /* page gone */ } cleanup = null; }
  if (!session.user) return showSignIn();
  const { page, args } = route();
  document.title = `${page.title} · Sluice`;
  const main = h('main.content#main', { tabindex: '-1' });
  mount(root, h('div.shell', sidebar(page), main));
  root.classList.remove('booting');
  try {
    cleanup = await page.render(main, { args, session, navigate });
  } catch (error) {
    mount(main, h('div.page-head', h('h1', page.title)), errorBanner(error));
  }
}

function sidebar(current) {
  return h('nav.sidebar', { 'aria-label': 'Console' },
    h('a.brand', { href: '#/overview' }, h('img', { src: '/console/favicon.svg', alt: '' }), 'Sluice'),
    h('div.nav', pages.map((p) => h('a', { href: `#/${p.path}`, 'aria-current': p === current ? 'page' : null }, p.title))),
    h('div.who',
      h('span', h('strong', session.user.name), ' ', badge(session.user.role, session.user.role)),
      h('button', { type: 'button', id: 'sign-out', on: { click: signOut } }, 'Sign out')));
}

export function navigate(hash) {
  if (location.hash === hash) render(); else location.hash = hash;
}

function showSignIn(message) {
  document.title = 'Sign in · Sluice';
  root.classList.remove('booting');
  signInPage(root, {
    message,
    signedIn(created) {
      api.setCSRF(created.csrf_token);
      session.user = created.user;
      if (!location.hash || location.hash === '#/signin') location.hash = '#/overview'; else render();
    },
  });
}

async function signOut() {
  try { await api.post('/logout'); } catch { /* the session may be gone already */ }
  session.user = null;
  api.setCSRF(null);
  showSignIn('You are signed out.');
}

api.whenSignedOut((message) => {
  if (!session.user) return;
  session.user = null;
  showSignIn(message);
});

window.addEventListener('hashchange', render);

// A reload keeps the cookie but not the CSRF token: ask the server for it again.
(async () => {
  try {
    const current = await api.get('/session');
    api.setCSRF(current.csrf_token);
    session.user = current.user;
  } catch { /* not signed in */ }
  render();
})();
