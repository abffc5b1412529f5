// Admin: stats strip, loan rules per category, closed days, user accounts, notices, audit log, import, backups.
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { t, errorText, roleName, weekdayName } from '../i18n.js';
import { formatDate, formatDateTime, formatMoney } from '../format.js';
import { field, onSubmit, intOrNull } from '../forms.js';
import { forgetCategories } from '../categories.js';
import { noticesTab } from './notices.js';
import { importTab } from './imports.js';
import { sourcesTab } from './copycat.js';
import { backupTab } from './backup.js';
import { heading, tabs, table, pager, stat, section, errorNotice, loading, confirmDialog, flash } from '../ui.js';

const TABS = ['kategori', 'libur', 'pengguna', 'notifikasi', 'audit', 'impor', 'sumber', 'cadangan'];
const RULES = ['max_loans', 'loan_days', 'max_renewals', 'fine_per_day', 'max_fine_per_loan', 'fine_limit', 'hold_pickup_days',
  'overdue_grace_days', 'lost_charge', 'damage_charge'];

export async function render(root, ctx) {
  const tab = TABS.includes(ctx.params.tab) ? ctx.params.tab : 'kategori';
  const statsBox = h('div', { class: 'stats', 'data-testid': 'stats' });
  const body = h('div', {});
  replace(root, heading(t('admin.title')), statsBox,
    tabs(TABS.map((k) => ({ href: `#/admin/${k}`, label: t(`admin.tab.${k}`), active: k === tab, testid: `admin-tab-${k}` })), t('admin.title')),
    body);
  const again = () => ctx.navigate(location.hash);
  const act = async (fn, done) => {
    try { await fn(); flash(done); again(); } catch (err) { flash(errorText(err), 'error'); }
  };
  loadStats(statsBox);
  const views = { kategori: categoriesTab, libur: closedDaysTab, pengguna: usersTab, notifikasi: noticesTab, audit: auditTab, impor: importTab, sumber: sourcesTab, cadangan: backupTab };
  body.append(loading());
  await views[tab](body, { ctx, again, act });
}

async function loadStats(box) {
  try {
    const s = await api.get('/stats');
    replace(box,
      stat(t('stats.books'), s.books, 'stat-books'),
      stat(t('stats.copies'), s.copies, 'stat-copies'),
      stat(t('stats.members'), s.members, 'stat-members'),
      stat(t('stats.active_loans'), s.active_loans, 'stat-active-loans'),
      stat(t('stats.overdue_loans'), s.overdue_loans, 'stat-overdue-loans'),
      stat(t('stats.unpaid_fines'), formatMoney(s.unpaid_fines), 'stat-unpaid-fines'));
  } catch (err) {
    replace(box, errorNotice(err));
  }
}

function categoryForm(c, { isNew, again, act }) {
  const form = h('form', { class: 'category-form', 'data-testid': isNew ? 'category-new' : `category-${c.code}` },
    h('div', { class: 'rule-grid' },
      field({ name: 'code', label: t('category.code'), value: c.code, required: true, attrs: isNew ? { pattern: '[a-z0-9_-]+', autocomplete: 'off' } : { readonly: true } }),
      field({ name: 'name', label: t('category.name'), value: c.name, required: true }),
      RULES.map((r) => field({ name: r, label: t(`category.${r}`), type: 'number', value: c[r], required: true, attrs: { min: 0, step: 1 } }))),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, isNew ? t('admin.add_category') : t('common.save')),
      !isNew && h('button', { type: 'button', class: 'danger',
        onClick: async () => {
          if (await confirmDialog(t('admin.delete_category_confirm', { name: c.name }), { danger: true, confirmLabel: t('common.delete') })) {
            act(async () => { await api.del(`/categories/${encodeURIComponent(c.code)}`); forgetCategories(); }, t('common.deleted'));
          }
        } }, t('common.delete'))));
  onSubmit(form, async (v) => {
    const body = { name: v.name }; // the code travels in the path
    for (const r of RULES) body[r] = intOrNull(v[r]);
    await api.put(`/categories/${encodeURIComponent(v.code)}`, body);
    forgetCategories();
    flash(t('common.saved'));
    again();
  });
  return form;
}

async function categoriesTab(body, { again, act }) {
  try {
    const { items } = await api.get('/categories');
    replace(body,
      h('p', { class: 'hint' }, t('admin.categories_hint')),
      items.map((c) => section(`${c.name} (${c.code})`, categoryForm(c, { again, act }))),
      section(t('admin.new_category'), categoryForm({ code: '', name: '', max_loans: 3, loan_days: 7, max_renewals: 1, fine_per_day: 500, max_fine_per_loan: 0, fine_limit: 10000, hold_pickup_days: 3, overdue_grace_days: 0, lost_charge: 0, damage_charge: 0 }, { isNew: true, again, act })));
  } catch (err) {
    replace(body, errorNotice(err));
  }
}

async function closedDaysTab(body, { act, again }) {
  try {
    const data = await api.get('/closed-days');
    const form = h('form', { class: 'inline-form', 'data-testid': 'closed-day-form' },
      field({ name: 'date', label: t('closed.date'), type: 'date', required: true }),
      field({ name: 'reason', label: t('closed.reason'), required: true }),
      h('button', { type: 'submit', class: 'primary' }, t('closed.add')));
    onSubmit(form, async (v) => {
      await api.post('/closed-days', { date: v.date, reason: v.reason });
      flash(t('common.saved'));
      again();
    }, { conflictField: 'date' });
    const weekdays = data.closed_weekdays || [];
    replace(body,
      h('p', {}, weekdays.length ? t('closed.weekly', { days: weekdays.map(weekdayName).join(', ') }) : t('closed.weekly_none')),
      h('p', { class: 'hint' }, t('closed.hint')),
      section(t('closed.add'), form),
      section(t('admin.tab.libur'), table({
        testid: 'closed-days-table', caption: t('admin.tab.libur'), rows: data.items, empty: t('closed.none'),
        columns: [
          { label: t('closed.date'), render: (d) => formatDate(d.date) },
          { label: t('closed.reason'), render: (d) => d.reason },
          { label: t('common.actions'), render: (d) => h('button', { type: 'button', class: 'danger small',
            onClick: async () => {
              if (await confirmDialog(t('closed.delete_confirm', { date: formatDate(d.date) }), { danger: true, confirmLabel: t('common.delete') })) act(() => api.del(`/closed-days/${d.date}`), t('common.deleted'));
            } }, t('common.delete')) },
        ],
      })));
  } catch (err) {
    replace(body, errorNotice(err));
  }
}

async function usersTab(body, { ctx, act, again }) {
  try {
    const list = await api.get('/users', { per_page: 100 });
    const form = h('form', { class: 'form-grid', 'data-testid': 'user-form' },
      field({ name: 'username', label: t('login.username'), required: true, attrs: { autocomplete: 'off', autocapitalize: 'none' } }),
      field({ name: 'password', label: t('login.password'), type: 'password', required: true, attrs: { autocomplete: 'new-password' } }),
      field({ name: 'role', label: t('account.role'), type: 'select', value: 'librarian', options: ['librarian', 'admin', 'member', 'kiosk'].map((r) => ({ value: r, label: roleName(r) })) }),
      field({ name: 'member_id', label: t('users.member_id'), type: 'number', hint: t('users.member_id_hint'), attrs: { min: 1 } }),
      h('div', { class: 'actions field-wide' }, h('button', { type: 'submit', class: 'primary' }, t('users.create'))));
    onSubmit(form, async (v) => {
      const payload = { username: v.username, password: v.password, role: v.role };
      if (v.member_id) payload.member_id = intOrNull(v.member_id);
      await api.post('/users', payload);
      flash(t('users.created', { name: v.username }));
      again();
    }, { conflictField: 'username' });
    replace(body,
      table({
        testid: 'users-table', caption: t('admin.tab.pengguna'), rows: list.items,
        columns: [
          { label: t('login.username'), render: (u) => u.username },
          { label: t('account.role'), render: (u) => roleName(u.role) },
          { label: t('users.member_id'), render: (u) => (u.member_id ? h('a', { href: `#/anggota/${u.member_id}` }, `#${u.member_id}`) : '—') },
          { label: t('users.created_at'), render: (u) => formatDate(u.created_at) },
          { label: t('common.actions'), render: (u) => (u.id === ctx.user.id ? h('span', { class: 'hint' }, t('users.you')) : h('button', { type: 'button', class: 'danger small',
            onClick: async () => {
              if (await confirmDialog(t('users.delete_confirm', { name: u.username }), { danger: true, confirmLabel: t('common.delete') })) act(() => api.del(`/users/${u.id}`), t('common.deleted'));
            } }, t('common.delete'))) },
        ],
      }),
      section(t('users.new'), form));
  } catch (err) {
    replace(body, errorNotice(err));
  }
}

async function auditTab(body, { ctx }) {
  async function load(page) {
    ctx.replaceQuery({ page });
    try {
      const list = await api.get('/audit', { page, per_page: 50 });
      replace(body,
        table({
          testid: 'audit-table', caption: t('admin.tab.audit'), rows: list.items,
          columns: [
            { label: t('audit.at'), render: (a) => formatDateTime(a.at) },
            { label: t('audit.actor'), render: (a) => a.actor || '—' },
            { label: t('audit.event'), render: (a) => auditSentence(a) },
          ],
        }),
        pager(list, load));
    } catch (err) {
      replace(body, errorNotice(err));
    }
  }
  await load(Number(ctx.query.page) || 1);
}

/**
 * An audit line as a sentence a librarian reads ("Buku “X” dipinjam oleh Y"), in the page's
 * language, from the names the API looked up; the recorded detail fills in for a deleted record.
 */
export function auditSentence(a) {
  const p = {
    title: a.book_title || a.detail || '—',
    barcode: a.barcode || '—',
    member: a.member_name ? `${a.member_name}${a.card_number ? ` (${a.card_number})` : ''}` : (a.detail || '—'),
    amount: a.amount != null ? formatMoney(a.amount) : '—',
    detail: a.detail || '',
    actor: a.actor || '—',
    id: a.entity_id != null ? String(a.entity_id) : '',
    action: a.action,
    entity: a.entity,
  };
  // Details that are a date, or a list of the fields changed.
  if (/^\d{4}-\d{2}-\d{2}$/.test(a.detail || '')) p.detail = formatDate(a.detail);
  return t(`audit.event.${a.action}`, p, t('audit.event.other', p));
}
