// Anggota (staff): list/search members, register, edit, block/unblock, loans, holds, fines.
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { t, errorText, categoryLabel } from '../i18n.js';
import { formatDate, formatDateTime, formatMoney, todayIso } from '../format.js';
import { field, onSubmit, orNull } from '../forms.js';
import { getCategories as categories } from '../categories.js';
import { heading, table, pager, badge, loanBadge, statusBadge, errorNotice, loading, facts, section, confirmDialog, promptDialog, flash, searchForm, notice } from '../ui.js';
import { can } from '../session.js';
import { openPdf } from './print.js';


function memberStatus(m) {
  if (m.blocked) return badge(t('member.blocked'), 'bad');
  if (m.expires_on && m.expires_on < todayIso()) return badge(t('member.expired'), 'bad');
  return badge(t('member.active'), 'ok');
}

export async function renderList(root, ctx) {
  const results = h('div', { 'aria-live': 'polite' });
  const gradeInput = h('input', {
    id: 'members-grade', name: 'grade', type: 'text', class: 'search-grade', value: ctx.query.grade || '', maxlength: 20,
    autocomplete: 'off', 'data-testid': 'members-grade',
  });
  const { form, input } = searchForm({
    id: 'members-q', label: t('members.search_label'), value: ctx.query.q || '', testid: 'members-search',
    extra: [h('label', { for: 'members-grade', class: 'search-inline-label' }, t('member.grade')), gradeInput],
    onSearch: (q) => load(q, gradeInput.value.trim(), 1),
  });
  replace(root, heading(t('members.title'), h('a', { href: '#/anggota/baru', class: 'button primary', 'data-testid': 'member-new' }, t('members.new'))), form, results);
  input.focus();

  let cats = [];
  try { cats = await categories(); } catch { /* show codes */ }
  async function load(q, grade, page) {
    ctx.replaceQuery({ q, grade, page });
    results.replaceChildren(loading());
    try {
      const list = await api.get('/members', { q, grade, page, per_page: 20 });
      replace(results,
        table({
          testid: 'members-table', caption: t('members.title'), rows: list.items, empty: t('members.none'),
          columns: [
            { label: t('member.card_number'), render: (m) => h('code', {}, m.card_number) },
            { label: t('member.name'), render: (m) => h('a', { href: `#/anggota/${m.id}` }, m.name) },
            { label: t('member.category'), render: (m) => categoryLabel(m.category, cats.find((c) => c.code === m.category)) },
            { label: t('member.grade'), render: (m) => m.grade || '—' },
            { label: t('member.expires_on'), render: (m) => (m.expires_on ? formatDate(m.expires_on) : '—') },
            { label: t('member.status'), render: memberStatus },
            { label: t('member.active_loans'), render: (m) => String(m.active_loans), class: 'num' },
            { label: t('member.unpaid_fines'), render: (m) => formatMoney(m.unpaid_fines), class: 'num' },
          ],
        }),
        pager(list, (p) => load(q, grade, p)),
        grade && list.total && can('print') ? classCards(grade) : null);
    } catch (err) {
      replace(results, errorNotice(err));
    }
  }
  await load(ctx.query.q || '', ctx.query.grade || '', Number(ctx.query.page) || 1);
}

/** Most cards the page asks for at once (the server prints up to 1,000 in one PDF). */
const MAX_CARDS = 1000;

/** "Cetak kartu kelas ini": the cards of every member of class `grade` (whatever the search),
 * in the list's order, as one PDF. */
function classCards(grade) {
  const out = h('div', { 'data-testid': 'members-class-cards-result', 'aria-live': 'polite' });
  const button = h('button', { type: 'button', 'data-testid': 'members-class-cards' }, t('members.class_cards'));
  button.addEventListener('click', async () => {
    button.disabled = true;
    replace(out, loading());
    try {
      const cards = [];
      for (let page = 1; ; page += 1) {
        const list = await api.get('/members', { grade, page, per_page: 100 });
        cards.push(...list.items.map((m) => m.card_number));
        if (list.items.length === 0 || cards.length >= list.total || cards.length > MAX_CARDS) break;
      }
      if (cards.length > MAX_CARDS) {
        replace(out, notice('error', t('members.class_cards_too_many', { max: MAX_CARDS })));
      } else {
        await openPdf('/print/cards', { card_numbers: cards }, out);
      }
    } catch (err) {
      replace(out, errorNotice(err));
    } finally {
      button.disabled = false;
    }
  });
  return h('div', { class: 'actions' }, button, out);
}

function memberFields(cats, m = {}) {
  return [
    field({ name: 'name', label: t('member.name'), required: true, value: m.name, attrs: { autocomplete: 'off' } }),
    field({ name: 'category', label: t('member.category'), type: 'select', required: true, value: m.category,
      options: cats.map((c) => ({ value: c.code, label: categoryLabel(c.code, c) })) }),
    field({ name: 'grade', label: t('member.grade'), value: m.grade, hint: t('member.grade_hint'), testid: 'member-grade',
      attrs: { autocomplete: 'off', maxlength: 20 } }),
    field({ name: 'email', label: t('member.email'), type: 'email', value: m.email, attrs: { autocomplete: 'off' } }),
    field({ name: 'phone', label: t('member.phone'), type: 'tel', value: m.phone, attrs: { autocomplete: 'off' } }),
    field({ name: 'expires_on', label: t('member.expires_on'), type: 'date', value: m.expires_on, hint: t('member.expires_hint') }),
  ];
}

export async function renderCreate(root, ctx) {
  root.append(h('p', { class: 'back' }, h('a', { href: '#/anggota' }, `← ${t('members.title')}`)), heading(t('members.new')));
  let cats;
  try { cats = await categories(); } catch (err) { root.append(errorNotice(err)); return; }
  const form = h('form', { class: 'form-grid', 'data-testid': 'member-form' },
    memberFields(cats, { expires_on: todayIso(365) }),
    h('fieldset', { class: 'field-wide' },
      h('legend', {}, t('members.login_optional')),
      h('div', { class: 'form-grid' },
        field({ name: 'username', label: t('login.username'), attrs: { autocomplete: 'off', autocapitalize: 'none' } }),
        field({ name: 'password', label: t('login.password'), type: 'password', hint: t('members.password_hint'), attrs: { autocomplete: 'new-password' } }))),
    h('div', { class: 'actions field-wide' }, h('button', { type: 'submit', class: 'primary' }, t('common.save'))));
  onSubmit(form, async (v) => {
    const body = { name: v.name, category: v.category };
    for (const k of ['grade', 'email', 'phone', 'expires_on', 'username', 'password']) if (v[k]) body[k] = v[k];
    const m = await api.post('/members', body);
    flash(t('members.created', { name: m.name, card: m.card_number }));
    ctx.navigate(`#/anggota/${m.id}`);
  }, { conflictField: 'username' });
  root.append(form);
  form.querySelector('input').focus();
}

export async function renderDetail(root, ctx) {
  const id = encodeURIComponent(ctx.params.id);
  root.append(h('p', { class: 'back' }, h('a', { href: '#/anggota' }, `← ${t('members.title')}`)), loading());
  let m; let cats = [];
  try {
    [m, cats] = await Promise.all([api.get(`/members/${id}`), categories().catch(() => [])]);
  } catch (err) {
    root.lastChild.replaceWith(errorNotice(err));
    return;
  }
  root.lastChild.remove();
  const again = () => ctx.navigate(location.hash);
  const act = async (fn, done) => {
    try { await fn(); flash(done); again(); } catch (err) { flash(errorText(err), 'error'); }
  };

  const head = heading(m.name, memberStatus(m));
  const summary = facts([
    [t('member.card_number'), h('code', {}, m.card_number)],
    [t('member.category'), categoryLabel(m.category, cats.find((c) => c.code === m.category))],
    m.grade && [t('member.grade'), m.grade],
    m.birth_date && [t('member.birth_date'), h('span', { 'data-testid': 'member-birth-date' }, formatDate(m.birth_date))],
    [t('member.expires_on'), m.expires_on ? formatDate(m.expires_on) : t('member.no_expiry')],
    [t('member.active_loans'), String(m.active_loans)],
    [t('member.unpaid_fines'), formatMoney(m.unpaid_fines)],
    ...standingFacts(m),
    [t('login.username'), m.username],
    m.blocked && [t('member.blocked_reason'), m.blocked_reason],
  ]);
  const actions = h('div', { class: 'actions' },
    h('a', { class: 'button primary', href: `#/meja/pinjam?kartu=${encodeURIComponent(m.card_number)}` }, t('members.checkout_for')),
    m.blocked
      ? h('button', { type: 'button', class: 'secondary', 'data-testid': 'member-unblock',
        onClick: () => act(() => api.patch(`/members/${m.id}`, { blocked: false, blocked_reason: null }), t('members.unblocked')) }, t('members.unblock'))
      : h('button', { type: 'button', class: 'secondary', 'data-testid': 'member-block',
        onClick: async () => {
          const reason = await promptDialog({ message: t('members.block_confirm', { name: m.name }), label: t('member.blocked_reason') });
          if (reason) act(() => api.patch(`/members/${m.id}`, { blocked: true, blocked_reason: reason }), t('members.blocked_done'));
        } }, t('members.block')),
    // A member who forgot their password: staff set a new one and tell them (their sessions end).
    m.username ? h('button', { type: 'button', class: 'secondary', 'data-testid': 'member-set-password',
      onClick: async () => {
        const password = await promptDialog({ message: t('members.set_password'), label: t('members.new_password'), confirmLabel: t('common.save') });
        if (password) act(() => api.put(`/members/${m.id}/password`, { password }), t('members.password_set'));
      } }, t('members.set_password')) : null,
    h('button', { type: 'button', class: 'danger',
      onClick: async () => {
        if (!(await confirmDialog(t('members.delete_confirm', { name: m.name }), { danger: true, confirmLabel: t('common.delete') }))) return;
        try { await api.del(`/members/${m.id}`); flash(t('common.deleted')); ctx.navigate('#/anggota'); } catch (err) { flash(errorText(err), 'error'); }
      } }, t('common.delete')));

  const editForm = h('form', { class: 'form-grid', 'data-testid': 'member-edit-form' }, memberFields(cats, m),
    field({ name: 'birth_date', label: t('member.birth_date'), type: 'date', value: m.birth_date, hint: t('member.birth_date_hint'), testid: 'member-birth-date-input', attrs: { max: todayIso() } }),
    h('div', { class: 'actions field-wide' }, h('button', { type: 'submit', class: 'primary' }, t('common.save'))));
  onSubmit(editForm, async (v) => {
    await api.patch(`/members/${m.id}`, { name: v.name, category: v.category, grade: orNull(v.grade), email: orNull(v.email), phone: orNull(v.phone), expires_on: orNull(v.expires_on), birth_date: orNull(v.birth_date) });
    flash(t('common.saved'));
    again();
  });

  const loansBox = h('div', {}, loading());
  const holdsBox = h('div', {}, loading());
  const finesBox = h('div', {}, loading());
  root.append(head, summary, actions,
    section(t('members.numbers'), numbersPanel(m, act, again)),
    section(t('members.loans'), loansBox),
    section(t('members.holds'), holdsBox),
    section(t('members.fines'), finesBox),
    h('details', { class: 'panel' }, h('summary', {}, t('members.edit')), editForm));

  const [loans, holds, fines] = await Promise.allSettled([
    api.get(`/members/${m.id}/loans`, { status: 'all', per_page: 100 }),
    api.get(`/members/${m.id}/holds`, { per_page: 100 }),
    api.get(`/members/${m.id}/fines`, { per_page: 100 }),
  ]);
  const activeFirst = (a, b) => Number(Boolean(a.returned_at)) - Number(Boolean(b.returned_at)) || b.loaned_at.localeCompare(a.loaned_at);
  replace(loansBox, loans.status === 'rejected' ? errorNotice(loans.reason) : loansTable([...loans.value.items].sort(activeFirst), null, act));
  replace(holdsBox, holds.status === 'rejected' ? errorNotice(holds.reason) : holdsTable(holds.value.items, act));
  replace(finesBox, fines.status === 'rejected' ? errorNotice(fines.reason) : finesTable(fines.value.items, act));
}

const NUMBER_KINDS = ['nis', 'nisn', 'slims', 'old_card'];

/** A member's other numbers (NIS, NISN, SLiMS id, an old card): the desk, the kiosk and the search
 *  take each like the card. Listed with their kind; one is added (kind + number; the API's 422, a
 *  number another member has, shown on the field) or removed. */
function numbersPanel(m, act, again) {
  const numbers = m.other_numbers || [];
  const list = table({
    testid: 'member-numbers', caption: t('members.numbers'), rows: numbers, empty: t('members.no_numbers'),
    columns: [
      { label: t('number.kind'), render: (n) => t(`number.kind.${n.kind}`, {}, n.kind) },
      { label: t('number.number'), render: (n) => h('code', {}, n.number) },
      { label: t('common.actions'), render: (n) => h('button', { type: 'button', class: 'danger small', 'data-testid': `number-remove-${n.number}`,
        onClick: async () => {
          if (await confirmDialog(t('members.remove_number_confirm', { number: n.number }), { danger: true, confirmLabel: t('common.delete') })) {
            act(() => api.del(`/members/${m.id}/numbers/${encodeURIComponent(n.number)}`), t('common.deleted'));
          }
        } }, t('common.delete')) },
    ],
  });
  const form = h('form', { class: 'inline-form', 'data-testid': 'number-form' },
    field({ name: 'kind', label: t('number.kind'), type: 'select', value: 'nis', testid: 'number-kind',
      options: NUMBER_KINDS.map((k) => ({ value: k, label: t(`number.kind.${k}`) })) }),
    field({ name: 'number', label: t('number.number'), required: true, testid: 'number-input', hint: t('number.hint'), attrs: { autocomplete: 'off', maxlength: 40 } }),
    h('button', { type: 'submit', class: 'primary', 'data-testid': 'number-add' }, t('members.add_number')));
  onSubmit(form, async (v) => {
    await api.post(`/members/${m.id}/numbers`, { kind: v.kind, number: v.number });
    flash(t('members.number_added', { number: v.number.toUpperCase() }));
    again();
  });
  return h('div', {}, list, form);
}

/** Fines accruing on overdue loans and the overdue date: what stops borrowing besides fines charged. */
export function standingFacts(m) {
  return [
    m.accruing_fines > 0 && [t('member.accruing_fines'), formatMoney(m.accruing_fines)],
    m.overdue_since && [t('member.overdue_since'), formatDate(m.overdue_since)],
  ].filter(Boolean);
}

/** Loans; with `renew` (the member's page) a Perpanjang button, disabled with the reason when the
 *  API says a renewal would be refused; with `act` (staff) Hilang / Kembali rusak for loans still out. */
export function loansTable(loans, renew, act) {
  return table({
    caption: t('members.loans'), rows: loans, empty: t('members.no_loans'),
    rowClass: (l) => (l.overdue && !l.returned_at ? 'row-bad' : null),
    columns: [
      { label: t('loan.title'), render: (l) => h('a', { href: `#/buku/${l.book_id}` }, l.title) },
      { label: t('copy.barcode'), render: (l) => h('code', {}, l.barcode) },
      { label: t('loan.loaned_at'), render: (l) => formatDate(l.loaned_at) },
      { label: t('loan.due_at'), render: (l) => formatDate(l.due_at) },
      { label: t('loan.returned_at'), render: (l) => (l.returned_at ? formatDate(l.returned_at) : '—') },
      { label: t('loan.renewals'), render: (l) => String(l.renewals), class: 'num' },
      { label: t('member.status'), render: loanBadge },
      renew && { label: t('common.actions'), render: (l) => {
        if (l.returned_at) return '';
        if (l.renewable === false) {
          const why = t(`reason.${l.renew_refusal}`, {}, t(`err.${l.renew_refusal}`, {}, l.renew_refusal));
          return h('span', { class: 'row-actions' },
            h('button', { type: 'button', class: 'secondary small', disabled: true, 'data-testid': 'renew-button', title: why }, t('loan.renew')),
            h('span', { class: 'hint', 'data-testid': 'renew-refusal' }, ` ${t('loan.cannot_renew', { reason: why })}`));
        }
        return h('button', { type: 'button', class: 'secondary small', 'data-testid': 'renew-button', onClick: () => renew(l) }, t('loan.renew'));
      } },
      act && { label: t('common.actions'), render: (l) => (l.returned_at ? '' : h('div', { class: 'row-actions' },
        h('button', { type: 'button', class: 'secondary small', 'data-testid': 'loan-damaged',
          onClick: async () => {
            if (await confirmDialog(t('loan.damaged_confirm', { title: l.title, barcode: l.barcode }), { confirmLabel: t('loan.damaged') })) {
              act(() => api.post('/returns', { barcode: l.barcode, damaged: true }), t('loan.damaged_done'));
            }
          } }, t('loan.damaged')),
        h('button', { type: 'button', class: 'danger small', 'data-testid': 'loan-lost',
          onClick: async () => {
            if (await confirmDialog(t('loan.lost_confirm', { title: l.title, barcode: l.barcode }), { danger: true, confirmLabel: t('loan.lost') })) {
              act(() => api.post(`/loans/${l.id}/lost`), t('loan.lost_done'));
            }
          } }, t('loan.lost')))) },
    ].filter(Boolean),
  });
}

/** `act(promiseFn, doneMessage)` runs an action and refreshes the view. */
export function holdsTable(holds, act, { showMember = false } = {}) {
  return table({
    caption: t('members.holds'), rows: holds, empty: t('members.no_holds'),
    columns: [
      { label: t('loan.title'), render: (x) => h('a', { href: `#/buku/${x.book_id}` }, x.title) },
      showMember && { label: t('loan.member'), render: (x) => h('a', { href: `#/anggota/${x.member_id}` }, `${x.member_name} (${x.card_number})`) },
      { label: t('member.status'), render: (x) => statusBadge('hold', x.status) },
      { label: t('hold.position'), render: (x) => (x.position ?? '—'), class: 'num' },
      { label: t('hold.copy'), render: (x) => (x.copy_barcode ? h('code', {}, x.copy_barcode) : '—') },
      { label: t('hold.pickup_by'), render: (x) => (x.pickup_by ? formatDate(x.pickup_by) : '—') },
      { label: t('hold.created_at'), render: (x) => formatDate(x.created_at) },
      { label: t('common.actions'), render: (x) => ((x.status === 'waiting' || x.status === 'ready')
        ? h('button', { type: 'button', class: 'secondary small', 'data-testid': 'hold-cancel',
          onClick: async () => {
            if (await confirmDialog(t('hold.cancel_confirm', { title: x.title }), { confirmLabel: t('hold.cancel') })) act(() => api.del(`/holds/${x.id}`), t('hold.cancelled'));
          } }, t('hold.cancel'))
        : '') },
    ].filter(Boolean),
  });
}

/** A printable receipt for a payment (the page's print CSS prints only the open receipt). */
export function receipt(p) {
  return h('article', { class: 'receipt', 'data-testid': 'receipt' },
    h('h2', {}, t('receipt.title')),
    h('p', { class: 'receipt-library' }, t('app.tagline')),
    facts([
      [t('receipt.number'), h('code', {}, `P-${String(p.id).padStart(6, '0')}`)],
      [t('receipt.paid_at'), formatDateTime(p.paid_at)],
      [t('member.name'), p.member_name],
      [t('member.card_number'), h('code', {}, p.card_number)],
      [t('fine.reason'), t(`fine.reason_${p.reason}`, {}, p.reason)],
      p.title && [t('loan.title'), p.title],
      [t('receipt.fine_amount'), formatMoney(p.fine_amount)],
      [t('receipt.amount'), h('strong', {}, formatMoney(p.amount))],
      [t('receipt.outstanding_after'), formatMoney(p.outstanding_after)],
      [t('receipt.received_by'), p.received_by],
    ].filter(Boolean)));
}

/** Shows receipts in a dialog with a Print button. */
export async function showReceipts(payments) {
  const dialog = h('dialog', { class: 'dialog receipt-dialog' });
  const close = () => { dialog.close(); dialog.remove(); };
  dialog.append(...payments.map(receipt),
    h('div', { class: 'actions no-print' },
      h('button', { type: 'button', class: 'primary', 'data-testid': 'receipt-print', onClick: () => window.print() }, t('receipt.print')),
      h('button', { type: 'button', class: 'secondary', onClick: close }, t('common.ok'))));
  dialog.addEventListener('cancel', (e) => { e.preventDefault(); close(); });
  document.body.append(dialog);
  dialog.showModal();
}

/** Asks how much is paid (empty: all of it); resolves the amount or null when cancelled. */
async function askAmount(f) {
  for (;;) {
    const text = await promptDialog({ message: t('fine.pay_confirm', { amount: formatMoney(f.outstanding) }), label: t('fine.pay_amount'), required: false, confirmLabel: t('fine.pay') });
    if (text === null) return null;
    if (text === '') return f.outstanding;
    const n = Number(text.replace(/[.\s]/g, '').replace(/^rp/i, ''));
    if (Number.isInteger(n) && n >= 1 && n <= f.outstanding) return n;
    flash(n > f.outstanding ? t('field.overpayment') : t('field.out_of_range'), 'error');
  }
}

/** Fines; with `act` (staff) unpaid fines get Bayar (all or part, then the receipt) / Hapuskan
 *  buttons; fines with payments get a Kuitansi button. */
export function finesTable(fines, act) {
  return table({
    caption: t('members.fines'), rows: fines, empty: t('members.no_fines'),
    rowClass: (f) => (f.status === 'unpaid' ? 'row-warn' : null),
    columns: [
      { label: t('fine.created_at'), render: (f) => formatDate(f.created_at) },
      { label: t('loan.title'), render: (f) => f.title || '—' },
      { label: t('fine.reason'), render: (f) => t(`fine.reason_${f.reason}`, {}, f.reason) },
      { label: t('fine.amount'), render: (f) => formatMoney(f.amount), class: 'num' },
      { label: t('fine.paid_so_far'), render: (f) => (f.paid ? formatMoney(f.paid) : '—'), class: 'num' },
      { label: t('fine.outstanding'), render: (f) => formatMoney(f.outstanding ?? 0), class: 'num' },
      { label: t('member.status'), render: (f) => [statusBadge('fine', f.status), f.note ? h('span', { class: 'hint' }, ` ${f.note}`) : null] },
      { label: t('fine.resolved_at'), render: (f) => (f.resolved_at ? formatDateTime(f.resolved_at) : '—') },
      { label: t('receipt.title'), render: (f) => (f.paid > 0
        ? h('button', { type: 'button', class: 'secondary small', 'data-testid': 'fine-receipts',
          onClick: async () => {
            try { showReceipts((await api.get(`/fines/${f.id}/payments`)).items); } catch (err) { flash(errorText(err), 'error'); }
          } }, t('receipt.show'))
        : '—') },
      act && { label: t('common.actions'), render: (f) => (f.status !== 'unpaid' ? '' : h('div', { class: 'row-actions' },
        h('button', { type: 'button', class: 'primary small', 'data-testid': 'fine-pay',
          onClick: async () => {
            const amount = await askAmount(f);
            if (amount === null) return;
            act(async () => {
              const paid = await api.post(`/fines/${f.id}/pay`, { amount });
              if (paid.payment) showReceipts([paid.payment]);
            }, paidMessage(f, amount));
          } }, t('fine.pay')),
        h('button', { type: 'button', class: 'secondary small', 'data-testid': 'fine-waive',
          onClick: async () => {
            const reason = await promptDialog({ message: t('fine.waive_confirm', { amount: formatMoney(f.outstanding ?? f.amount) }), label: t('fine.waive_reason'), confirmLabel: t('fine.waive') });
            if (reason) act(() => api.post(`/fines/${f.id}/waive`, { reason }), t('fine.waived'));
          } }, t('fine.waive')))) },
    ].filter(Boolean),
  });
}

function paidMessage(f, amount) {
  return amount < f.outstanding ? t('fine.paid_part', { amount: formatMoney(amount), rest: formatMoney(f.outstanding - amount) }) : t('fine.paid');
}
