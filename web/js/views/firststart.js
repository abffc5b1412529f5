// Mulai: the admin's guided first start (issue #32): a new password (the generated one must be
// changed), the library's identity, categories and loan rules, and moving in. Each step after
// the password can be skipped; the step is kept on the server, so the guide resumes where it was
// left, from any browser.
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { field, onSubmit } from '../forms.js';
import { heading, notice, flash, errorNotice } from '../ui.js';

const STEPS = ['password', 'identity', 'rules', 'move_in'];

export async function render(root, ctx) {
  let step;
  try { step = (await api.get('/first-start')).step; } catch (err) { replace(root, heading(t('start.title')), errorNotice(err)); return; }
  if (step === 'done') {
    replace(root, heading(t('start.title')), notice('ok', t('start.done')), h('p', {}, h('a', { href: '#/meja', class: 'button primary' }, t('start.to_desk'))));
    return;
  }
  const again = () => ctx.navigate('#/mulai');
  const go = async (next) => {
    try { await api.put('/first-start', { step: next }); } catch (err) { flash(err.message || String(err), 'error'); return; }
    if (next === 'done') ctx.navigate('#/meja'); else again();
  };
  const nextOf = (s) => STEPS[STEPS.indexOf(s) + 1] || 'done';
  const progress = h('ol', { class: 'steps', 'data-testid': 'start-steps' },
    ...STEPS.map((s) => h('li', { 'aria-current': s === step ? 'step' : null, class: s === step ? 'current' : null }, t(`start.step.${s}`))));
  const skip = h('div', { class: 'actions' },
    step === 'password' ? null : h('button', { type: 'button', class: 'secondary', 'data-testid': 'start-skip', onClick: () => go(nextOf(step)) }, t('start.skip')),
    step === 'password' ? null : h('button', { type: 'button', class: 'secondary', 'data-testid': 'start-skip-all', onClick: () => go('done') }, t('start.skip_all')));

  let body;
  if (step === 'password') {
    body = h('form', { class: 'form-grid narrow', 'data-testid': 'start-password-form' },
      h('p', { class: 'field-wide' }, t('start.password_text')),
      field({ name: 'current_password', label: t('start.password_current'), type: 'password', required: true, testid: 'start-current-password', attrs: { autocomplete: 'current-password' } }),
      field({ name: 'new_password', label: t('start.password_new'), type: 'password', required: true, testid: 'start-new-password', attrs: { autocomplete: 'new-password' } }),
      h('div', { class: 'actions field-wide' }, h('button', { type: 'submit', class: 'primary', 'data-testid': 'start-password-save' }, t('start.password_save'))));
    onSubmit(body, async (v) => {
      // The server moves the first start on when the admin's password changes.
      await api.post('/auth/password', { current_password: v.current_password, new_password: v.new_password });
      flash(t('start.password_saved'));
      again();
    });
  } else if (step === 'identity') {
    const lib = await api.get('/library').catch(() => ({ name: '', address: '' }));
    body = h('form', { class: 'form-grid narrow', 'data-testid': 'start-identity-form' },
      h('p', { class: 'field-wide' }, t('start.identity_text')),
      field({ name: 'name', label: t('start.library_name'), required: true, value: lib.name, testid: 'start-library-name' }),
      field({ name: 'address', label: t('start.library_address'), value: lib.address, testid: 'start-library-address' }),
      h('p', { class: 'field-wide hint' }, t('start.logo_hint'), ' ', h('a', { href: '#/cetak' }, t('nav.print'))),
      h('div', { class: 'actions field-wide' }, h('button', { type: 'submit', class: 'primary', 'data-testid': 'start-identity-save' }, t('start.save_next'))));
    onSubmit(body, async (v) => {
      await api.put('/library', { name: v.name, address: v.address || '' });
      window.dispatchEvent(new CustomEvent('pustaka:library'));
      await go(nextOf(step));
    });
  } else {
    const [text, href, label] = step === 'rules'
      ? [t('start.rules_text'), '#/admin/kategori', t('start.rules_open')]
      : [t('start.move_in_text'), '#/admin/impor', t('start.move_in_open')];
    body = h('div', { 'data-testid': `start-${step}` }, h('p', {}, text),
      h('div', { class: 'actions' }, h('a', { href, class: 'button secondary' }, label),
        h('button', { type: 'button', class: 'primary', 'data-testid': 'start-next', onClick: () => go(nextOf(step)) }, t('start.next'))));
  }
  replace(root, heading(t('start.title')), progress, h('h2', {}, t(`start.step.${step}`)), body, skip);
}
