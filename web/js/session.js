// Who is logged in. The session itself is the HttpOnly cookie `pustaka_session`; the page only
// keeps the User from /auth/me or /auth/login to decide what to show.
import { api } from './api.js';
import { forgetLocalCopy } from './offline.js';

let currentUser = null;
const listeners = new Set();

export const getUser = () => currentUser;
// Roles are sets of permissions (GET /auth/me answers them); a staff account is any account that is
// neither a member's nor the kiosk's. The server checks every route; the page only hides what the
// role cannot open.
export const isStaff = (user = currentUser) => Boolean(user && user.role !== 'member' && user.role !== 'kiosk');
/** Whether the account's role holds a permission (desk, catalogue, members, fines, …). */
export const can = (perm, user = currentUser) => Boolean(user && isStaff(user) && (user.permissions || []).includes(perm));
// The admin's tab: accounts and roles, settings, backups.
export const isAdmin = (user = currentUser) => can('users', user) || can('settings', user) || can('backups', user);
export const isMember = (user = currentUser) => Boolean(user && user.role === 'member');
export const isKiosk = (user = currentUser) => Boolean(user && user.role === 'kiosk');

// The last user seen, so that the page opened while the network is down (the desk offline, its
// page from the service worker) still knows who works there; the session itself stays the cookie.
const USER_KEY = 'pustaka.user';

function remember(user) {
  try {
    if (user) localStorage.setItem(USER_KEY, JSON.stringify({ id: user.id, username: user.username, role: user.role, member_id: user.member_id ?? null, permissions: user.permissions || [] }));
    else localStorage.removeItem(USER_KEY);
  } catch { /* private mode */ }
}

function remembered() {
  try { return JSON.parse(localStorage.getItem(USER_KEY) || 'null'); } catch { return null; }
}

export function setUser(user) {
  currentUser = user || null;
  remember(currentUser);
  listeners.forEach((fn) => fn(currentUser));
}

export function onUserChange(fn) {
  listeners.add(fn);
}

/** Ask the API who we are; 401 simply means nobody. */
export async function loadMe() {
  try {
    setUser(await api.get('/auth/me'));
  } catch (err) {
    if (err.status === 0 && remembered()) {
      // No network: the user of the last answer, until the network is back (then the server decides).
      currentUser = remembered();
      listeners.forEach((fn) => fn(currentUser));
      return currentUser;
    }
    if (err.status !== 401) console.warn('auth/me failed', err);
    setUser(null);
  }
  return currentUser;
}

export async function login(username, password) {
  const data = await api.post('/auth/login', { username, password });
  // The login answers the account; /auth/me adds what its role may do; an admin also learns
  // whether the library's first start waits (views/firststart.js). All before the page shows the
  // user, so the login's next view follows at once.
  let user = data.user;
  try { user = await api.get('/auth/me'); } catch { /* the login's answer will do */ }
  if (can('settings', user)) {
    try { user = { ...user, firstStart: (await api.get('/first-start')).step }; } catch { /* never in the way */ }
  }
  setUser(user);
  return currentUser;
}

export async function logout() {
  try { await api.post('/auth/logout'); } finally {
    setUser(null);
    // The desk's local copy of members and loans does not stay behind on a shared computer.
    try { await forgetLocalCopy(); } catch { /* no IndexedDB */ }
  }
}
