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
import { settingsTab } from './settings.js';
import { can } from '../session.js';
import { heading, tabs, table, pager, stat, section, errorNotice, loading, confirmDialog, flash } from '../ui.js';

// Each tab with the permission that opens it: a role without it does not see the tab.
const TAB_PERMISSION = { pengaturan: 'settings', kategori: 'settings', libur: 'settings', pengguna: 'users', peran: 'users',
  notifikasi: 'settings', audit: 'reports', impor: 'imports', sumber: 'settings', cadangan: 'backups' };
const ALL_TABS = ['pengaturan', 'kategori', 'libur', 'pengguna', 'peran', 'notifikasi', 'audit', 'impor', 'sumber', 'cadangan'];
const PERMISSIONS = ['desk', 'catalogue', 'members', 'fines', 'imports', 'exports', 'print', 'reports', 'settings', 'backups', 'users', 'kiosk', 'reading'];
const RULES = ['max_loans', 'loan_days', 'max_renewals', 'fine_per_day', 'max_fine_per_loan', 'fine_limit', 'hold_pickup_days',
  'overdue_grace_days', 'lost_charge', 'damage_charge'];

export async function render(root, ctx) {
  const TABS = ALL_TABS.filter((k) => can(TAB_PERMISSION[k]));
  if (!TABS.length) { replace(root, heading(t('admin.title')), h('p', {}, t('nav.forbidden'))); return; }
  const fallback = TABS.includes('kategori') ? 'kategori' : TABS[0];
  const tab = TABS.includes(ctx.params.tab) ? ctx.params.tab : fallback;
  const statsBox = h('div', { class: 'stats', 'data-testid': 'stats' });
  const body = h('div', {});
  replace(root, heading(t('admin.title')), statsBox,
    tabs(TABS.map((k) => ({ href: `#/admin/${k}`, label: t(`admin.tab.${k}`), active: k === tab, testid: `admin-tab-${k}` })), t('admin.title')),
    body);
  const again = () => ctx.navigate(location.hash);
  const act = async (fn, done) => {
    try { await fn(); flash(done); again(); } catch (err) { flash(errorText(err), 'error'); }
  };
  if (can('reports')) loadStats(statsBox);
  const views = { pengaturan: settingsTab, kategori: categoriesTab, libur: closedDaysTab, pengguna: usersTab, peran: rolesTab, notifikasi: noticesTab, audit: auditTab, impor: importTab, sumber: sourcesTab, cadangan: backupTab };
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
      section(t('admin.new_category'), categoryForm({ code: '', name: '', max_loans: 3, loan_days: 7, max_renewals: 1, fine_per_day: 500, max_fine_per_loan: 0, fine_limit: 10000, hold_pickup_days: 3, overdue_grace_days: 0, lost_charge: 0, damage_charge: 0 }, { isNew: true, again, act })),
      await matrixSection(items, { again, act }));
  } catch (err) {
    replace(body, errorNotice(err));
  }
}

/** The loan-rule matrix (category × collection type) and the collection types, under the categories. */
async function matrixSection(categories, { again, act }) {
  const [{ items: types }, { items: rules }] = await Promise.all([api.get('/collection-types'), api.get('/loan-rules')]);
  const typeName = (code) => (types.find((x) => x.code === code) || { name: code }).name;
  const catName = (code) => (categories.find((x) => x.code === code) || { name: code }).name;
  const orDefault = (v) => (v === null || v === undefined ? t('rules.category_default') : String(v));
  const form = h('form', { class: 'form-grid', 'data-testid': 'loan-rule-form' },
    field({ name: 'category', label: t('rules.category'), type: 'select', options: categories.map((c) => ({ value: c.code, label: c.name })) }),
    field({ name: 'collection_type', label: t('rules.collection_type'), type: 'select', options: types.map((x) => ({ value: x.code, label: x.name })) }),
    field({ name: 'lendable', label: t('rules.lendable'), type: 'checkbox', value: true }),
    field({ name: 'due_end_of_term', label: t('rules.due_end_of_term'), type: 'checkbox', value: false }),
    ['loan_days', 'max_loans', 'max_renewals', 'fine_per_day', 'fine_grace_days'].map((r) =>
      field({ name: r, label: t(`rules.${r}`), type: 'number', hint: r === 'fine_grace_days' ? null : t('rules.empty_is_default'), attrs: { min: 0, step: 1 } })),
    h('div', { class: 'actions field-wide' }, h('button', { type: 'submit', class: 'primary' }, t('rules.save'))));
  onSubmit(form, async (v) => {
    const body = { lendable: v.lendable, due_end_of_term: v.due_end_of_term };
    for (const r of ['loan_days', 'max_loans', 'max_renewals', 'fine_per_day']) body[r] = intOrNull(v[r]);
    body.fine_grace_days = intOrNull(v.fine_grace_days) ?? 0;
    await api.put(`/loan-rules/${encodeURIComponent(v.category)}/${encodeURIComponent(v.collection_type)}`, body);
    flash(t('common.saved'));
    again();
  }, { fieldMap: { rule: 'loan_days' } });
  const typeForm = h('form', { class: 'inline-form', 'data-testid': 'collection-type-form' },
    field({ name: 'code', label: t('rules.type_code'), required: true, attrs: { pattern: '[a-z0-9_-]+', autocomplete: 'off' } }),
    field({ name: 'name', label: t('rules.type_name'), required: true }),
    field({ name: 'loanable', label: t('rules.loanable'), type: 'checkbox', value: true }),
    h('button', { type: 'submit', class: 'primary' }, t('rules.add_type')));
  onSubmit(typeForm, async (v) => {
    await api.put(`/collection-types/${encodeURIComponent(v.code)}`, { name: v.name, loanable: v.loanable });
    flash(t('common.saved'));
    again();
  });
  const yes = (b) => (b ? t('common.yes') : t('common.no'));
  return h('div', {},
    section(t('rules.title'),
      h('p', { class: 'hint' }, t('rules.hint')),
      table({
        testid: 'loan-rules-table', caption: t('rules.title'), rows: rules, empty: t('rules.none'),
        columns: [
          { label: t('rules.category'), render: (r) => catName(r.category) },
          { label: t('rules.collection_type'), render: (r) => typeName(r.collection_type) },
          { label: t('rules.lendable'), render: (r) => (r.lendable ? t('common.yes') : t('rules.in_library_only')) },
          { label: t('rules.loan_days'), render: (r) => (r.due_end_of_term ? t('rules.end_of_term') : orDefault(r.loan_days)) },
          { label: t('rules.max_loans'), render: (r) => orDefault(r.max_loans) },
          { label: t('rules.max_renewals'), render: (r) => orDefault(r.max_renewals) },
          { label: t('rules.fine_per_day'), render: (r) => (r.fine_per_day === null ? t('rules.category_default') : formatMoney(r.fine_per_day)) },
          { label: t('rules.fine_grace_days'), render: (r) => String(r.fine_grace_days) },
          { label: t('common.actions'), render: (r) => h('button', { type: 'button', class: 'danger small',
            onClick: () => act(() => api.del(`/loan-rules/${encodeURIComponent(r.category)}/${encodeURIComponent(r.collection_type)}`), t('common.deleted')) },
          t('common.delete')) },
        ],
      }),
      form),
    section(t('rules.types_title'),
      table({
        testid: 'collection-types-table', caption: t('rules.types_title'), rows: types, empty: '—',
        columns: [
          { label: t('rules.type_code'), render: (x) => x.code },
          { label: t('rules.type_name'), render: (x) => x.name },
          { label: t('rules.loanable'), render: (x) => yes(x.loanable) },
          { label: t('common.actions'), render: (x) => h('button', { type: 'button', class: 'danger small',
            onClick: () => act(() => api.del(`/collection-types/${encodeURIComponent(x.code)}`), t('common.deleted')) }, t('common.delete')) },
        ],
      }),
      typeForm));
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
      await termsSection({ act, again }),
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

/** The school's terms (semesters): a rule may make loans due at the end of the term. */
async function termsSection({ act, again }) {
  const { items } = await api.get('/terms');
  const form = h('form', { class: 'inline-form', 'data-testid': 'term-form' },
    field({ name: 'name', label: t('terms.name'), required: true }),
    field({ name: 'starts_on', label: t('terms.starts_on'), type: 'date', required: true }),
    field({ name: 'ends_on', label: t('terms.ends_on'), type: 'date', required: true }),
    h('button', { type: 'submit', class: 'primary' }, t('terms.add')));
  onSubmit(form, async (v) => {
    await api.post('/terms', { name: v.name, starts_on: v.starts_on, ends_on: v.ends_on });
    flash(t('common.saved'));
    again();
  });
  return section(t('terms.title'),
    h('p', { class: 'hint' }, t('terms.hint')),
    table({
      testid: 'terms-table', caption: t('terms.title'), rows: items, empty: t('terms.none'),
      columns: [
        { label: t('terms.name'), render: (x) => x.name },
        { label: t('terms.starts_on'), render: (x) => formatDate(x.starts_on) },
        { label: t('terms.ends_on'), render: (x) => formatDate(x.ends_on) },
        { label: t('common.actions'), render: (x) => h('button', { type: 'button', class: 'danger small',
          onClick: () => act(() => api.del(`/terms/${x.id}`), t('common.deleted')) }, t('common.delete')) },
      ],
    }),
    form);
}

/** A role's name: the page's own for the seeded roles, else the name an admin gave it. */
function roleLabel(r) {
  const own = roleName(r.code);
  return own !== r.code ? own : (r.name || r.code);
}

/** Roles: each a set of permissions; the seeded ones and those an admin adds. */
async function rolesTab(body, { act, again }) {
  try {
    const roles = (await api.get('/roles')).items;
    const boxes = PERMISSIONS.map((p) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', name: `perm_${p}`, value: p, 'data-testid': `role-perm-${p}` }), ' ', t(`perm.${p}`)));
    const form = h('form', { class: 'form-grid', 'data-testid': 'role-form' },
      field({ name: 'code', label: t('roles.code'), required: true, hint: t('roles.code_hint'), attrs: { autocomplete: 'off', pattern: '[a-z0-9_]{1,32}' } }),
      field({ name: 'name', label: t('roles.name'), required: true }),
      h('fieldset', { class: 'field-wide' }, h('legend', {}, t('roles.permissions')), ...boxes),
      h('div', { class: 'actions field-wide' }, h('button', { type: 'submit', class: 'primary' }, t('roles.save'))));
    onSubmit(form, async (v, f) => {
      const permissions = PERMISSIONS.filter((p) => f.querySelector(`input[name="perm_${p}"]`).checked);
      await api.put(`/roles/${encodeURIComponent(v.code.trim())}`, { name: v.name, permissions });
      flash(t('roles.saved'));
      again();
    });
    const edit = (r) => {
      form.querySelector('input[name="code"]').value = r.code;
      form.querySelector('input[name="name"]').value = r.name;
      PERMISSIONS.forEach((p) => { form.querySelector(`input[name="perm_${p}"]`).checked = r.permissions.includes(p); });
      form.scrollIntoView({ block: 'center' });
    };
    replace(body,
      table({
        testid: 'roles-table', caption: t('admin.tab.peran'), rows: roles,
        columns: [
          { label: t('roles.name'), render: (r) => roleLabel(r) },
          { label: t('roles.permissions'), render: (r) => (r.permissions.length ? r.permissions.map((p) => t(`perm.${p}`)).join(', ') : '—') },
          { label: t('roles.accounts'), render: (r) => String(r.accounts) },
          { label: t('common.actions'), render: (r) => (r.fixed ? h('span', { class: 'hint' }, t('roles.fixed')) : h('span', {},
            h('button', { type: 'button', class: 'small', onClick: () => edit(r) }, t('roles.edit')),
            r.builtin ? null : h('button', { type: 'button', class: 'danger small',
              onClick: async () => {
                if (await confirmDialog(t('roles.delete_confirm', { name: r.name }), { danger: true, confirmLabel: t('common.delete') })) act(() => api.del(`/roles/${r.code}`), t('common.deleted'));
              } }, t('common.delete')))) },
        ],
      }),
      section(t('roles.new'), form));
  } catch (err) {
    replace(body, errorNotice(err));
  }
}

/** Whether a role is a teacher's: the reading programme without every class (no `reports`). */
function teacherRole(roles, code) {
  const r = roles.find((x) => x.code === code);
  return Boolean(r && (r.permissions || []).includes('reading') && !(r.permissions || []).includes('reports'));
}

/** The classes a teacher's account may see (#34), separated by commas; saved when changed. */
function teacherClasses(u, act) {
  const input = h('input', { type: 'text', 'data-testid': `user-classes-${u.username}`, 'aria-label': t('users.classes'), placeholder: '7A, 7B', size: 12,
    onChange: (e) => act(() => api.put(`/users/${u.id}/classes`, { classes: e.target.value.split(',').map((c) => c.trim()).filter(Boolean) }), t('users.classes_saved')) });
  api.get(`/users/${u.id}/classes`).then((r) => { input.value = r.classes.join(', '); }).catch(() => {});
  return input;
}

async function usersTab(body, { ctx, act, again }) {
  try {
    const list = await api.get('/users', { per_page: 100 });
    const roles = await api.get('/roles').then((r) => r.items).catch(() => ['librarian', 'admin', 'member', 'kiosk'].map((code) => ({ code })));
    const form = h('form', { class: 'form-grid', 'data-testid': 'user-form' },
      field({ name: 'username', label: t('login.username'), required: true, attrs: { autocomplete: 'off', autocapitalize: 'none' } }),
      field({ name: 'password', label: t('login.password'), type: 'password', required: true, attrs: { autocomplete: 'new-password' } }),
      field({ name: 'role', label: t('account.role'), type: 'select', value: 'librarian', options: roles.map((r) => ({ value: r.code, label: roleLabel(r) })) }),
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
          { label: t('account.role'), render: (u) => (u.role === 'member' || u.id === ctx.user.id ? roleName(u.role)
            : h('select', { 'data-testid': `user-role-${u.username}`, 'aria-label': t('account.role'),
              onChange: (e) => act(() => api.put(`/users/${u.id}/role`, { role: e.target.value }), t('roles.saved')) },
            ...roles.filter((r) => r.code !== 'member').map((r) => h('option', { value: r.code, selected: r.code === u.role }, roleLabel(r))))) },
          { label: t('users.classes'), render: (u) => (teacherRole(roles, u.role) ? teacherClasses(u, act) : '—') },
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
