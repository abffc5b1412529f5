// Entry point: header, language toggle, hash router.
import { h, replace } from './dom.js';
import { t, getLang, setLang, setDefaultLang, onLangChange, roleName } from './i18n.js';
import { getUser, loadMe, logout, onUserChange, isStaff, isAdmin, isKiosk, setUser, can } from './session.js';
import { flash, notice } from './ui.js';
import * as catalog from './views/catalog.js';
import * as loginView from './views/login.js';
import * as desk from './views/desk.js';
import * as members from './views/members.js';
import * as collection from './views/collection.js';
import * as loans from './views/loans.js';
import * as account from './views/account.js';
import * as admin from './views/admin.js';
import * as reports from './views/reports.js';
import * as kiosk from './views/kiosk.js';
import * as visits from './views/visits.js';
import * as stocktake from './views/stocktake.js';
import * as print from './views/print.js';
import * as firstStart from './views/firststart.js';
import * as classsets from './views/classsets.js';
import * as reading from './views/reading.js';
import { api } from './api.js';

// [pattern, render function, who may see it: 'public' | 'user' | 'staff' | 'admin', nav key]
const routes = [
  ['katalog', catalog.renderSearch, 'public', 'catalog'],
  ['buku/:id', catalog.renderBook, 'public', 'catalog'],
  ['masuk', loginView.render, 'public', 'login'],
  ['meja', desk.render, 'staff', 'desk'],
  ['meja/:panel', desk.render, 'staff', 'desk'],
  ['anggota', members.renderList, 'staff', 'members'],
  ['anggota/baru', members.renderCreate, 'staff', 'members'],
  ['anggota/:id', members.renderDetail, 'staff', 'members'],
  ['koleksi', collection.renderList, 'staff', 'collection'],
  ['koleksi/baru', collection.renderCreate, 'staff', 'collection'],
  ['koleksi/:id', collection.renderDetail, 'staff', 'collection'],
  ['pinjaman', loans.render, 'staff', 'loans'],
  ['pinjaman/:tab', loans.render, 'staff', 'loans'],
  ['akun', account.render, 'user', 'account'],
  ['laporan', reports.render, 'staff', 'reports'],
  ['laporan/:name', reports.render, 'staff', 'reports'],
  ['admin', admin.render, 'admin', 'admin'],
  ['admin/:tab', admin.render, 'admin', 'admin'],
  ['tamu', kiosk.render, 'kiosk', 'kiosk'],
  // The library's two other scanners are reached from the desk's tabs (the header has no room
  // for another menu entry at 1366 px in English). Not the desk's own nav key: coming back to the
  // desk from them clears the member selected there, as from any other view.
  ['kunjungan', visits.render, 'staff', 'scanners'],
  ['stock-opname', stocktake.renderList, 'staff', 'scanners'],
  ['stock-opname/:id', stocktake.renderDetail, 'staff', 'scanners'],
  ['buku-paket', classsets.render, 'staff', 'scanners'],
  ['cetak', print.render, 'staff', 'print'],
  ['literasi', reading.render, 'staff', 'reading'],
  ['mulai', firstStart.render, 'admin', 'admin'],
];

/** Parse location.hash ("#/buku/12?x=1") into a route match. */
function matchRoute(hash) {
  const raw = hash.replace(/^#\/?/, '');
  const [pathPart, queryPart = ''] = raw.split('?');
  const segments = pathPart.split('/').filter(Boolean).map(decodeURIComponent);
  const query = Object.fromEntries(new URLSearchParams(queryPart));
  if (!segments.length) return { route: routes[0], params: {}, query };
  for (const route of routes) {
    const parts = route[0].split('/');
    if (parts.length !== segments.length) continue;
    const params = {};
    const ok = parts.every((p, i) => {
      if (p.startsWith(':')) { params[p.slice(1)] = segments[i]; return true; }
      return p === segments[i];
    });
    if (ok) return { route, params, query };
  }
  return null;
}

function allowed(access, user) {
  if (access === 'public') return true;
  if (access === 'user') return Boolean(user);
  if (access === 'staff') return isStaff(user);
  // Without a login the kiosk shows itself locked (keeping visits, asking staff to log in): the
  // login page would take the next card scanned as a username.
  if (access === 'kiosk') return !user || isStaff(user) || isKiosk(user);
  return isAdmin(user);
}

export function navigate(hash) {
  if (location.hash === hash) renderRoute();
  else location.hash = hash;
}

let renderCount = 0;
let activeNav = 'catalog';

async function renderRoute() {
  const view = document.getElementById('view');
  const match = matchRoute(location.hash);
  // A kiosk account shows the kiosk and nothing else: any other address (typed, or a link kept
  // from before) leads back to it. Staff leave it with a staff login on the kiosk itself.
  if (isKiosk(getUser()) && (!match || match.route[3] !== 'kiosk')) {
    location.replace('#/tamu');
    return;
  }
  const root = h('div', { class: 'view' });
  replace(view, root);
  renderCount += 1;
  const thisRender = renderCount;

  if (!match) {
    activeNav = '';
    renderHeader();
    replace(root, h('h1', { tabindex: '-1' }, t('nav.not_found')), notice('error', t('err.not_found')),
      h('p', {}, h('a', { href: '#/katalog' }, t('nav.catalog'))));
    root.querySelector('h1').focus();
    return;
  }
  const [, renderFn, access, navKey] = match.route;
  const cameFrom = activeNav;
  activeNav = navKey;
  renderHeader();
  const user = getUser();
  if (!allowed(access, user)) {
    if (!user) {
      // Not logged in: log in first, then come back here.
      location.replace(`#/masuk?next=${encodeURIComponent(location.hash)}`);
      return;
    }
    replace(root, h('h1', { tabindex: '-1' }, t('nav.forbidden')), notice('error', t('err.forbidden')));
    root.querySelector('h1').focus();
    return;
  }
  const ctx = {
    params: match.params,
    query: match.query,
    user,
    navigate,
    /** The nav key of the previous view ('desk' when only the language or the desk panel changed). */
    cameFrom,
    isCurrent: () => thisRender === renderCount,
    /** Update the hash query without re-rendering (history.replaceState fires no hashchange). */
    replaceQuery(query) {
      const path = location.hash.replace(/^#/, '').split('?')[0] || '/katalog';
      const qs = new URLSearchParams(Object.entries(query).filter(([k, v]) => v !== '' && v != null && !(k === 'page' && String(v) === '1'))).toString();
      history.replaceState(null, '', `#${path}${qs ? `?${qs}` : ''}`);
    },
  };
  const focusHeading = () => {
    if (thisRender !== renderCount) return;
    if (!root.contains(document.activeElement)) root.querySelector('h1')?.focus({ preventScroll: true });
  };
  try {
    const pending = renderFn(root, ctx);
    focusHeading();
    await pending;
  } catch (err) {
    console.error(err);
    root.append(notice('error', t('err.unknown')));
  }
}

function navLink(key, href, label) {
  return h('li', {}, h('a', { href, 'aria-current': activeNav === key ? 'page' : null, 'data-testid': `nav-${key}` }, label));
}

/** The library's identity for the header (name and logo), loaded at start and after the admin changes it. */
let library = null;
async function loadLibrary() {
  try { library = await api.get('/library'); } catch { library = null; }
  renderHeader();
}

/** Pustaka's mark and the library's name (and logo): a link to the catalogue (TAG `a`), or not. */
function brand(tag) {
  return h(tag, { href: tag === 'a' ? '#/katalog' : null, class: 'brand' }, h('img', { src: 'favicon.svg', alt: '', width: 28, height: 28 }),
    h('span', { class: 'brand-text' }, 'Pustaka',
      library ? h('span', { class: 'library-name', 'data-testid': 'library-name', title: library.name },
        library.logo_type ? h('img', { src: `/api/v1/library/logo?v=${encodeURIComponent(library.updated_at)}`, alt: '', height: 14 }) : null,
        library.name) : null));
}

function renderHeader() {
  const user = getUser();
  if (activeNav === 'kiosk') {
    // The kiosk on screen: the library's name, and no way elsewhere (no menu, account, logout or
    // language); staff leave through the kiosk's own staff login (views/kiosk.js).
    replace(document.getElementById('app-header'),
      h('div', { class: 'header-inner' }, brand('span')));
    replace(document.getElementById('app-footer'));
    return;
  }
  const items = [navLink('catalog', '#/katalog', t('nav.catalog'))];
  // Each staff view shows when the account's role holds its permission.
  if (can('desk', user)) items.push(navLink('desk', '#/meja', t('nav.desk')));
  if (can('members', user)) items.push(navLink('members', '#/anggota', t('nav.members')));
  if (can('catalogue', user)) items.push(navLink('collection', '#/koleksi', t('nav.collection')));
  if (can('desk', user)) items.push(navLink('loans', '#/pinjaman', t('nav.loans')));
  if (can('reports', user)) items.push(navLink('reports', '#/laporan', t('nav.reports')));
  // A teacher's one view; staff with reports reach it from the reports (the header has no room).
  if (can('reading', user) && !can('reports', user)) items.push(navLink('reading', '#/literasi', t('nav.reading')));
  if (can('print', user)) items.push(navLink('print', '#/cetak', t('nav.print')));
  // Staff reach their account through their name on the right, which keeps their longer menu on one row.
  if (user && !isStaff(user)) items.push(navLink('account', '#/akun', t('nav.account')));
  if (isKiosk(user)) items.push(navLink('kiosk', '#/tamu', t('nav.kiosk')));
  if (isAdmin(user)) items.push(navLink('admin', '#/admin', t('nav.admin')));

  const userBox = user
    ? h('div', { class: 'user-box' },
      h('a', { href: '#/akun', class: 'user-name', 'data-testid': 'user-badge', title: t('nav.account'), 'aria-current': activeNav === 'account' ? 'page' : null },
        h('strong', {}, user.username), ' ', h('span', { class: 'role' }, roleName(user.role))),
      h('button', { type: 'button', class: 'link-button', 'data-testid': 'logout-button', onClick: onLogout }, t('nav.logout')))
    : h('div', { class: 'user-box' }, h('a', { href: '#/masuk', class: 'login-link', 'aria-current': activeNav === 'login' ? 'page' : null, 'data-testid': 'nav-login' }, t('nav.login')));

  const other = getLang() === 'id' ? 'en' : 'id';
  replace(document.getElementById('app-header'),
    h('a', { href: '#main', class: 'skip-link' }, t('nav.skip')),
    h('div', { class: 'header-inner' },
      brand('a'),
      h('nav', { class: 'main-nav', 'aria-label': t('nav.main') }, h('ul', {}, items)),
      h('div', { class: 'header-tools' },
        userBox,
        h('button', { type: 'button', class: 'lang-toggle', lang: other, 'data-testid': 'lang-toggle', onClick: () => setLang(other) },
          other === 'en' ? 'English' : 'Bahasa Indonesia'))));

  replace(document.getElementById('app-footer'),
    h('p', {}, 'Pustaka · ', h('a', { href: '/api/docs', 'data-testid': 'api-docs-link' }, t('nav.api_docs')), ' · ',
      h('a', { href: '/api/openapi.json' }, 'OpenAPI'), ' · ',
      h('a', { href: '/licenses', 'data-testid': 'licenses-link' }, t('nav.licenses'))));
}

async function onLogout() {
  await logout().catch(() => {});
  flash(t('login.logged_out'));
  navigate('#/katalog');
}

function applyLang() {
  document.documentElement.lang = getLang();
  document.title = `Pustaka — ${t('app.tagline')}`;
}

async function start() {
  applyLang();
  renderHeader();
  onLangChange(() => { applyLang(); renderRoute(); });
  onUserChange(() => renderHeader());
  window.addEventListener('pustaka:unauthenticated', () => {
    if (!getUser()) return;
    setUser(null);
    // The visitor kiosk runs unattended: it stays, keeps the visits and asks for a login itself.
    if (kiosk.isShowing()) return;
    flash(t('login.expired'), 'error');
    location.hash = `#/masuk?next=${encodeURIComponent(location.hash)}`;
  });
  window.addEventListener('pustaka:library', loadLibrary);
  loadLibrary();
  // The library's default language, when the visitor has not picked one (offline: Indonesian).
  api.get('/settings/page').then((s) => setDefaultLang(s.language)).catch(() => {});
  await loadMe();
  window.addEventListener('hashchange', renderRoute);
  renderRoute();
}

// The page and its code kept by a service worker (web/sw.js), so the desk opens without the network.
if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('/sw.js').catch((err) => console.warn('service worker not registered', err));
}

start();
