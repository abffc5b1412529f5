// Buku tamu: the entrance kiosk. A member scans their card → "Selamat datang, Budi" for a few
// seconds and a visit is recorded; a guest writes their name, institution and purpose.
//
// Made to run a whole day unattended on a school network that drops: every visit gets an id made
// here (client_id) and is kept in localStorage until the service has it. Sending goes through one
// scan queue (scanqueue.js), so visits are sent one at a time, in order; one the service did not
// answer stays kept and is sent again when the network returns (the `online` event, and every
// 15 s). The service stores a client_id once, so a visit sent twice (its answer was lost) is one
// visit. Nothing about a member is shown but the first name to greet.
//
// The kiosk's login ends (PUSTAKA_SESSION_HOURS, 12 by default; a password change) while nobody
// watches: the kiosk then stays on screen instead of going to the login page (where the next
// card scanned would be typed into the username field and lost), greets and keeps every visit,
// and says in a bar that stays that staff must log in again, with the way there. Once someone
// logs in (on this page's link, or in another tab of this browser, noticed within 15 s), the kept
// visits are sent. Opened without a login, the page is the same locked kiosk.
//
// On screen, the kiosk is all there is (app.js shows no menu, account or logout, and leads a kiosk
// account's every other address back here): a visitor cannot wander into the rest of the page.
// Staff leave it with "Petugas" and a staff login; any other login there ends the kiosk's
// session too (the kiosk then locks as above, keeping visits), so a member's password does not
// open it.
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { heading } from '../ui.js';
import { field, onSubmit } from '../forms.js';
import { getUser, isStaff, loadMe, login, logout } from '../session.js';
import { createScanQueue, attachScanField, isMemberNumber } from '../scanqueue.js';

const STORE_KEY = 'pustaka.kiosk.visits';
const GREETING_MS = 4000;
const RETRY_MS = 15000;

// locked: the service said the login is gone (401), or there was none: visits are only kept.
const state = { view: null, timer: null, retry: null, last: null, locked: false };

/** Whether the kiosk is on screen (the page then leaves a lost login to it; see app.js). */
export function isShowing() {
  return Boolean(live());
}

/** A v4 UUID; crypto.randomUUID needs HTTPS, which a school's LAN address may not have. */
function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((n) => n.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

function kept() {
  try { return JSON.parse(localStorage.getItem(STORE_KEY) || '[]'); } catch { return []; }
}

function keep(list) {
  try { localStorage.setItem(STORE_KEY, JSON.stringify(list)); } catch { /* full or private: kept in memory only */ }
}

function forget(clientId) {
  keep(kept().filter((v) => v.client_id !== clientId));
}

const queue = createScanQueue({ handle: (job) => handle(job), onChange: () => drawPending() });

/** Handles one job: a scanned card (string), a guest visit, or a retry of the kept visits. */
async function handle(job) {
  if (job && job.kind === 'flush') return flush();
  let visit;
  if (typeof job === 'string') {
    if (!isMemberNumber(job)) { show('refused', t('kiosk.not_a_card')); return undefined; }
    visit = { client_id: newId(), card_number: job.trim(), at: new Date().toISOString() };
  } else {
    visit = { client_id: newId(), ...job.guest, at: new Date().toISOString() };
  }
  // Kept before it is sent: a page closed meanwhile still sends it next time.
  keep([...kept(), visit]);
  const outcome = state.locked ? { later: true } : await send(visit);
  if (outcome.ok) show('ok', t('kiosk.welcome', { name: outcome.greeting }));
  else if (outcome.later) show('ok', t('kiosk.welcome_offline'), state.locked ? t('kiosk.saved_locked') : t('kiosk.saved_offline'));
  else show('refused', outcome.message);
  return undefined;
}

/** Sends one kept visit: { ok, greeting } | { later } | { message } (refused: not kept). */
async function send(visit) {
  try {
    const receipt = await api.post('/visits', visit);
    forget(visit.client_id);
    return { ok: true, greeting: receipt.greeting };
  } catch (err) {
    if (err.status === 0 || err.status >= 500 || err.status === 408 || err.status === 429) return { later: true };
    if (err.status === 401) { // the login is gone: kept for the next one
      lock();
      return { later: true };
    }
    forget(visit.client_id);
    if (err.code === 'not_found') return { message: t('kiosk.unknown_card') };
    return { message: t('kiosk.refused') };
  }
}

/** Sends the visits kept while the network (or the login) was away, oldest first; stops at the first failure. */
async function flush() {
  if (state.locked) return;
  for (const visit of kept()) {
    const outcome = await send(visit);
    if (outcome.later) break;
  }
  drawPending();
}

/** The login is gone: keep visits here and ask for a login until someone logs in. */
function lock() {
  state.locked = true;
  drawLock();
  drawPending();
}

/** Every 15 s while locked: has someone logged in in this browser (another tab)? Then send. */
async function checkLogin() {
  if (!state.locked || !live()) return;
  const user = await loadMe();
  if (user && state.locked && live()) {
    state.locked = false;
    drawLock();
    queue.push({ kind: 'flush' });
  }
}

export async function render(root, ctx) {
  const input = h('input', {
    id: 'kiosk-scan', name: 'scan', type: 'text', class: 'scan-input kiosk-scan', autocomplete: 'off', autocapitalize: 'none',
    spellcheck: 'false', 'data-testid': 'kiosk-scan',
  });
  const view = {
    root,
    input,
    banner: h('div', { class: 'kiosk-banner desk-result desk-result-idle', 'data-testid': 'kiosk-result', 'aria-live': 'assertive', 'aria-atomic': 'true' }),
    pending: h('p', { class: 'desk-pending', 'data-testid': 'kiosk-pending', 'aria-live': 'polite' }),
    lock: h('div', { 'data-testid': 'kiosk-lock', 'aria-live': 'polite' }),
  };
  state.view = view;
  // A page rendered with a login is unlocked; without one (opened so, or the login just ended) locked.
  state.locked = !(ctx.user || getUser());
  attachScanField(input, queue, { isActive: () => state.view === view && input.isConnected });

  const guest = h('form', { class: 'kiosk-guest', 'data-testid': 'kiosk-guest-form' },
    h('h2', {}, t('kiosk.guest_title')),
    field({ name: 'guest_name', label: t('kiosk.guest_name'), required: true, testid: 'kiosk-guest-name', attrs: { autocomplete: 'off' } }),
    field({ name: 'institution', label: t('kiosk.institution'), testid: 'kiosk-guest-institution', attrs: { autocomplete: 'off' } }),
    field({ name: 'purpose', label: t('kiosk.purpose'), testid: 'kiosk-guest-purpose', attrs: { autocomplete: 'off' } }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', 'data-testid': 'kiosk-guest-submit' }, t('kiosk.guest_submit'))));
  guest.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = Object.fromEntries(new FormData(guest));
    const name = String(data.guest_name || '').trim();
    if (!name) { guest.querySelector('input').focus(); return; }
    const g = { guest_name: name };
    for (const k of ['institution', 'purpose']) if (String(data[k] || '').trim()) g[k] = String(data[k]).trim();
    queue.push({ kind: 'guest', guest: g });
    guest.reset();
    input.focus();
  });

  replace(root,
    heading(t('kiosk.title')),
    view.lock,
    h('div', { class: 'kiosk' },
      view.banner,
      h('div', { class: 'scan-form' },
        h('label', { for: 'kiosk-scan' }, t('kiosk.scan_label')),
        input,
        view.pending),
      guest),
    staffExit(ctx, input));
  drawIdle();
  drawLock();
  drawPending();
  input.focus();

  if (!state.retry) {
    state.retry = setInterval(() => {
      if (state.locked) checkLogin().catch(() => {});
      else if (kept().length && !queue.pending) queue.push({ kind: 'flush' });
    }, RETRY_MS);
    window.addEventListener('online', () => { if (kept().length) queue.push({ kind: 'flush' }); });
  }
  if (kept().length) queue.push({ kind: 'flush' });
}

/** "Petugas": a staff login that leaves the kiosk for the desk; folded away until asked for. */
function staffExit(ctx, input) {
  const form = h('form', { class: 'kiosk-staff-form narrow', 'data-testid': 'kiosk-staff-form', hidden: true },
    h('p', {}, t('kiosk.staff_text')),
    field({ name: 'username', label: t('login.username'), required: true, testid: 'kiosk-staff-username', attrs: { autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false' } }),
    field({ name: 'password', label: t('login.password'), type: 'password', required: true, testid: 'kiosk-staff-password', attrs: { autocomplete: 'off' } }),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary', 'data-testid': 'kiosk-staff-submit' }, t('kiosk.staff_submit')),
      h('button', { type: 'button', 'data-testid': 'kiosk-staff-cancel', onClick: () => { form.reset(); form.hidden = true; input.focus(); } }, t('common.cancel'))));
  onSubmit(form, async (v) => {
    const user = await login(v.username, v.password);
    if (isStaff(user)) { ctx.navigate('#/meja'); return; }
    // Someone else's password: the kiosk's own session is gone with it, so it locks (and keeps visits).
    await logout().catch(() => {});
    form.reset();
    form.hidden = true;
    lock();
    show('refused', t('kiosk.staff_only'));
  });
  const open = h('button', { type: 'button', class: 'link-button kiosk-staff', 'data-testid': 'kiosk-staff', onClick: () => {
    form.hidden = false;
    form.querySelector('input').focus();
  } }, t('kiosk.staff'));
  return h('div', { class: 'kiosk-staff-exit' }, open, form);
}

function live() {
  const v = state.view;
  return v && v.root.isConnected ? v : null;
}

function drawIdle() {
  const v = live();
  if (!v) return;
  v.banner.className = 'kiosk-banner desk-result desk-result-idle';
  replace(v.banner, h('p', { class: 'kiosk-greeting' }, t('kiosk.idle')));
}

function show(kind, title, line) {
  const v = live();
  if (!v) return;
  v.banner.className = `kiosk-banner desk-result desk-result-${kind}`;
  replace(v.banner, h('p', { class: 'kiosk-greeting', 'data-testid': 'kiosk-greeting' }, title), line && h('p', { class: 'desk-result-line' }, line));
  clearTimeout(state.timer);
  state.timer = setTimeout(drawIdle, GREETING_MS);
  const a = document.activeElement;
  if (!a || a === document.body || !v.root.querySelector('form')?.contains(a)) v.input.focus();
}

/** The bar that says the kiosk needs a login, while it does (role="alert" once, when it appears). */
function drawLock() {
  const v = live();
  if (!v) return;
  if (!state.locked) { v.lock.replaceChildren(); return; }
  if (v.lock.firstChild) return;
  const next = encodeURIComponent('#/tamu');
  replace(v.lock, h('div', { class: 'notice notice-error kiosk-lock', role: 'alert' },
    h('p', {}, h('strong', {}, t('kiosk.locked_title')), ' ', t('kiosk.locked_text')),
    h('p', {}, h('a', { href: `#/masuk?next=${next}`, class: 'button primary', 'data-testid': 'kiosk-login' }, t('kiosk.locked_login')))));
}

function drawPending() {
  const v = live();
  if (!v) return;
  const n = kept().length;
  v.pending.textContent = n ? t(state.locked ? 'kiosk.pending_locked' : 'kiosk.pending', { count: n }) : '';
}
