// Meja sirkulasi: checkout, return and renew, made for a barcode scanner (types + Enter).
//
// One scan field on every panel. A member card (P + 8 digits with a check digit) selects that
// member at any time; a copy barcode lends to the selected member (returns on the return panel,
// renews on the renew panel); other text searches members by name. Every scan goes through one
// queue (scanqueue.js): handled in order, exactly once, whatever the network's speed, and each
// gives one line in the session history. Results are kept as message keys, so the banner and
// the history follow the language toggle.
import { api, getAll } from '../api.js';
import { getCategories } from '../categories.js';
import { h, replace } from '../dom.js';
import { t, errorText, categoryLabel } from '../i18n.js';
import { formatDate, formatDateTime, formatMoney, todayIso } from '../format.js';
import { heading, tabs, badge, loanBadge, table } from '../ui.js';
import { createScanQueue, attachScanField, isCardNumber, isBarcode } from '../scanqueue.js';
import * as offline from '../offline.js';

const PANELS = ['pinjam', 'kembali', 'perpanjang', 'baca'];
const HISTORY_MAX = 1000;

// Kept across re-renders (language toggle, switching panels) for the whole page session.
const state = {
  panel: 'pinjam',
  member: null,
  memberLoans: [],
  categories: null,
  history: [],
  last: null, // the banner: { kind, title, lines }
  choices: null, // members matching a name search: { query, items, active }
  view: null, // the DOM of the desk now on screen
  offline: false, // the last request found no network (or no server): scans are queued (offline.js)
  unsent: 0, // actions queued in the browser, not yet sent
  refusals: [], // queued actions the server refused when they were sent
  localCopy: null, // { at, members, loans } of the local copy
};

const queue = createScanQueue({
  handle: (job) => handle(job),
  onChange: (pending) => showPending(pending),
});

export async function render(root, ctx) {
  const panel = PANELS.includes(ctx.params.panel) ? ctx.params.panel : 'pinjam';
  state.panel = panel;
  // Coming back from another view: never lend to the member left over from earlier.
  if (ctx.cameFrom !== 'desk' && !queue.pending) { state.member = null; state.memberLoans = []; state.last = null; state.choices = null; }

  const input = h('input', {
    id: 'desk-scan', name: 'scan', type: 'text', class: 'scan-input', autocomplete: 'off', autocapitalize: 'none',
    spellcheck: 'false', 'data-testid': 'desk-scan', 'aria-describedby': 'desk-scan-hint',
  });
  const view = {
    root,
    input,
    banner: h('div', { class: 'desk-result', 'data-testid': 'desk-result', 'aria-live': 'assertive', 'aria-atomic': 'true' }),
    pending: h('p', { class: 'desk-pending', 'data-testid': 'desk-pending', 'aria-live': 'polite' }),
    unsent: h('p', { class: 'desk-unsent', 'data-testid': 'desk-unsent', 'aria-live': 'polite' }),
    local: h('p', { class: 'hint', 'data-testid': 'desk-local' }),
    conflicts: h('section', { class: 'desk-conflicts', 'data-testid': 'desk-conflicts' }),
    choices: h('div', { class: 'choices', 'data-testid': 'member-choices' }),
    member: h('div', { class: 'member-area' }),
    historyList: h('ol', { class: 'desk-history', 'data-testid': 'desk-history' }),
    hint: h('p', { class: 'hint', id: 'desk-scan-hint' }, t(`desk.scan_hint.${panel}`)),
  };
  const { submit } = attachScanField(input, queue, { isActive: () => state.view === view && input.isConnected, onKey: (e) => choiceKeys(e) });
  state.view = view;

  replace(root,
    heading(t('desk.title')),
    tabs([...PANELS.map((p) => ({ href: `#/meja/${p}`, label: t(`desk.panel.${p}`), active: p === panel, testid: `desk-tab-${p}` })),
      { href: '#/buku-paket', label: t('classset.title'), testid: 'desk-tab-classsets' },
      { href: '#/stock-opname', label: t('nav.stocktake'), testid: 'desk-tab-stocktake' },
      { href: '#/kunjungan', label: t('nav.visits'), testid: 'desk-tab-visits' }], t('desk.title')),
    h('div', { class: 'desk-grid' },
      h('div', { class: 'desk-main' },
        view.banner,
        h('div', { class: 'desk-panel' },
          h('h2', { class: 'sr-only' }, t(`desk.panel.${panel}`)),
          h('div', { class: 'scan-form' },
            h('label', { for: 'desk-scan' }, t(`desk.scan_label.${panel}`)),
            h('div', { class: 'scan-row' }, input,
              h('button', { type: 'button', class: 'primary', tabindex: '-1', onClick: () => { submit(); input.focus(); } }, t('desk.enter'))),
            view.hint, view.pending, view.unsent, view.local),
          view.conflicts,
          view.choices,
          view.member)),
      h('aside', { class: 'desk-side', 'aria-labelledby': 'desk-history-title' },
        h('h2', { id: 'desk-history-title' }, t('desk.history')), view.historyList)));
  root.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !e.target.closest('dialog')) { e.preventDefault(); queue.push({ kind: 'clear' }); input.focus(); }
  });
  drawBanner();
  drawHistory();
  drawChoices();
  drawMember();
  showPending(queue.pending);
  drawOffline();
  input.focus();
  startOffline();

  try { state.categories = await getCategories(); } catch { state.categories = null; }
  if (!ctx.isCurrent()) return;
  drawMember();

  const preset = ctx.query.kartu;
  if (preset && (!state.member || state.member.card_number !== preset)) queue.push(preset);
  else if (state.member && !queue.pending) queue.push({ kind: 'reload' });
}

// ---------- the jobs ----------

/** Handles one queued job: a scanned string, or a button's action. */
async function handle(job) {
  if (typeof job !== 'string') {
    if (job.kind === 'clear') return clearMember();
    if (job.kind === 'select') return selectMember(job.id);
    if (job.kind === 'renew') return renew(job.loan);
    if (job.kind === 'reload') return reloadMember();
    return undefined;
  }
  const value = job.trim();
  if (!value) return undefined;
  if (state.choices) { state.choices = null; drawChoices(); }
  if (isCardNumber(value)) return selectByCard(value);
  if (state.panel === 'kembali') return checkin(value);
  if (state.panel === 'perpanjang') return isBarcode(value) ? renewByBarcode(value) : searchMember(value);
  if (state.panel === 'baca') return isBarcode(value) ? inLibraryUse(value) : searchMember(value);
  if (state.member && isBarcode(value)) {
    // Another student's NIS, NISN or old card scanned while a member is selected: that member,
    // not a copy (the local copy knows both the numbers and the barcodes).
    if (await offline.isMemberNumberNotCopy(value).catch(() => false)) return selectByNumber(value);
    return checkout(value);
  }
  return searchMember(value);
}

/** The member whose card or other number (NIS, NISN, SLiMS id, old card) is exactly `number`, or null. */
async function memberWithNumber(number) {
  const list = await api.get('/members', { q: number, per_page: 10 });
  return list.items.find((x) => offline.knownBy(x, number)) || null;
}

/** Selects the member with this number (see memberWithNumber); from the local copy when offline. */
async function selectByNumber(number) {
  let found;
  try {
    if (state.offline) throw Object.assign(new Error('offline'), { status: 0 });
    found = await memberWithNumber(number);
  } catch (err) {
    if (err.status === 0) return selectOffline(number);
    refused(number, { err });
    return;
  }
  if (!found) {
    refused(number, m('reason.card_not_found', { card: number }));
    return;
  }
  await selectMember(found.id, number);
}

async function checkout(barcode) {
  const member = state.member;
  const action = { kind: 'checkout', barcode, card_number: member.card_number, member_name: member.name, scanned_at: new Date().toISOString(), key: offline.newKey() };
  if (await mustQueue()) return queueAction(action, member);
  try {
    const loan = await api.postOnce('/loans', { barcode, card_number: member.card_number }, action.key);
    offline.keepMember({ ...member, active_loans: (member.active_loans || 0) + 1 }, [loan]).catch(() => {});
    if (state.member && state.member.id === loan.member_id) {
      state.member.active_loans += 1;
      state.memberLoans.unshift(loan);
      drawMember();
    }
    result('ok', barcode, m('desk.line.checked_out', { title: loan.title, barcode: loan.barcode, name: loan.member_name }),
      m('desk.checked_out', { title: loan.title }), [
        [m('loan.member'), `${loan.member_name} (${loan.card_number})`],
        [m('copy.barcode'), loan.barcode],
        [m('loan.due_at'), formatDate(loan.due_at)],
      ]);
  } catch (err) {
    if (offline.isRetryable(err) && err.code !== 'idempotency_in_progress') return queueAction(action, member, err);
    // No such copy: perhaps a member's number (a NIS is digits, as barcodes are) the local copy
    // did not know yet; then that member is selected.
    if (err.status === 404) {
      const other = await memberWithNumber(barcode).catch(() => null);
      if (other) return selectMember(other.id, barcode);
    }
    refused(barcode, refusal(err, { member, barcode }), [[m('copy.barcode'), barcode]]);
    await reloadMember();
  }
}

/** "Baca di tempat": a copy read in the library is counted (for the selected member, if any); never a loan. */
async function inLibraryUse(barcode) {
  const member = state.member;
  try {
    const body = { barcode };
    if (member) body.card_number = member.card_number;
    const use = await api.post('/in-library-uses', body);
    const lines = [[m('copy.barcode'), use.barcode]];
    if (member) lines.unshift([m('loan.member'), `${member.name} (${member.card_number})`]);
    result('ok', barcode, m('desk.line.in_library_use', { title: use.title, barcode: use.barcode }),
      m('desk.in_library_use', { title: use.title }), lines);
  } catch (err) {
    refused(barcode, refusal(err, { barcode }), [[m('copy.barcode'), barcode]]);
  }
}

async function checkin(barcode) {
  const action = { kind: 'return', barcode, scanned_at: new Date().toISOString(), key: offline.newKey() };
  if (await mustQueue()) return queueAction(action);
  try {
    const { loan, fine, hold } = await api.postOnce('/returns', { barcode }, action.key);
    offline.noteLocally({ kind: 'return', barcode }).catch(() => {});
    const lines = [
      [m('loan.member'), `${loan.member_name} (${loan.card_number})`],
      [m('copy.barcode'), loan.barcode],
      [m('loan.due_at'), formatDate(loan.due_at)],
    ];
    if (fine) lines.push([m('desk.fine_charged'), formatMoney(fine.amount)]);
    if (hold) {
      lines.unshift(m('desk.put_on_hold_shelf', { name: hold.member_name }));
      lines.push([m('hold.pickup_by'), formatDate(hold.pickup_by)]);
    }
    result(hold ? 'hold' : 'ok', barcode, m('desk.line.returned', { title: loan.title, barcode: loan.barcode, name: loan.member_name }),
      m('desk.returned', { title: loan.title }), lines);
    if (state.member && state.member.id === loan.member_id) await reloadMember();
  } catch (err) {
    if (offline.isRetryable(err) && err.code !== 'idempotency_in_progress') return queueAction(action, null, err);
    refused(barcode, refusal(err, { barcode }), [[m('copy.barcode'), barcode]]);
  }
}

async function renewByBarcode(barcode) {
  if (await mustQueue()) {
    const known = await offline.loanOf(barcode).catch(() => null);
    return queueAction({ kind: 'renew', barcode, loan_id: known?.id || null });
  }
  let loan;
  try {
    const page = await api.get('/loans', { status: 'active', barcode });
    loan = page.items[0];
  } catch (err) {
    if (offline.isRetryable(err)) return queueAction({ kind: 'renew', barcode, loan_id: null }, null, err);
    refused(barcode, refusal(err, { barcode }), [[m('copy.barcode'), barcode]]);
    return;
  }
  if (!loan) {
    refused(barcode, m('reason.not_on_loan', { barcode }), [[m('copy.barcode'), barcode]]);
    return;
  }
  await renew(loan, barcode);
}

async function renew(loan, scanned = loan.barcode) {
  const action = { kind: 'renew', barcode: loan.barcode, loan_id: loan.id, scanned_at: new Date().toISOString(), key: offline.newKey() };
  if (await mustQueue()) return queueAction(action);
  try {
    const renewed = await api.postOnce(`/loans/${loan.id}/renew`, {}, action.key);
    result('ok', scanned, m('desk.line.renewed', { title: renewed.title, barcode: renewed.barcode, date: formatDate(renewed.due_at) }),
      m('desk.renewed', { title: renewed.title }), [
        [m('loan.member'), `${renewed.member_name} (${renewed.card_number})`],
        [m('loan.new_due'), formatDate(renewed.due_at)],
        [m('loan.renewals'), String(renewed.renewals)],
      ]);
  } catch (err) {
    if (offline.isRetryable(err) && err.code !== 'idempotency_in_progress') return queueAction(action, null, err);
    const member = state.member && state.member.id === loan.member_id ? state.member : null;
    refused(scanned, refusal(err, { member, barcode: loan.barcode }), [[m('loan.title'), loan.title], [m('copy.barcode'), loan.barcode]]);
  }
  if (state.member && state.member.id === loan.member_id) await reloadMember();
}

async function selectByCard(card) {
  let found;
  try {
    if (state.offline) throw Object.assign(new Error('offline'), { status: 0 });
    const list = await api.get('/members', { q: card, per_page: 10 });
    found = list.items.find((x) => x.card_number.toLowerCase() === card.toLowerCase());
  } catch (err) {
    if (err.status === 0) return selectOffline(card);
    refused(card, { err });
    return;
  }
  if (!found) {
    refused(card, m('reason.card_not_found', { card }));
    return;
  }
  await selectMember(found.id, card);
}

async function selectMember(id, scanned) {
  try {
    await loadMember(id);
  } catch (err) {
    refused(scanned || String(id), { err });
    return;
  }
  const mb = state.member;
  drawMember();
  result('member', scanned || mb.card_number, m('desk.line.member', { name: mb.name, card: mb.card_number }),
    m('desk.member_selected', { name: mb.name }), [[m('member.card_number'), mb.card_number]]);
  // A card scanned at the return desk starts a checkout for that member.
  if (state.panel === 'kembali') location.hash = '#/meja/pinjam';
}

async function searchMember(text) {
  let list;
  try {
    list = await api.get('/members', { q: text, per_page: 10 });
  } catch (err) {
    refused(text, { err });
    return;
  }
  if (list.items.length === 1) {
    await selectMember(list.items[0].id, text);
  } else if (list.items.length > 1) {
    state.choices = { query: text, items: list.items, active: -1 };
    drawChoices();
    result('member', text, m('desk.line.choose', { query: text, count: list.items.length }), m('desk.choose_member'), []);
  } else {
    refused(text, m(state.member || state.panel !== 'pinjam' ? 'reason.card_not_found' : 'reason.no_member_yet', { card: text }));
  }
}

function clearMember() {
  state.member = null;
  state.memberLoans = [];
  state.choices = null;
  drawMember();
  drawChoices();
}

async function loadMember(id) {
  const [member, loans] = await Promise.all([api.get(`/members/${id}`), getAll(`/members/${id}/loans`, { status: 'active' })]);
  state.member = member;
  state.memberLoans = loans;
  offline.keepMember(member, loans).catch(() => {});
}

async function reloadMember() {
  if (!state.member || state.offline || state.member.unknown) return;
  try { await loadMember(state.member.id); } catch { /* keep what we had */ }
  drawMember();
}

// ---------- offline: the queue in the browser (offline.js) ----------

/** Whether this action must wait in the queue: no network, or older actions still waiting (order). */
async function mustQueue() {
  if (state.offline || !navigator.onLine) { state.offline = true; return true; }
  try { state.unsent = (await offline.queued()).length; } catch { return false; }
  return state.unsent > 0;
}

/** Keeps an action in the queue, judged first by the local copy as far as it can. */
async function queueAction(action, member = null, err = null) {
  if (err && err.status === 0) state.offline = true;
  const barcode = action.barcode;
  if (action.kind === 'checkout' && member && !member.unknown) {
    // Judged by the local copy as the server would (offline.judgeCheckout says what it checks).
    const no = await offline.judgeCheckout(member, barcode, todayIso()).catch(() => null);
    if (no) {
      const reason = refusal({ name: 'ApiError', status: 409, detail: '', ...no }, { member, barcode });
      refused(barcode, m('desk.local_refusal', { reason }), [[m('copy.barcode'), barcode]]);
      return;
    }
  }
  // A copy coming back that a hold waits for goes to the hold shelf, not the shelf.
  const toHoldShelf = action.kind === 'return' && await offline.wantedByHold(barcode).catch(() => false);
  let entry;
  try {
    entry = await offline.enqueue(action);
    await offline.noteLocally(entry, member);
  } catch (e) {
    // No IndexedDB (private mode): nothing can be kept; say so rather than lose it quietly.
    refused(barcode, err ? { err } : { err: e }, [[m('copy.barcode'), barcode]]);
    return;
  }
  if (action.kind === 'checkout' && state.member && member && state.member.id === member.id) {
    state.member = { ...state.member, active_loans: (state.member.active_loans || 0) + 1 };
    state.memberLoans = [{ barcode, title: '', due_at: null, renewals: 0, queued: true }, ...state.memberLoans];
    drawMember();
  }
  state.unsent = (await offline.queued()).length;
  const lines = [[m('desk.unsent_label'), String(state.unsent)]];
  if (toHoldShelf) lines.unshift(m('desk.hold_shelf_offline', {}));
  result(toHoldShelf ? 'hold' : 'queued', barcode, m('desk.line.queued', { what: what(entry) }), m('desk.queued'), lines);
  drawOffline();
  scheduleReplay();
}

function what(entry) {
  const p = { barcode: entry.barcode, name: entry.member_name || entry.card_number || '' };
  return m(`desk.what.${entry.kind}`, p);
}

/** Selects a member from the local copy when the server cannot be asked. */
async function selectOffline(card) {
  state.offline = true;
  let found = null;
  try { found = await offline.memberByNumber(card); } catch { found = null; }
  state.member = found || { id: null, unknown: true, card_number: card, name: card, active_loans: 0, unpaid_fines: 0, blocked: false };
  state.memberLoans = found ? await offline.loansOfMember(found.id).catch(() => []) : [];
  drawMember();
  drawOffline();
  result('member', card, m('desk.line.member', { name: state.member.name, card }),
    m(found ? 'desk.member_selected' : 'desk.member_unknown', { name: state.member.name, card }), [[m('member.card_number'), card]]);
  if (state.panel === 'kembali') location.hash = '#/meja/pinjam';
}

/** How old the local copy may get while the desk is online before it is read again. */
const REFRESH_MS = 5 * 60 * 1000;
let replayTimer = null;
let started = false;

/** Once per page: replay on reconnect, and every few seconds while anything waits. */
function startOffline() {
  if (!started) {
    started = true;
    window.addEventListener('online', () => { state.offline = false; replayNow(); });
    window.addEventListener('offline', () => { state.offline = true; drawOffline(); });
  }
  Promise.all([offline.queued(), offline.refusals(), offline.refreshed()]).then(([q, r, copy]) => {
    state.unsent = q.length;
    state.refusals = r;
    state.localCopy = copy;
    drawOffline();
    if (navigator.onLine) replayNow();
  }).catch(() => {});
}

function scheduleReplay() {
  if (replayTimer) return;
  replayTimer = setTimeout(() => { replayTimer = null; replayNow(); }, 3000);
}

/** Sends what waits, in order; then refreshes the local copy. */
async function replayNow() {
  if (!navigator.onLine) { state.offline = true; drawOffline(); return; }
  let left;
  let sent = 0;
  try {
    left = await offline.replay((entry, answer, err) => {
      sent += 1;
      if (err) result('refused', entry.barcode, m('desk.line.refused_later', { what: what(entry), reason: refusal(err, { barcode: entry.barcode }) }), m('desk.refused_later'), []);
      else result('ok', entry.barcode, m('desk.line.sent', { what: what(entry) }), m('desk.sent'), []);
    });
  } catch {
    left = state.unsent;
  }
  state.unsent = left;
  state.refusals = await offline.refusals().catch(() => state.refusals);
  if (left > 0) {
    scheduleReplay();
  } else {
    // Everything sent: the server answers again; the local copy catches up with it (after sending,
    // or when older than REFRESH_MS: not on every switch between the desk's panels).
    state.offline = false;
    const age = state.localCopy ? Date.now() - Date.parse(state.localCopy.at) : Infinity;
    if (sent > 0 || !(age < REFRESH_MS)) {
      try {
        await offline.refresh();
        state.localCopy = await offline.refreshed();
      } catch { /* kept as it was */ }
    }
    if (state.member && !state.member.unknown) await reloadMember();
    else if (state.member?.unknown) await selectByCard(state.member.card_number).catch(() => {});
  }
  drawOffline();
}

function drawOffline() {
  const v = live();
  if (!v) return;
  v.unsent.textContent = state.unsent > 0 ? t('desk.unsent', { count: state.unsent }) : '';
  v.unsent.className = state.unsent > 0 ? 'desk-unsent text-warn strong' : 'desk-unsent';
  const copy = state.localCopy;
  v.local.textContent = [
    state.offline ? t('desk.offline') : '',
    copy ? t('desk.local_copy', { members: copy.members, loans: copy.loans, date: formatDateTime(copy.at) }) : '',
  ].filter(Boolean).join(' ');
  const list = state.refusals;
  if (!list.length) { replace(v.conflicts); return; }
  replace(v.conflicts,
    h('h2', {}, t('desk.conflicts', { count: list.length })),
    h('ul', {}, list.map((r) => h('li', { class: 'desk-conflict', 'data-testid': 'desk-conflict', 'data-barcode': r.barcode, 'data-code': r.code },
      h('p', {}, h('strong', {}, say(what(r))), ' — ', say(refusal({ name: 'ApiError', code: r.code, detail: r.detail, status: 409 }, { barcode: r.barcode })),
        ' (', formatDateTime(r.scanned_at), ')'),
      h('p', { class: 'hint' }, t(`desk.todo.${r.code}`, {}, t('desk.todo.default'))),
      h('button', { type: 'button', class: 'secondary small', 'data-testid': 'desk-conflict-done', onClick: async () => {
        await offline.dismiss(r.seq).catch(() => {});
        state.refusals = await offline.refusals().catch(() => []);
        drawOffline();
        live()?.input.focus();
      } }, t('desk.conflict_done'))))));
}

// ---------- messages: kept as keys, drawn in the current language ----------

/** A message to translate later: m('desk.returned', { title }). Params may be messages or { err }. */
function m(key, params = {}) {
  return { key, params };
}

function say(msg) {
  if (msg == null) return '';
  if (typeof msg === 'string') return msg;
  if (msg.err) return errorText(msg.err);
  const params = {};
  for (const [k, v] of Object.entries(msg.params || {})) params[k] = typeof v === 'object' && v !== null ? say(v) : v;
  return msg.fallback ? t(msg.key, params, say(msg.fallback)) : t(msg.key, params);
}

function category(code) {
  return (state.categories || []).find((c) => c.code === code) || null;
}

/** Why a circulation request was refused, with numbers from the member when we have them. */
function refusal(err, { member, barcode } = {}) {
  const cat = member && category(member.category);
  const p = { barcode: barcode || '' };
  let key = `reason.${err.code}`;
  if (err.code === 'fines_owed' && member && cat) {
    key = 'reason.fines_owed_amount';
    Object.assign(p, { amount: formatMoney(member.unpaid_fines), limit: formatMoney(cat.fine_limit) });
  } else if (err.code === 'loan_limit' && member && cat) {
    key = 'reason.loan_limit_count';
    Object.assign(p, { count: member.active_loans, max: cat.max_loans });
  } else if (err.code === 'member_blocked' && member?.blocked_reason) {
    key = 'reason.member_blocked_why';
    p.reason = member.blocked_reason;
  } else if (err.code === 'member_expired' && member?.expires_on) {
    key = 'reason.member_expired_on';
    p.date = formatDate(member.expires_on);
  } else if ((err.code === 'not_for_loan' || err.code === 'type_limit') && err.collectionType) {
    // "Buku Referensi: baca di tempat" — the type's name comes with the refusal.
    key = `reason.${err.code}_type`;
    p.type = err.collectionType;
    p.type_lower = err.collectionType.toLowerCase();
  } else if (err.code === 'renew_limit' && member && cat) {
    key = 'reason.renew_limit_max';
    p.max = cat.max_renewals;
  }
  return { key, params: p, fallback: { err } };
}

// ---------- drawing ----------

function live() {
  const v = state.view;
  return v && v.root.isConnected ? v : null;
}

function refused(scanned, reason, lines = []) {
  result('refused', scanned, m('desk.line.refused', { scan: scanned, reason }), m('desk.refused', { reason }), lines);
}

/** One finished job: the banner shows it and the history gains exactly one line. */
function result(kind, scanned, line, title, lines = []) {
  state.last = { kind, title, lines };
  state.history.unshift({ at: new Date().toISOString(), kind, scanned, line });
  state.history.length = Math.min(state.history.length, HISTORY_MAX);
  drawBanner();
  drawHistory();
  // The cursor goes back to the scan field, unless someone is typing in a dialog meanwhile.
  const v = live();
  const a = document.activeElement;
  if (v && (!a || a === document.body || v.root.contains(a))) v.input.focus();
}

function drawBanner() {
  const v = live();
  if (!v) return;
  const last = state.last;
  if (!last) {
    v.banner.className = 'desk-result desk-result-idle';
    replace(v.banner, h('p', { class: 'desk-result-title' }, t('desk.ready')));
    return;
  }
  const icon = { refused: '✕', hold: '!', member: '→' }[last.kind] || '✓';
  v.banner.className = `desk-result desk-result-${last.kind}`;
  replace(v.banner,
    h('p', { class: 'desk-result-title' }, h('span', { class: 'desk-icon', 'aria-hidden': 'true' }, icon), ' ', say(last.title)),
    last.lines.filter(Boolean).map((line) => (Array.isArray(line)
      ? h('p', { class: 'desk-result-line' }, `${say(line[0])}: `, h('strong', {}, say(line[1])))
      : h('p', { class: 'desk-result-line desk-result-action' }, say(line)))));
}

function drawHistory() {
  const v = live();
  if (!v) return;
  replace(v.historyList, state.history.length
    ? state.history.map((e) => h('li', { class: `history-${e.kind}`, 'data-scan': e.scanned },
      h('span', { class: 'history-time' }, formatDateTime(e.at).split(' ').pop()), ' ', say(e.line)))
    : h('li', { class: 'empty' }, t('desk.history_empty')));
}

function showPending(pending) {
  const v = live();
  if (!v) return;
  // The job running is not "waiting"; more than one means scans are queued behind it.
  v.pending.textContent = pending > 1 ? t('desk.pending', { count: pending - 1 }) : '';
}

function drawChoices() {
  const v = live();
  if (!v) return;
  const c = state.choices;
  if (!c) { replace(v.choices); v.input.removeAttribute('aria-activedescendant'); return; }
  replace(v.choices,
    h('p', { id: 'desk-choices-label' }, t('desk.choose_member')),
    h('ul', { role: 'listbox', 'aria-labelledby': 'desk-choices-label' }, c.items.map((mb, i) => h('li', {
      id: `desk-choice-${i}`, role: 'option', 'aria-selected': i === c.active ? 'true' : 'false',
      class: ['choice', i === c.active && 'choice-active'], 'data-testid': 'member-choice',
      onClick: () => choose(i),
    }, h('strong', {}, mb.name), ' ', h('span', { class: 'member-card' }, mb.card_number)))),
    h('p', { class: 'hint' }, t('desk.choose_hint')));
  if (c.active >= 0) v.input.setAttribute('aria-activedescendant', `desk-choice-${c.active}`);
  else v.input.removeAttribute('aria-activedescendant');
}

function choose(i) {
  const c = state.choices;
  if (!c || !c.items[i]) return;
  state.choices = null;
  drawChoices();
  queue.push({ kind: 'select', id: c.items[i].id });
  live()?.input.focus();
}

/**
 * Keys in the scan field while a name search's list is open: ↑/↓ move the highlight and Space
 * (on an empty field) takes it. A scanner sends neither, and its Enter only ever queues a scan.
 */
function choiceKeys(e) {
  const c = state.choices;
  if (!c) return false;
  if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    e.preventDefault();
    const n = c.items.length;
    c.active = e.key === 'ArrowDown' ? (c.active + 1) % n : (c.active <= 0 ? n - 1 : c.active - 1);
    drawChoices();
    return true;
  }
  if (e.key === ' ' && c.active >= 0 && e.target.value === '') {
    e.preventDefault();
    choose(c.active);
    return true;
  }
  return false;
}

function drawMember() {
  const v = live();
  if (!v) return;
  replace(v.member, state.member ? memberSummary() : null);
}

function memberSummary() {
  const mb = state.member;
  if (mb.unknown) {
    return h('section', { class: 'member-summary', 'data-testid': 'member-summary' },
      h('div', { class: 'member-head' }, h('h2', {}, mb.name), badge(t('desk.not_in_local_copy'), 'warn')),
      h('p', { class: 'hint' }, t('desk.unknown_member_hint')));
  }
  const cat = category(mb.category);
  const expired = mb.expires_on && mb.expires_on < todayIso();
  const overFine = cat && mb.unpaid_fines > 0 && mb.unpaid_fines >= cat.fine_limit;
  return h('section', { class: 'member-summary', 'data-testid': 'member-summary', 'aria-labelledby': 'member-summary-name' },
    h('div', { class: 'member-head' },
      h('h2', { id: 'member-summary-name' }, mb.name),
      h('span', { class: 'member-card' }, mb.card_number),
      mb.blocked && badge(t('member.blocked'), 'bad'),
      expired && badge(t('member.expired'), 'bad'),
      h('button', { type: 'button', class: 'link-button', 'data-testid': 'member-clear', onClick: () => { queue.push({ kind: 'clear' }); live()?.input.focus(); } }, t('desk.other_member'))),
    h('dl', { class: 'member-facts' },
      h('dt', {}, t('member.category')), h('dd', {}, categoryLabel(mb.category, cat)),
      h('dt', {}, t('member.expires_on')), h('dd', { class: expired ? 'text-bad' : null }, mb.expires_on ? formatDate(mb.expires_on) : t('member.no_expiry')),
      h('dt', {}, t('member.active_loans')), h('dd', { 'data-testid': 'member-loan-count' }, cat ? t('desk.loans_of', { count: mb.active_loans, max: cat.max_loans }) : String(mb.active_loans)),
      h('dt', {}, t('member.unpaid_fines')), h('dd', { class: mb.unpaid_fines > 0 ? (overFine ? 'text-bad strong' : 'text-warn') : null, 'data-testid': 'member-fines' },
        formatMoney(mb.unpaid_fines), cat && mb.unpaid_fines > 0 ? ` (${t('desk.fine_limit', { limit: formatMoney(cat.fine_limit) })})` : '')),
    mb.blocked && mb.blocked_reason && h('p', { class: 'text-bad' }, t('member.blocked_reason'), ': ', mb.blocked_reason),
    state.memberLoans.length
      ? table({
        caption: t('member.active_loans'),
        rows: state.memberLoans,
        rowClass: (l) => (l.overdue ? 'row-bad' : null),
        columns: [
          { label: t('loan.title'), render: (l) => l.title },
          { label: t('copy.barcode'), render: (l) => h('code', {}, l.barcode) },
          { label: t('loan.due_at'), render: (l) => [formatDate(l.due_at), ' ', l.overdue ? loanBadge(l) : null] },
          { label: t('loan.renewals'), render: (l) => String(l.renewals) },
          { label: t('common.actions'), render: (l) => h('button', { type: 'button', class: 'secondary small', onClick: () => { queue.push({ kind: 'renew', loan: l }); live()?.input.focus(); } }, t('loan.renew')) },
        ],
      })
      : h('p', { class: 'empty' }, t('desk.no_loans')));
}
