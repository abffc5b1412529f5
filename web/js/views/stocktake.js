// Stock opname (inventarisasi): start a stock take, scan the shelves, watch the counts, read the
// report's lists, finish, and mark the missing copies lost.
//
// Scanning goes through one queue (scanqueue.js), as at the desk: each scan is sent once, in
// order, whatever the network's speed; several librarians may scan the same stock take from
// their own devices (the service counts each copy once). The counts are read again after the
// queue has emptied, so a fast scanner is not slowed by them.
import { api, API_BASE } from '../api.js';
import { h, replace } from '../dom.js';
import { t, errorText } from '../i18n.js';
import { formatDateTime } from '../format.js';
import { heading, notice, table, stat, badge, confirmDialog, section, flash } from '../ui.js';
import { field, onSubmit, splitList } from '../forms.js';
import { createScanQueue, attachScanField } from '../scanqueue.js';
import { scannerTabs } from './visits.js';

const LISTS = ['not_seen', 'seen', 'on_loan', 'unknown', 'wrong_location'];
const HISTORY_MAX = 500;

const state = { id: null, view: null, history: [], list: 'not_seen', stocktake: null };

const queue = createScanQueue({
  handle: (job) => scan(job),
  onChange: (pending) => {
    const v = live();
    if (v) v.pending.textContent = pending > 1 ? t('desk.pending', { count: pending - 1 }) : '';
    if (pending === 0) refresh();
  },
});

function live() {
  const v = state.view;
  return v && v.root.isConnected ? v : null;
}

export async function renderList(root, ctx) {
  replace(root, heading(t('stocktake.title')), scannerTabs('stocktake'));
  const form = h('form', { class: 'panel', 'data-testid': 'stocktake-start' },
    h('h2', {}, t('stocktake.start')),
    field({ name: 'name', label: t('stocktake.name'), required: true, testid: 'stocktake-name' }),
    field({ name: 'locations', label: t('stocktake.locations'), hint: t('stocktake.locations_hint'), testid: 'stocktake-locations' }),
    field({ name: 'classes', label: t('stocktake.classes'), hint: t('stocktake.classes_hint'), testid: 'stocktake-classes' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', 'data-testid': 'stocktake-start-submit' }, t('stocktake.start'))));
  onSubmit(form, async (v) => {
    const st = await api.post('/stocktakes', { name: v.name, locations: splitList(v.locations), classes: splitList(v.classes) });
    ctx.navigate(`#/stock-opname/${st.id}`);
  }, { fieldMap: { 'locations[0]': 'locations', 'classes[0]': 'classes' } });
  let list;
  try {
    list = (await api.get('/stocktakes')).items;
  } catch (err) {
    root.append(notice('error', errorText(err)));
    return;
  }
  if (!ctx.isCurrent()) return;
  root.append(
    table({
      caption: t('stocktake.title'),
      rows: list,
      testid: 'stocktake-list',
      empty: t('stocktake.none'),
      columns: [
        { label: t('stocktake.name'), render: (s) => h('a', { href: `#/stock-opname/${s.id}` }, s.name) },
        { label: t('copy.status'), render: (s) => badge(t(`stocktake.status.${s.status}`), s.status === 'open' ? 'ok' : 'neutral') },
        { label: t('stocktake.started'), render: (s) => `${formatDateTime(s.started_at)} (${s.started_by})` },
        { label: t('stocktake.progress'), render: (s) => t('stocktake.seen_of', { seen: s.counts.seen, expected: s.counts.expected }) },
      ],
    }),
    form);
}

export async function renderDetail(root, ctx) {
  const id = Number(ctx.params.id);
  if (state.id !== id) { state.id = id; state.history = []; state.list = 'not_seen'; }
  const input = h('input', {
    id: 'stocktake-scan', name: 'scan', type: 'text', class: 'scan-input', autocomplete: 'off', autocapitalize: 'none',
    spellcheck: 'false', 'data-testid': 'stocktake-scan',
  });
  const location = h('input', { id: 'stocktake-location', name: 'location', type: 'text', autocomplete: 'off', 'data-testid': 'stocktake-location' });
  const view = {
    root,
    input,
    location,
    head: h('div', {}),
    counts: h('div', { class: 'stats', 'data-testid': 'stocktake-counts' }),
    banner: h('div', { class: 'desk-result desk-result-idle', 'data-testid': 'stocktake-result', 'aria-live': 'assertive', 'aria-atomic': 'true' }),
    pending: h('p', { class: 'desk-pending', 'data-testid': 'stocktake-pending', 'aria-live': 'polite' }),
    historyList: h('ol', { class: 'desk-history', 'data-testid': 'stocktake-history' }),
    scanArea: h('div', {}),
    actions: h('div', { class: 'actions' }),
    lists: h('div', { 'data-testid': 'stocktake-lists' }),
  };
  state.view = view;
  const { submit } = attachScanField(input, { push: (code) => queue.push({ code, location: location.value.trim() || null }) },
    { isActive: () => state.view === view && input.isConnected });
  replace(view.scanArea,
    h('div', { class: 'scan-form' },
      h('label', { for: 'stocktake-location' }, t('stocktake.shelf')),
      location,
      h('label', { for: 'stocktake-scan' }, t('stocktake.scan_label')),
      h('div', { class: 'scan-row' }, input,
        h('button', { type: 'button', class: 'primary', tabindex: '-1', onClick: () => { submit(); input.focus(); } }, t('desk.enter'))),
      h('p', { class: 'hint' }, t('stocktake.scan_hint')),
      view.pending));
  replace(root, view.head, view.counts,
    h('div', { class: 'desk-grid' },
      h('div', { class: 'desk-main' }, view.banner, view.scanArea, view.actions),
      h('aside', { class: 'desk-side' }, h('h2', {}, t('desk.history')), view.historyList)),
    view.lists);
  view.banner.append(h('p', { class: 'desk-result-title' }, t('desk.ready')));
  drawHistory();
  await refresh();
  if (ctx.isCurrent() && state.stocktake?.status === 'open') input.focus();
}

/** Reads the stock take and the chosen list again, and draws them. */
async function refresh() {
  const v = live();
  if (!v) return;
  let st;
  try {
    st = await api.get(`/stocktakes/${state.id}`);
  } catch (err) {
    replace(v.head, heading(t('stocktake.title')), notice('error', errorText(err)));
    return;
  }
  state.stocktake = st;
  replace(v.head, heading(st.name, badge(t(`stocktake.status.${st.status}`), st.status === 'open' ? 'ok' : 'neutral')),
    h('p', {}, h('a', { href: '#/stock-opname' }, t('stocktake.all'))));
  const c = st.counts;
  replace(v.counts,
    stat(t('stocktake.count.expected'), String(c.expected), 'count-expected'),
    stat(t('stocktake.count.seen'), String(c.seen), 'count-seen'),
    stat(t('stocktake.count.not_seen'), String(c.not_seen), 'count-not_seen'),
    c.at_desk_not_seen ? stat(t('stocktake.count.at_desk_not_seen'), String(c.at_desk_not_seen), 'count-at_desk_not_seen') : null,
    stat(t('stocktake.count.seen_on_loan'), String(c.seen_on_loan), 'count-on_loan'),
    stat(t('stocktake.count.unknown'), String(c.unknown), 'count-unknown'),
    stat(t('stocktake.count.wrong_location'), String(c.wrong_location), 'count-wrong_location'),
    c.marked_lost ? stat(t('stocktake.count.marked_lost'), String(c.marked_lost), 'count-marked_lost') : null);
  v.scanArea.hidden = st.status !== 'open';
  replace(v.actions, st.status === 'open'
    ? h('button', { type: 'button', class: 'secondary', 'data-testid': 'stocktake-finish', onClick: finish }, t('stocktake.finish'))
    : h('button', { type: 'button', class: 'danger', 'data-testid': 'stocktake-mark-lost', disabled: c.not_seen === 0, onClick: markLost }, t('stocktake.mark_lost', { count: c.not_seen })));
  await drawList();
}

async function drawList() {
  const v = live();
  if (!v) return;
  const list = state.list;
  let rows;
  try {
    rows = await api.get(`/stocktakes/${state.id}/report`, { list });
  } catch (err) {
    replace(v.lists, notice('error', errorText(err)));
    return;
  }
  const link = (format) => h('a', { href: `${API_BASE}/stocktakes/${state.id}/report?list=${list}&format=${format}`, class: 'button secondary small', 'data-testid': `stocktake-download-${format}` }, format.toUpperCase());
  const cols = {
    not_seen: ['barcode', 'title', 'call_number', 'location', 'status'],
    seen: ['barcode', 'title', 'location', 'seen_location', 'seen_at', 'seen_by'],
    on_loan: ['barcode', 'title', 'member_name', 'card_number', 'due_at'],
    unknown: ['barcode', 'scans', 'seen_location', 'seen_at', 'seen_by'],
    wrong_location: ['barcode', 'title', 'location', 'seen_location', 'seen_by'],
  }[list];
  const cell = (row, k) => {
    const x = row[k];
    if (x == null) return '—';
    if (k === 'status') return t(`status.copy.${x}`, {}, x);
    return String(x);
  };
  replace(v.lists, section(t('stocktake.report'),
    h('nav', { class: 'tabs', 'aria-label': t('stocktake.report') }, LISTS.map((l) => h('button', {
      type: 'button', class: 'tab', 'aria-current': l === list ? 'page' : null, 'data-testid': `stocktake-list-${l}`,
      onClick: () => { state.list = l; drawList(); },
    }, t(`stocktake.list.${l}`)))),
    h('p', {}, t('stocktake.download'), ' ', link('csv'), ' ', link('xlsx')),
    table({ caption: t(`stocktake.list.${list}`), rows, testid: 'stocktake-report', columns: cols.map((k) => ({ label: t(`stocktake.col.${k}`), render: (r) => cell(r, k) })) })));
}

async function scan(job) {
  const { code, location } = job;
  try {
    const r = await api.post(`/stocktakes/${state.id}/scans`, { barcode: code, location });
    const lines = [];
    if (r.copy) lines.push(`${r.copy.title} [${r.barcode}]`);
    if (r.loan) lines.push(t('stocktake.on_loan_to', { name: r.loan.member_name, card: r.loan.card_number }));
    if (r.wrong_location) lines.push(t('stocktake.wrong_place', { location: r.copy.location }));
    if (r.found) lines.push(r.hold ? t('stocktake.found_hold', { name: r.hold.member_name }) : t('stocktake.found'));
    const kind = r.result === 'unknown' ? 'refused' : (r.loan || r.wrong_location || r.found || r.result === 'unexpected') ? 'hold' : 'ok';
    result(kind, code, t(`stocktake.result.${r.result}`, { barcode: r.barcode }), lines);
  } catch (err) {
    result('refused', code, t('desk.refused', { reason: errorText(err) }), []);
  }
}

function result(kind, scanned, title, lines) {
  state.history.unshift({ kind, scanned, line: [title, ...lines].join(' · ') });
  state.history.length = Math.min(state.history.length, HISTORY_MAX);
  const v = live();
  if (!v) return;
  v.banner.className = `desk-result desk-result-${kind}`;
  replace(v.banner, h('p', { class: 'desk-result-title' }, title), lines.map((l) => h('p', { class: 'desk-result-line' }, l)));
  drawHistory();
  const a = document.activeElement;
  if (!a || a === document.body || (v.root.contains(a) && a !== v.location)) v.input.focus();
}

function drawHistory() {
  const v = live();
  if (!v) return;
  replace(v.historyList, state.history.length
    ? state.history.map((e) => h('li', { class: `history-${e.kind}`, 'data-scan': e.scanned }, e.line))
    : h('li', { class: 'empty' }, t('desk.history_empty')));
}

async function finish() {
  if (!(await confirmDialog(t('stocktake.finish_confirm')))) return;
  try {
    await api.post(`/stocktakes/${state.id}/finish`, {});
    flash(t('stocktake.finished'));
  } catch (err) {
    flash(errorText(err), 'error');
  }
  await refresh();
}

async function markLost() {
  const n = state.stocktake?.counts.not_seen || 0;
  if (!(await confirmDialog(t('stocktake.mark_lost_confirm', { count: n }), { danger: true }))) return;
  try {
    const r = await api.post(`/stocktakes/${state.id}/lost`, {});
    flash(t('stocktake.marked_lost', { count: r.marked }));
  } catch (err) {
    flash(errorText(err), 'error');
  }
  await refresh();
}
