// Masuk: username + password; the API sets the session cookie.
import { h, replace } from '../dom.js';
import { t, roleName } from '../i18n.js';
import { login, isStaff, can } from '../session.js';
import { field, onSubmit } from '../forms.js';
import { heading, notice, flash } from '../ui.js';

export async function render(root, ctx) {
  const next = ctx.query.next && ctx.query.next.startsWith('#/') && !ctx.query.next.startsWith('#/masuk') ? ctx.query.next : null;
  if (ctx.user) {
    replace(root, heading(t('login.title')),
      notice('ok', t('login.already', { name: ctx.user.username, role: roleName(ctx.user.role) })),
      h('p', {}, h('a', { href: next || '#/katalog' }, t('common.continue'))));
    return;
  }
  const form = h('form', { class: 'login-form narrow', 'data-testid': 'login-form' },
    field({ name: 'username', label: t('login.username'), required: true, testid: 'login-username', attrs: { autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false' } }),
    field({ name: 'password', label: t('login.password'), type: 'password', required: true, testid: 'login-password', attrs: { autocomplete: 'current-password' } }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', 'data-testid': 'login-submit' }, t('login.submit'))));
  onSubmit(form, async (v) => {
    const user = await login(v.username, v.password);
    flash(t('login.welcome', { name: user.username, role: roleName(user.role) }));
    // A new library: the admin is guided through its first start until it is done or skipped.
    if (user.firstStart && user.firstStart !== 'done') { ctx.navigate('#/mulai'); return; }
    ctx.navigate(next || (isStaff(user) ? staffHome() : user.role === 'kiosk' ? '#/tamu' : user.member_id ? '#/akun' : '#/katalog'));
  });
  replace(root, heading(t('login.title')), form);
  form.querySelector('input').focus();
}

/** A staff account's first view: the desk, else what its role may open. */
function staffHome() {
  if (can('desk')) return '#/meja';
  if (can('catalogue')) return '#/koleksi';
  if (can('members')) return '#/anggota';
  if (can('reports')) return '#/laporan';
  if (can('print')) return '#/cetak';
  return can('users') || can('settings') || can('backups') ? '#/admin' : '#/katalog';
}
