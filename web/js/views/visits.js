// Kunjungan: visitor statistics for staff (per day, hour, category or class) with CSV/XLSX downloads,
// and the way to the entrance kiosk.
import { api, API_BASE } from '../api.js';
import { h, replace } from '../dom.js';
import { t, errorText } from '../i18n.js';
import { todayIso } from '../format.js';
import { heading, notice, table, tabs } from '../ui.js';
import { field } from '../forms.js';

const GROUPS = ['day', 'hour', 'category', 'grade'];
// The columns of each table in the API's order (a JSON object's keys come sorted). `kind` only
// says what a row of the per-class table is: it is shown in the row's class cell instead.
const COLUMNS = {
  day: ['date', 'visits', 'members', 'guests'],
  hour: ['hour', 'visits'],
  category: ['category', 'visits'],
  grade: ['grade', 'visits', 'visitors'],
};

/** A cell of the statistics: per class, the rows of members without a class and of guests say so. */
function cell(r, c) {
  if (c === 'grade' && r.grade == null) return h('em', {}, t(`visits.kind.${r.kind}`, {}, r.kind));
  if (c === 'category' && r.category === 'guest') return t('visits.kind.guest');
  return String(r[c] ?? '');
}

/** The way between the desk and the library's two other scanners' pages (see app.js). */
export function scannerTabs(active) {
  return tabs([
    { href: '#/meja', label: t('nav.desk'), active: false, testid: 'tab-desk' },
    { href: '#/stock-opname', label: t('nav.stocktake'), active: active === 'stocktake', testid: 'tab-stocktake' },
    { href: '#/kunjungan', label: t('nav.visits'), active: active === 'visits', testid: 'tab-visits' },
  ], t('nav.stocktake'));
}

export async function render(root, ctx) {
  const q = { from: ctx.query.from || todayIso(-30), to: ctx.query.to || todayIso(), by: GROUPS.includes(ctx.query.by) ? ctx.query.by : 'day' };
  const out = h('div', { 'data-testid': 'visits-table' });
  const form = h('form', { class: 'panel filters', 'data-testid': 'visits-form' },
    field({ name: 'from', label: t('visits.from'), type: 'date', value: q.from }),
    field({ name: 'to', label: t('visits.to'), type: 'date', value: q.to }),
    field({ name: 'by', label: t('visits.by'), type: 'select', value: q.by, options: GROUPS.map((g) => ({ value: g, label: t(`visits.by.${g}`) })) }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('visits.show'))));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const d = Object.fromEntries(new FormData(form));
    ctx.replaceQuery(d);
    Object.assign(q, d);
    load();
  });
  replace(root, heading(t('visits.title')), scannerTabs('visits'),
    h('p', {}, h('a', { href: '#/tamu', 'data-testid': 'open-kiosk' }, t('visits.open_kiosk'))),
    form, out);

  async function load() {
    let rows;
    try {
      rows = await api.get('/visits/stats', q);
    } catch (err) {
      replace(out, notice('error', errorText(err)));
      return;
    }
    if (!ctx.isCurrent()) return;
    const cols = COLUMNS[q.by] || (rows.length ? Object.keys(rows[0]) : []);
    const link = (path, format, label) => h('a', { href: `${API_BASE}${path}?${new URLSearchParams({ ...q, format })}`, class: 'button secondary small' }, label);
    replace(out,
      h('p', {}, t('visits.download'), ' ', link('/visits/stats', 'csv', 'CSV'), ' ', link('/visits/stats', 'xlsx', 'XLSX'),
        ' · ', t('visits.download_all'), ' ', link('/visits', 'csv', 'CSV'), ' ', link('/visits', 'xlsx', 'XLSX')),
      table({ caption: t('visits.title'), rows, columns: cols.map((c) => ({ label: t(`visits.col.${c}`, {}, c), render: (r) => cell(r, c), class: c === 'visits' || c === 'members' || c === 'guests' || c === 'visitors' ? 'num' : undefined })) }));
  }
  await load();
}
