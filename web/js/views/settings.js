// Settings: the admin's Pengaturan tab (issue #32): the library's time zone, the page's default
// language, the SMTP server, password and sender of the notices, with a test mail. A setting the
// server's environment pins is shown read-only with the variable that pins it. The SMTP password is
// write-only: the page only learns whether one is set. Settings kept elsewhere are linked.
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { t, errorText } from '../i18n.js';
import { field, onSubmit } from '../forms.js';
import { section, errorNotice, notice, flash } from '../ui.js';

// Indonesia's three zones first; any other IANA name may be typed.
const ZONES = ['Asia/Jakarta', 'Asia/Pontianak', 'Asia/Makassar', 'Asia/Jayapura'];

function allZones() {
  try { return [...new Set([...ZONES, ...Intl.supportedValuesOf('timeZone')])]; } catch { return ZONES; }
}

/** A read-only note under a setting the environment pins. */
function pinnedNote(setting) {
  return setting.pinned_by ? h('p', { class: 'hint pinned', 'data-testid': 'pinned-note' }, t('settings.pinned', { name: setting.pinned_by })) : null;
}

/** The admin's Settings tab. */
export async function settingsTab(body, { again }) {
  try {
    const s = await api.get('/settings');
    replace(body,
      section(t('settings.general'), generalForm(s, again)),
      section(t('settings.smtp'), h('p', { class: 'hint' }, t('settings.smtp_hint')), smtpForm(s, again), testMailForm(s)),
      section(t('settings.elsewhere'), h('ul', { class: 'settings-links' },
        [['notifikasi', 'settings.link.notices'], ['kategori', 'settings.link.rules'], ['libur', 'settings.link.closed'],
          ['sumber', 'settings.link.sources'], ['cadangan', 'settings.link.backups']]
          .map(([tab, key]) => h('li', {}, h('a', { href: `#/admin/${tab}` }, t(key)))),
        h('li', {}, h('a', { href: '#/cetak' }, t('settings.link.print'))))));
  } catch (err) {
    replace(body, errorNotice(err));
  }
}

function generalForm(s, again) {
  const zones = h('datalist', { id: 'settings-zones' }, allZones().map((z) => h('option', { value: z })));
  const form = h('form', { class: 'form-grid', 'data-testid': 'settings-general' },
    h('div', {},
      field({ name: 'timezone', label: t('settings.timezone'), value: s.timezone.value, required: true,
        hint: t('settings.timezone_hint'), attrs: { list: 'settings-zones', readonly: Boolean(s.timezone.pinned_by), autocomplete: 'off' } }),
      pinnedNote(s.timezone)),
    zones,
    h('div', {},
      field({ name: 'language', label: t('settings.language'), type: 'select', value: s.language.value, hint: t('settings.language_hint'),
        options: [{ value: 'id', label: 'Bahasa Indonesia' }, { value: 'en', label: 'English' }], attrs: { disabled: Boolean(s.language.pinned_by) } }),
      pinnedNote(s.language)),
    h('div', { class: 'actions field-wide' }, h('button', { type: 'submit', class: 'primary' }, t('common.save'))));
  onSubmit(form, async (v) => {
    const change = {};
    if (!s.timezone.pinned_by) change.timezone = v.timezone;
    if (!s.language.pinned_by) change.language = v.language;
    await api.put('/settings', change);
    flash(t('common.saved'));
    again();
  });
  return form;
}

function smtpForm(s, again) {
  const pinned = Boolean(s.smtp_url.pinned_by);
  const form = h('form', { class: 'form-grid', 'data-testid': 'settings-smtp' },
    h('div', { class: 'field-wide' },
      field({ name: 'smtp_url', label: t('settings.smtp_url'), value: s.smtp_url.value || '', hint: t('settings.smtp_url_hint'),
        attrs: { readonly: pinned, autocomplete: 'off', placeholder: 'smtps://perpustakaan@mail.sekolah.sch.id:465' }, wide: true }),
      pinnedNote(s.smtp_url)),
    pinned ? null : field({ name: 'smtp_password', label: t('settings.smtp_password'), type: 'password', value: '',
      hint: s.smtp_password.set ? t('settings.password_set') : t('settings.password_unset'), attrs: { autocomplete: 'new-password' } }),
    pinned ? null : field({ name: 'clear_password', label: t('settings.clear_password'), type: 'checkbox', value: false }),
    field({ name: 'sender', label: t('notices.sender'), type: 'email', value: s.sender || '', hint: t('notices.sender_hint') }),
    h('div', { class: 'actions field-wide' }, h('button', { type: 'submit', class: 'primary' }, t('common.save'))));
  onSubmit(form, async (v) => {
    const change = { sender: v.sender };
    if (!pinned) {
      change.smtp_url = v.smtp_url;
      // Left empty: the stored password stays; the box removes it.
      if (v.clear_password) change.smtp_password = '';
      else if (v.smtp_password) change.smtp_password = v.smtp_password;
    }
    await api.put('/settings', change);
    flash(t('common.saved'));
    again();
  });
  return form;
}

function testMailForm(s) {
  const out = h('div', { 'data-testid': 'test-mail-result', 'aria-live': 'polite' });
  const form = h('form', { class: 'form-grid', 'data-testid': 'settings-test-mail' },
    field({ name: 'to', label: t('settings.test_to'), type: 'email', value: s.sender || '', required: true }),
    h('div', { class: 'actions field-wide' }, h('button', { type: 'submit' }, t('settings.test_send'))), out);
  onSubmit(form, async (v) => {
    replace(out, h('p', { class: 'hint' }, t('settings.test_sending')));
    try {
      const r = await api.post('/settings/test-mail', { to: v.to });
      replace(out, notice('ok', t('settings.test_sent', { to: r.to })));
    } catch (err) {
      if (err && err.code === 'validation') { replace(out); throw err; }
      replace(out, notice('error', t('settings.test_failed', { reason: err && err.code === 'smtp_failed' ? err.detail : errorText(err) })));
    }
  });
  return form;
}
