// Shared page pieces: headings, tables, pagination, tabs, badges, notices and dialogs.
import { h, append } from './dom.js';
import { t, errorText } from './i18n.js';

/**
 * A labelled search box with its button; `onSearch(text)` runs on Enter or click.
 * Returns the form and its input (focus it when the view opens).
 */
export function searchForm({ id, label, value = '', testid, hint, onSearch, extra = [] }) {
  const input = h('input', {
    id, name: 'q', type: 'search', value, autocomplete: 'off', 'data-testid': testid,
    ...(hint ? { 'aria-describedby': `${id}-hint` } : {}),
  });
  const form = h('form', { class: 'search-form', role: 'search' },
    h('label', { for: id }, label),
    h('div', { class: 'search-row' }, input, ...extra, h('button', { type: 'submit', class: 'primary' }, t('catalog.search'))),
    hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null);
  form.addEventListener('submit', (e) => { e.preventDefault(); onSearch(input.value.trim()); });
  return { form, input };
}

/** The view's <h1>; focusable so the router can move focus to it on navigation. */
export function heading(text, ...extra) {
  return h('div', { class: 'view-head' }, h('h1', { tabindex: '-1' }, text), ...extra);
}

export function badge(text, kind = 'neutral') {
  return h('span', { class: `badge badge-${kind}` }, text);
}

export function notice(kind, ...content) {
  return h('div', { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, ...content);
}

export const errorNotice = (err) => notice('error', errorText(err));
export const loading = () => h('p', { class: 'loading', role: 'status' }, t('common.loading'));

/**
 * A table. columns: [{ label, render(row) → node|string, class? }].
 */
export function table({ columns, rows, empty, caption, testid, rowClass }) {
  if (!rows.length) return h('p', { class: 'empty', 'data-testid': testid }, empty || t('common.empty'));
  return h('div', { class: 'table-wrap' },
    h('table', { 'data-testid': testid },
      caption && h('caption', { class: 'sr-only' }, caption),
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.class }, c.label)))),
      h('tbody', {}, rows.map((row) => h('tr', { class: rowClass ? rowClass(row) : null },
        columns.map((c) => h('td', { class: c.class, 'data-label': c.label }, c.render(row))))))));
}

/** "Halaman 2 dari 7" with previous/next buttons; calls onPage(n). */
export function pager(list, onPage) {
  const pages = Math.max(1, Math.ceil((list.total || 0) / (list.per_page || 20)));
  if (pages <= 1) return null;
  const page = list.page || 1;
  return h('nav', { class: 'pager', 'aria-label': t('common.pagination') },
    h('button', { type: 'button', class: 'secondary', disabled: page <= 1, onClick: () => onPage(page - 1) }, `← ${t('common.prev')}`),
    h('span', { class: 'pager-info' }, t('common.page_of', { page, pages })),
    h('button', { type: 'button', class: 'secondary', disabled: page >= pages, onClick: () => onPage(page + 1) }, `${t('common.next')} →`));
}

/** Sub-navigation links; `items: [{ href, label, active }]`. */
export function tabs(items, label) {
  return h('nav', { class: 'tabs', 'aria-label': label },
    items.map((it) => h('a', { href: it.href, class: 'tab', 'aria-current': it.active ? 'page' : null, 'data-testid': it.testid }, it.label)));
}

/** A labelled summary figure, e.g. in the stats strip. */
export function stat(label, value, testid) {
  return h('div', { class: 'stat', 'data-testid': testid }, h('span', { class: 'stat-value' }, value), h('span', { class: 'stat-label' }, label));
}

/** Key/value list (dl). pairs: [[label, value], ...] */
export function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '—')]));
}

/** A section with an <h2>. */
export function section(title, ...children) {
  return h('section', { class: 'panel' }, h('h2', {}, title), ...children);
}

function openDialog(build) {
  return new Promise((resolve) => {
    const dialog = h('dialog', { class: 'dialog' });
    const done = (value) => { dialog.close(); dialog.remove(); resolve(value); };
    append(dialog, [build(done)]);
    dialog.addEventListener('cancel', (e) => { e.preventDefault(); done(null); });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** Ask yes/no; resolves true/false. */
export function confirmDialog(message, { confirmLabel, danger } = {}) {
  return openDialog((done) => {
    const form = h('form', { method: 'dialog' },
      h('p', { class: 'dialog-message' }, message),
      h('div', { class: 'actions' },
        h('button', { type: 'submit', class: danger ? 'danger' : 'primary' }, confirmLabel || t('common.yes')),
        h('button', { type: 'button', class: 'secondary', onClick: () => done(false) }, t('common.cancel'))));
    form.addEventListener('submit', (e) => { e.preventDefault(); done(true); });
    return form;
  }).then((v) => v === true);
}

/** Ask for one line of text; resolves the text or null when cancelled. */
export function promptDialog({ message, label, required = true, confirmLabel }) {
  return openDialog((done) => {
    const input = h('input', { id: 'dialog-input', type: 'text', required, autocomplete: 'off' });
    const form = h('form', { method: 'dialog' },
      message && h('p', { class: 'dialog-message' }, message),
      h('div', { class: 'field' }, h('label', { for: 'dialog-input' }, label), input),
      h('div', { class: 'actions' },
        h('button', { type: 'submit', class: 'primary' }, confirmLabel || t('common.ok')),
        h('button', { type: 'button', class: 'secondary', onClick: () => done(null) }, t('common.cancel'))));
    form.addEventListener('submit', (e) => { e.preventDefault(); if (!required || input.value.trim()) done(input.value.trim()); });
    return form;
  });
}

/** A short message in the page-wide polite live region ("Tersimpan."). */
export function flash(text, kind = 'ok') {
  const region = document.getElementById('flash');
  if (!region) return;
  // A success makes earlier red form errors stale: they never stay on screen beside it.
  if (kind === 'ok') {
    for (const box of document.querySelectorAll('.form-error:not([hidden])')) { box.hidden = true; box.textContent = ''; }
  }
  region.replaceChildren(h('div', { class: `flash flash-${kind}` }, text));
  clearTimeout(flash.timer);
  flash.timer = setTimeout(() => region.replaceChildren(), 5000);
}

const STATUS_KIND = {
  available: 'ok', on_loan: 'info', on_hold_shelf: 'warn', lost: 'bad', withdrawn: 'neutral',
  waiting: 'info', ready: 'ok', fulfilled: 'neutral', cancelled: 'neutral', expired: 'neutral',
  unpaid: 'bad', paid: 'ok', waived: 'neutral',
};

/** Status of a copy, hold or fine as a coloured badge: statusBadge('copy', 'on_loan'). */
export function statusBadge(group, status) {
  return badge(t(`status.${group}.${status}`, {}, status), STATUS_KIND[status] || 'neutral');
}

/** Loan state: returned / overdue / on loan. */
export function loanBadge(loan) {
  if (loan.returned_at) return badge(t('status.loan.returned'), 'neutral');
  if (loan.overdue) return badge(t('status.loan.overdue'), 'bad');
  return badge(t('status.loan.active'), 'info');
}

/** "2 dari 3 tersedia" (green when at least one is on the shelf). */
export function availabilityBadge(book) {
  if (!book.copies_total) return badge(t('book.no_copies'), 'neutral');
  return badge(t('book.available_of', { available: book.copies_available, total: book.copies_total }),
    book.copies_available > 0 ? 'ok' : 'bad');
}
