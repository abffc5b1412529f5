// Reports (staff): one report over a date range as a chart (SVG drawn here, no external URL),
// a table and CSV/XLSX downloads; a one-page semester summary to print; and the accreditation
// summary (issue #30) with its PDF and XLSX.
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { t, getLang } from '../i18n.js';
import { formatMoney, formatDate, todayIso } from '../format.js';
import { table, heading, errorNotice, loading, notice, stat, section } from '../ui.js';
import { can } from '../session.js';

const SVG = 'http://www.w3.org/2000/svg';

// name → [label column, value columns drawn as bars]; no entry: no chart (a list).
const CHARTS = {
  'loans-per-month': ['month', ['loans']],
  'loans-per-day': ['date', ['loans']],
  'loans-by-category': ['category_name', ['loans', 'borrowers']],
  'loans-by-class': ['class', ['loans']],
  'top-titles': ['title', ['loans']],
  'active-members': ['category_name', ['active_members', 'members']],
  acquisitions: ['month', ['titles', 'copies']],
  collection: ['class', ['available', 'on_loan', 'lost']],
  fines: ['month', ['charged', 'paid', 'waived']],
  visitors: ['month', ['member_visits', 'guest_visits']],
  'collection-by-type': ['collection_type_name', ['all_titles', 'all_copies']],
};
const MONEY = new Set(['charged', 'paid', 'waived']);
const NAMES = ['loans-per-month', 'loans-per-day', 'loans-by-category', 'loans-by-class', 'top-titles',
  'active-members', 'acquisitions', 'collection', 'overdue', 'fines', 'visitors', 'collection-by-type', 'in-library-uses'];
const NOW_ONLY = new Set(['collection', 'overdue', 'collection-by-type']);

/** The first day of the month five months before `to`'s (a semester with `to`'s month). */
function semesterStart(to) {
  const [y, m] = to.split('-').map(Number);
  const d = new Date(Date.UTC(y, m - 1 - 5, 1));
  return d.toISOString().slice(0, 10);
}

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/** "2026-07" → "Jul 2026" / "Juli 2026" in the page's language. */
function monthName(ym) {
  const [y, m] = String(ym).split('-').map(Number);
  if (!y || !m) return String(ym);
  return new Intl.DateTimeFormat(getLang() === 'id' ? 'id-ID' : 'en-GB', { month: 'short', year: 'numeric', timeZone: 'UTC' })
    .format(new Date(Date.UTC(y, m - 1, 1)));
}

const label = (key) => t(`report.col.${key}`, {}, key);
const cellText = (key, value) => {
  if (value === null || value === undefined) return '—';
  if (MONEY.has(key)) return formatMoney(value);
  if (key === 'class') return value === 'other' ? t('report.class_other') : value;
  if (key === 'due_date' || key === 'date') return formatDate(value);
  if (key === 'month') return monthName(value);
  return String(value);
};

/** Horizontal bars, one group per row, one bar per value column; a legend when there are several. */
export function barChart(rows, labelKey, valueKeys, title) {
  const barH = 14, gap = 6, labelW = 170, width = 640, plotW = width - labelW - 70;
  const groupH = valueKeys.length * barH + gap;
  const max = Math.max(1, ...rows.flatMap((r) => valueKeys.map((k) => Number(r[k]) || 0)));
  const legendH = valueKeys.length > 1 ? 22 : 0;
  const height = legendH + rows.length * groupH + 4;
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, width: '100%', role: 'img', 'aria-label': title, class: 'chart', 'data-testid': 'report-chart' },
    svg('title', {}, title));
  valueKeys.forEach((k, i) => {
    if (!legendH) return;
    root.append(svg('rect', { x: labelW + i * 150, y: 4, width: 12, height: 12, class: `bar bar-${i}` }),
      svg('text', { x: labelW + i * 150 + 18, y: 14, class: 'chart-text' }, label(k)));
  });
  rows.forEach((r, ri) => {
    const y0 = legendH + ri * groupH;
    let name = cellText(labelKey, r[labelKey]);
    if (name.length > 26) name = `${name.slice(0, 25)}…`;
    root.append(svg('text', { x: labelW - 6, y: y0 + (valueKeys.length * barH) / 2 + 4, 'text-anchor': 'end', class: 'chart-text' }, name));
    valueKeys.forEach((k, i) => {
      const v = Number(r[k]) || 0;
      const w = Math.round((v / max) * plotW);
      const y = y0 + i * barH;
      root.append(svg('rect', { x: labelW, y, width: Math.max(w, v ? 1 : 0), height: barH - 2, class: `bar bar-${i}` },
        svg('title', {}, `${name} · ${label(k)}: ${cellText(k, v)}`)));
      root.append(svg('text', { x: labelW + w + 4, y: y + barH - 4, class: 'chart-text chart-value' }, cellText(k, v)));
    });
  });
  return root;
}

function reportTable(name, info, rows) {
  return table({
    testid: 'report-table', caption: t(`report.name.${name}`), rows, empty: t('report.empty'),
    columns: info.columns.map((key) => ({
      label: label(key),
      class: typeof rows[0]?.[key] === 'number' && key !== 'book_id' ? 'num' : null,
      render: (r) => (key === 'title' && r.book_id ? h('a', { href: `#/buku/${r.book_id}` }, r.title) : cellText(key, r[key])),
    })),
  });
}

/** #/laporan, #/laporan/:name (?from=&to=), #/laporan/ringkasan, #/laporan/akreditasi. */
export async function render(root, ctx) {
  const name = ctx.params.name || 'loans-per-month';
  const to = /^\d{4}-\d{2}-\d{2}$/.test(ctx.query.to || '') ? ctx.query.to : todayIso();
  const from = /^\d{4}-\d{2}-\d{2}$/.test(ctx.query.from || '') ? ctx.query.from : semesterStart(to);
  const choose = h('select', { name: 'report', 'data-testid': 'report-choice' },
    [...NAMES, 'ringkasan', 'akreditasi'].map((n) => h('option', { value: n, selected: n === name },
      { ringkasan: t('report.summary'), akreditasi: t('report.accreditation') }[n] || t(`report.name.${n}`))));
  const range = h('form', { class: 'report-range no-print', 'data-testid': 'report-range' },
    h('label', {}, t('report.choose'), ' ', choose),
    h('label', {}, t('report.from'), ' ', h('input', { type: 'date', name: 'from', value: from, required: true })),
    h('label', {}, t('report.to'), ' ', h('input', { type: 'date', name: 'to', value: to, required: true })),
    h('button', { type: 'submit', class: 'primary' }, t('report.show')),
    h('button', { type: 'button', class: 'secondary', 'data-testid': 'report-accreditation',
      onClick: () => { choose.value = 'akreditasi'; go(); } }, t('report.accreditation')));
  const go = () => {
    const v = Object.fromEntries(new FormData(range));
    ctx.navigate(`#/laporan/${v.report}?from=${v.from}&to=${v.to}`);
  };
  range.addEventListener('submit', (e) => { e.preventDefault(); go(); });
  choose.addEventListener('change', go);
  const body = h('div', {}, loading());
  const readingLink = can('reading', ctx.user) ? h('a', { href: '#/literasi', class: 'button secondary', 'data-testid': 'reports-reading' }, t('nav.reading')) : null;
  replace(root, heading(t('nav.reports'), readingLink), range, body);
  if (name === 'ringkasan') return summary(body, from, to, ctx);
  if (name === 'akreditasi') return accreditation(body, from, to, ctx);
  if (!NAMES.includes(name)) { replace(body, notice('error', t('err.not_found'))); return; }
  try {
    const [list, rows] = await Promise.all([api.get('/reports'), api.get(`/reports/${name}`, { from, to })]);
    if (!ctx.isCurrent()) return;
    const info = list.find((r) => r.name === name);
    const lang = getLang();
    const download = (format) => h('a', { class: 'button secondary', href: `/api/v1/reports/${name}?from=${from}&to=${to}&format=${format}&lang=${lang}`, download: '', 'data-testid': `report-${format}` },
      t(`report.download_${format}`));
    const chart = CHARTS[name] && rows.length ? barChart(rows, CHARTS[name][0], CHARTS[name][1], t(`report.name.${name}`)) : null;
    replace(body,
      h('h2', {}, t(`report.name.${name}`)),
      h('p', { class: 'hint' }, NOW_ONLY.has(name) ? t('report.as_of_now') : t('report.range', { from: formatDate(from), to: formatDate(to) })),
      h('div', { class: 'actions no-print' }, download('csv'), download('xlsx'),
        h('button', { type: 'button', class: 'secondary', onClick: () => window.print() }, t('report.print'))),
      chart && h('figure', { class: 'chart-box' }, chart),
      reportTable(name, info, rows));
  } catch (err) {
    replace(body, errorNotice(err));
  }
}

/** A one-page semester summary: the headline figures, loans per month, the top ten, by class. */
async function summary(body, from, to, ctx) {
  try {
    const get = (n) => api.get(`/reports/${n}`, { from, to });
    const [perMonth, byClass, top, active, acq, fines, overdue] = await Promise.all(
      ['loans-per-month', 'loans-by-class', 'top-titles', 'active-members', 'acquisitions', 'fines', 'overdue'].map(get));
    if (!ctx.isCurrent()) return;
    const sum = (rows, k) => rows.reduce((a, r) => a + (Number(r[k]) || 0), 0);
    replace(body,
      h('div', { class: 'report-summary', 'data-testid': 'report-summary' },
        h('h2', {}, t('report.summary_title', { from: formatDate(from), to: formatDate(to) })),
        h('div', { class: 'stats' },
          stat(t('report.col.loans'), String(sum(perMonth, 'loans')), 'summary-loans'),
          stat(t('report.col.active_members'), String(sum(active, 'active_members')), 'summary-active'),
          stat(t('report.col.copies'), String(sum(acq, 'copies')), 'summary-copies'),
          stat(t('report.col.paid'), formatMoney(sum(fines, 'paid')), 'summary-paid'),
          stat(t('report.overdue_now'), String(overdue.length), 'summary-overdue')),
        h('div', { class: 'actions no-print' }, h('button', { type: 'button', class: 'primary', onClick: () => window.print() }, t('report.print')),
          h('a', { class: 'button secondary', href: `/api/v1/reports/summary?from=${from}&to=${to}&format=pdf&lang=${getLang()}`, target: '_blank', rel: 'noopener', 'data-testid': 'summary-pdf' }, 'PDF')),
        section(t('report.name.loans-per-month'), barChart(perMonth, 'month', ['loans'], t('report.name.loans-per-month'))),
        section(t('report.name.loans-by-class'), barChart(byClass, 'class', ['loans'], t('report.name.loans-by-class'))),
        section(t('report.top10'), top.length
          ? h('ol', {}, top.slice(0, 10).map((r) => h('li', {}, `${r.title} (${r.loans})`)))
          : h('p', { class: 'empty' }, t('report.empty')))));
  } catch (err) {
    replace(body, errorNotice(err));
  }
}

/** The accreditation summary: the collection by type and by DDC class (titles, copies, loans and
 * in-library uses of the range), the members; PDF and XLSX for the form. */
async function accreditation(body, from, to, ctx) {
  try {
    const a = await api.get('/reports/accreditation', { from, to });
    if (!ctx.isCurrent()) return;
    const lang = getLang();
    const file = (format, label) => h('a', { class: 'button secondary', href: `/api/v1/reports/accreditation?from=${from}&to=${to}&format=${format}&lang=${lang}`,
      download: '', 'data-testid': `accreditation-${format}` }, label);
    const total = { key: 'total', titles: a.titles, copies: a.copies, loans: a.loans, uses: a.uses };
    const lines = (testid, first, rows, name) => table({
      testid, rows: [...rows, total], empty: t('report.empty'),
      rowClass: (r) => (r.key === 'total' ? 'total' : null),
      columns: [
        { label: first, render: (r) => (r.key === 'total' ? h('strong', {}, t('report.col.total')) : name(r)) },
        ...['titles', 'copies', 'loans', 'uses'].map((k) => ({ label: t(`report.acc.${k}`), class: 'num', render: (r) => String(r[k]) })),
      ],
    });
    const members = table({
      testid: 'accreditation-members', rows: [...a.members, { category_name: t('report.col.total'), members: a.member_total, borrowers: a.borrower_total, total: true }],
      rowClass: (r) => (r.total ? 'total' : null),
      columns: [
        { label: t('report.col.category_name'), render: (r) => (r.total ? h('strong', {}, r.category_name) : r.category_name) },
        { label: t('report.acc.members'), class: 'num', render: (r) => String(r.members) },
        { label: t('report.acc.borrowers'), class: 'num', render: (r) => String(r.borrowers) },
      ],
    });
    replace(body,
      h('div', { class: 'report-accreditation', 'data-testid': 'report-accreditation-view' },
        h('h2', {}, t('report.accreditation')),
        h('p', { class: 'hint' }, t('report.acc.hint', { from: formatDate(from), to: formatDate(to) })),
        h('div', { class: 'actions no-print' }, file('pdf', t('report.download_pdf')), file('xlsx', t('report.download_xlsx')),
          h('button', { type: 'button', class: 'secondary', onClick: () => window.print() }, t('report.print'))),
        section(t('report.acc.by_type'), lines('accreditation-types', t('report.col.collection_type_name'), a.by_type,
          (r) => (r.key === '-' ? t('report.acc.no_type') : r.name))),
        section(t('report.acc.by_class'), lines('accreditation-classes', t('report.col.class'), a.by_class,
          (r) => (r.key === 'other' ? t('report.class_other') : r.key))),
        section(t('report.acc.members_heading'), members)));
  } catch (err) {
    replace(body, errorNotice(err));
  }
}
