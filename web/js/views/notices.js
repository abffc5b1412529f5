// Notices: the admin's tab (whether sending is on, settings, templates with preview, what was
// sent and what failed) and the overdue list's contacts with "send via WhatsApp" links.
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { formatDate, formatDateTime } from '../format.js';
import { field, onSubmit, intOrNull } from '../forms.js';
import { table, pager, section, errorNotice, notice, badge, flash } from '../ui.js';

const KINDS = ['due_soon', 'overdue', 'hold_ready'];
const STATUSES = ['pending', 'sending', 'sent', 'failed', 'skipped'];
const STATUS_BADGE = { sent: 'ok', failed: 'bad', skipped: 'warn', pending: 'neutral', sending: 'neutral' };

/** The admin's Notices tab. */
export async function noticesTab(body, { ctx, again }) {
  try {
    const [s, templates] = await Promise.all([api.get('/notices/settings'), api.get('/notices/templates')]);
    const list = h('div', {});
    replace(body,
      s.enabled
        ? notice('ok', t('notices.on'), ' ', t('notices.counts', s.counts), s.counts.lease_holder ? ` ${t('notices.sender_now', { holder: s.counts.lease_holder })}` : '')
        : notice('info', t('notices.off')),
      s.enabled && !s.sender ? notice('info', t('notices.no_sender')) : null,
      section(t('notices.settings'), settingsForm(s, again)),
      section(t('notices.templates'), h('p', { class: 'hint' }, t('notices.templates_hint')),
        KINDS.map((k) => templates.items.filter((x) => x.kind === k).map((x) => templateForm(x, again)))),
      section(t('notices.list'), list));
    await noticeList(list, ctx);
  } catch (err) {
    replace(body, errorNotice(err));
  }
}

function settingsForm(s, again) {
  const cats = Object.entries(s.category_due_soon_days || {}).map(([c, d]) => `${c}=${d}`).join(', ');
  const form = h('form', { class: 'form-grid', 'data-testid': 'notice-settings' },
    field({ name: 'sender', label: t('notices.sender'), type: 'email', value: s.sender || '', hint: t('notices.sender_hint') }),
    field({ name: 'library_name', label: t('notices.library_name'), value: s.library_name, required: true }),
    field({ name: 'language', label: t('notices.language'), type: 'select', value: s.language,
      options: [{ value: 'id', label: 'Bahasa Indonesia' }, { value: 'en', label: 'English' }] }),
    field({ name: 'due_soon_days', label: t('notices.due_soon_days'), type: 'number', value: s.due_soon_days, required: true, attrs: { min: 0, max: 30 } }),
    field({ name: 'category_due_soon_days', label: t('notices.category_days'), value: cats, hint: t('notices.category_days_hint') }),
    field({ name: 'overdue_days', label: t('notices.overdue_days'), value: s.overdue_days.join(', '), required: true, hint: t('notices.overdue_days_hint') }),
    h('div', { class: 'actions field-wide' }, h('button', { type: 'submit', class: 'primary' }, t('common.save'))));
  onSubmit(form, async (v) => {
    const numbers = (text) => text.split(/[\s,;]+/).filter(Boolean).map((x) => intOrNull(x));
    const perCategory = {};
    for (const pair of v.category_due_soon_days.split(/[,;]+/).map((x) => x.trim()).filter(Boolean)) {
      const [code, days] = pair.split('=').map((x) => x.trim());
      perCategory[code] = intOrNull(days);
    }
    await api.put('/notices/settings', {
      sender: v.sender || null, library_name: v.library_name, language: v.language,
      due_soon_days: intOrNull(v.due_soon_days), category_due_soon_days: perCategory, overdue_days: numbers(v.overdue_days),
    });
    flash(t('common.saved'));
    again();
  });
  return form;
}

function templateForm(tpl, again) {
  const path = `/notices/templates/${tpl.kind}/${tpl.language}`;
  const out = h('div', { class: 'notice-preview', 'data-testid': `preview-${tpl.kind}-${tpl.language}`, 'aria-live': 'polite' });
  const form = h('form', { class: 'form-grid', 'data-testid': `template-${tpl.kind}-${tpl.language}` },
    h('h3', { class: 'field-wide' }, `${t(`notices.kind.${tpl.kind}`)} · ${tpl.language === 'id' ? 'Bahasa Indonesia' : 'English'}`,
      tpl.custom ? ' ' : '', tpl.custom ? badge(t('notices.custom')) : null),
    field({ name: 'subject', label: t('notices.subject'), value: tpl.subject, required: true, wide: true }),
    field({ name: 'body', label: t('notices.body'), type: 'textarea', value: tpl.body, required: true, wide: true,
      hint: t('notices.placeholders', { list: tpl.placeholders.join(' ') }), attrs: { rows: 6 } }),
    h('div', { class: 'actions field-wide' },
      h('button', { type: 'submit', class: 'primary' }, t('common.save')),
      h('button', { type: 'button', onClick: async () => {
        const v = Object.fromEntries(new FormData(form));
        try {
          const p = await api.post('/notices/preview', { kind: tpl.kind, language: tpl.language, subject: v.subject, body: v.body });
          replace(out, h('p', {}, h('strong', {}, p.subject)), h('pre', {}, p.body));
        } catch (err) { replace(out, errorNotice(err)); }
      } }, t('notices.preview')),
      tpl.custom && h('button', { type: 'button', onClick: async () => {
        try { await api.del(path); flash(t('notices.reset_done')); again(); } catch (err) { replace(out, errorNotice(err)); }
      } }, t('notices.reset'))),
    out);
  onSubmit(form, async (v) => {
    await api.put(path, { subject: v.subject, body: v.body });
    flash(t('common.saved'));
    again();
  });
  return form;
}

async function noticeList(box, ctx) {
  const status = STATUSES.includes(ctx.query.status) ? ctx.query.status : '';
  const filter = h('select', { 'aria-label': t('notices.filter'), onChange: (e) => { ctx.replaceQuery({ status: e.target.value || undefined, page: 1 }); noticeList(box, ctx); } },
    h('option', { value: '' }, t('notices.all')),
    STATUSES.map((st) => h('option', { value: st, selected: st === status }, t(`notices.status.${st}`))));
  async function load(page) {
    try {
      const list = await api.get('/notices', { status: status || undefined, page, per_page: 50 });
      replace(box, filter,
        table({
          testid: 'notices-table', caption: t('notices.list'), rows: list.items, empty: t('notices.none'),
          rowClass: (n) => (n.status === 'failed' ? 'row-bad' : null),
          columns: [
            { label: t('notices.created_at'), render: (n) => formatDateTime(n.created_at) },
            { label: t('notices.kind'), render: (n) => t(`notices.kind.${n.kind}`) },
            { label: t('loan.member'), render: (n) => h('a', { href: `#/anggota/${n.member_id}` }, `${n.member_name} (${n.card_number})`) },
            { label: t('notices.email'), render: (n) => n.email || '—' },
            { label: t('notices.subject'), render: (n) => n.subject },
            { label: t('notices.status'), render: (n) => badge(t(`notices.status.${n.status}`), STATUS_BADGE[n.status]) },
            { label: t('notices.attempts'), render: (n) => String(n.attempts), class: 'num' },
            { label: t('notices.outcome'), render: (n) => (n.sent_at ? formatDateTime(n.sent_at) : (n.last_error || '')) },
          ],
        }),
        pager(list, load));
    } catch (err) {
      replace(box, errorNotice(err));
    }
  }
  await load(1);
}

/** Overdue loans with the member's contacts and a "send via WhatsApp" link (the overdue list). */
export function overdueContactsTable(items) {
  return table({
    testid: 'overdue-contacts', caption: t('loans.tab.terlambat'), rows: items, empty: t('members.no_loans'),
    rowClass: () => 'row-bad',
    columns: [
      { label: t('loan.title'), render: (c) => c.title },
      { label: t('copy.barcode'), render: (c) => h('code', {}, c.barcode) },
      { label: t('loan.member'), render: (c) => h('a', { href: `#/anggota/${c.member_id}` }, `${c.member_name} (${c.card_number})`) },
      { label: t('loan.due_at'), render: (c) => formatDate(c.due_at) },
      { label: t('notices.days_late'), render: (c) => String(c.days_late), class: 'num' },
      { label: t('notices.contact'), render: (c) => [c.email ? h('div', {}, h('a', { href: `mailto:${c.email}` }, c.email)) : null, c.phone ? h('div', {}, c.phone) : null] },
      { label: 'WhatsApp', render: (c) => (c.whatsapp_url
        ? h('a', { href: c.whatsapp_url, target: '_blank', rel: 'noopener noreferrer', class: 'button small', 'data-testid': `wa-${c.loan_id}` }, t('notices.whatsapp'))
        : h('span', { class: 'hint' }, t('notices.no_phone'))) },
    ],
  });
}
