// Akun saya: a member's own loans (renew), holds (cancel) and fines; password change for everyone.
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { t, errorText, roleName, categoryLabel } from '../i18n.js';
import { formatDate, formatMoney } from '../format.js';
import { field, onSubmit } from '../forms.js';
import { heading, facts, section, errorNotice, loading, flash } from '../ui.js';
import { loansTable, holdsTable, finesTable, standingFacts } from './members.js';

export async function render(root, ctx) {
  const user = ctx.user;
  root.append(heading(t('account.title')));
  const again = () => ctx.navigate(location.hash);
  const act = async (fn, done) => {
    try { await fn(); flash(done); again(); } catch (err) { flash(errorText(err), 'error'); }
  };

  if (user.member_id) {
    const box = h('div', {}, loading());
    root.append(box);
    try {
      const id = user.member_id;
      const [m, loans, holds, fines, history] = await Promise.all([
        api.get(`/members/${id}`),
        api.get(`/members/${id}/loans`, { status: 'active', per_page: 100 }),
        api.get(`/members/${id}/holds`, { per_page: 100 }),
        api.get(`/members/${id}/fines`, { status: 'all', per_page: 100 }),
        api.get(`/members/${id}/history`),
      ]);
      // This term's reading against the school's target (none outside a term).
      const reading = await api.get(`/members/${id}/reading`).catch(() => null);
      const wanted = await api.get(`/members/${id}/reading-list`).catch(() => ({ items: [] }));
      const renew = async (l) => {
        try {
          const renewed = await api.post(`/loans/${l.id}/renew`);
          flash(t('account.renewed', { title: renewed.title, date: formatDate(renewed.due_at) }));
          again();
        } catch (err) { flash(errorText(err), 'error'); }
      };
      replace(box,
        facts([
          [t('member.name'), m.name],
          [t('member.card_number'), h('code', {}, m.card_number)],
          [t('member.category'), categoryLabel(m.category)],
          [t('member.expires_on'), m.expires_on ? formatDate(m.expires_on) : t('member.no_expiry')],
          [t('member.unpaid_fines'), formatMoney(m.unpaid_fines)],
          ...standingFacts(m),
        ]),
        section(t('account.loans'), loansTable(loans.items, renew)),
        section(t('account.holds'), holdsTable(holds.items.filter((x) => x.status === 'waiting' || x.status === 'ready'), act),
          h('p', { class: 'hint' }, t('account.holds_hint'))),
        section(t('account.fines'), finesTable(fines.items)),
        reading ? readingSection(reading) : null,
        readingListSection(id, wanted.items, again),
        historySection(id, history, again));
    } catch (err) {
      replace(box, errorNotice(err));
    }
  } else {
    root.append(facts([[t('login.username'), user.username], [t('account.role'), roleName(user.role)]]));
  }
  root.append(section(t('account.password'), passwordForm()));
}

/** Books the member wants to read, with a way to take one off. */
function readingListSection(id, items, again) {
  const body = items.length
    ? h('ul', { class: 'history-list', 'data-testid': 'reading-list' }, items.map((b) => h('li', {},
      h('a', { href: `#/buku/${b.book_id}` }, b.title), ' ',
      h('span', { class: `badge badge-${b.copies_available ? 'ok' : 'neutral'}` }, b.copies_available ? t('readinglist.available') : t('readinglist.out')), ' ',
      h('button', { type: 'button', class: 'small secondary', 'data-testid': `reading-list-remove-${b.book_id}`,
        onClick: async () => {
          try { await api.del(`/members/${id}/reading-list/${b.book_id}`); again(); } catch (err) { flash(errorText(err), 'error'); }
        } }, t('readinglist.remove')))))
    : h('p', { class: 'empty' }, t('readinglist.empty'));
  return section(t('readinglist.title'), body);
}

/** The member's reading this term (Gerakan Literasi Sekolah): books read against the target. */
function readingSection(r) {
  const x = r.reading;
  const line = r.target == null ? t('reading.mine', { read: x.read, term: r.term.name })
    : t('reading.mine_target', { read: x.read, target: r.target, term: r.term.name });
  return section(t('reading.title'), h('p', { 'data-testid': 'my-reading' }, line,
    ' ', x.reached == null ? null : h('span', { class: `badge badge-${x.reached ? 'ok' : 'warn'}` }, t(x.reached ? 'reading.yes' : 'reading.not_yet'))));
}

/** The member's own reading history (loans and reads in the library) and their privacy switches. */
function historySection(id, history, again) {
  const toggle = (name, label) => {
    const box = h('input', { type: 'checkbox', id: `privacy-${name}`, checked: history[name], 'data-testid': `privacy-${name}` });
    box.addEventListener('change', async () => {
      box.disabled = true;
      try {
        await api.put(`/members/${id}/privacy`, { [name]: box.checked });
        flash(t('history.saved'));
        again();
      } catch (err) { flash(errorText(err), 'error'); box.disabled = false; }
    });
    return h('p', { class: 'check' }, box, ' ', h('label', { for: `privacy-${name}` }, label));
  };
  let body;
  if (!history.keep_history) body = h('p', { class: 'hint', 'data-testid': 'history-off' }, t('history.off'));
  else if (!history.items.length) body = h('p', { class: 'empty' }, t('history.none'));
  else {
    body = h('ul', { class: 'history-list', 'data-testid': 'history' }, history.items.map((e) => h('li', {},
      h('a', { href: `#/buku/${e.book_id}` }, e.title), ' ',
      e.kind === 'in_library'
        ? h('span', { class: 'badge badge-neutral' }, t('history.read_here'))
        : h('span', { class: 'hint' }, e.returned_at ? t('history.borrowed', { from: formatDate(e.at), to: formatDate(e.returned_at) }) : t('history.out', { from: formatDate(e.at) })),
      e.kind === 'in_library' ? h('span', { class: 'hint' }, ` ${formatDate(e.at)}`) : null)));
  }
  return section(t('history.title'), toggle('keep_history', t('history.keep')), toggle('in_popular', t('history.in_popular')), body);
}

function passwordForm() {
  const form = h('form', { class: 'form-grid narrow', 'data-testid': 'password-form' },
    field({ name: 'current_password', label: t('account.current_password'), type: 'password', required: true, attrs: { autocomplete: 'current-password' } }),
    field({ name: 'new_password', label: t('account.new_password'), type: 'password', required: true, attrs: { autocomplete: 'new-password' } }),
    h('div', { class: 'actions field-wide' }, h('button', { type: 'submit', class: 'primary' }, t('account.change_password'))));
  onSubmit(form, async (v) => {
    await api.post('/auth/password', { current_password: v.current_password, new_password: v.new_password });
    form.reset();
    flash(t('account.password_changed'));
  });
  return form;
}
