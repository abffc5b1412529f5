// Meja sirkulasi: checkout, return and renew, made for a barcode scanner (types + Enter).
// Focus sits in the right field on open and after every scan; the result banner is big,
// green for success and red for refusal, and announced through an aria-live region.
import { api, getAll } from '../api.js';
import { getCategories } from '../categories.js';
import { h, replace } from '../dom.js';
import { t, errorText, categoryLabel } from '../i18n.js';
import { formatDate, formatDateTime, formatMoney, todayIso } from '../format.js';
import { heading, tabs, badge, loanBadge, table } from '../ui.js';

const PANELS = ['pinjam', 'kembali', 'perpanjang'];

// Kept across re-renders (language toggle, switching panels) for the whole page session.
const state = { member: null, memberLoans: [], categories: null, history: [] };

export async function render(root, ctx) {
  const panel = PANELS.includes(ctx.params.panel) ? ctx.params.panel : 'pinjam';
  // Coming back from another view: never lend to the member left over from earlier.
  if (ctx.cameFrom !== 'desk') { state.member = null; state.memberLoans = []; }
  const banner = h('div', { class: 'desk-result desk-result-idle', 'data-testid': 'desk-result', 'aria-live': 'assertive', 'aria-atomic': 'true' },
    h('p', { class: 'desk-result-title' }, t('desk.ready')));
  const historyList = h('ol', { class: 'desk-history', 'data-testid': 'desk-history' });
  const desk = { root, ctx, panel, banner, historyList };

  const body = h('div', { class: 'desk-panel' });
  replace(root,
    heading(t('desk.title')),
    tabs(PANELS.map((p) => ({ href: `#/meja/${p}`, label: t(`desk.panel.${p}`), active: p === panel, testid: `desk-tab-${p}` })), t('desk.title')),
    h('div', { class: 'desk-grid' },
      h('div', { class: 'desk-main' }, banner, body),
      h('aside', { class: 'desk-side', 'aria-labelledby': 'desk-history-title' },
        h('h2', { id: 'desk-history-title' }, t('desk.history')), historyList)));
  renderHistory(desk);

  try { state.categories = await getCategories(); } catch { state.categories = null; }
  if (!ctx.isCurrent()) return;
  if (panel === 'pinjam') await checkoutPanel(body, desk);
  else if (panel === 'kembali') returnPanel(body, desk);
  else await renewPanel(body, desk);
}

// ---------- result banner and history ----------

/** kind: 'ok' | 'refused' | 'hold'; lines: [string | [label, value]] */
function showResult(desk, kind, title, lines = []) {
  const icon = kind === 'refused' ? '✕' : kind === 'hold' ? '!' : '✓';
  desk.banner.className = `desk-result desk-result-${kind}`;
  replace(desk.banner,
    h('p', { class: 'desk-result-title' }, h('span', { class: 'desk-icon', 'aria-hidden': 'true' }, icon), ' ', title),
    lines.filter(Boolean).map((line) => (Array.isArray(line)
      ? h('p', { class: 'desk-result-line' }, `${line[0]}: `, h('strong', {}, line[1]))
      : h('p', { class: 'desk-result-line desk-result-action' }, line))));
  state.history.unshift({ at: new Date().toISOString(), kind, title });
  state.history.length = Math.min(state.history.length, 15);
  renderHistory(desk);
}

function renderHistory(desk) {
  replace(desk.historyList, state.history.length
    ? state.history.map((e) => h('li', { class: `history-${e.kind}` }, h('span', { class: 'history-time' }, formatDateTime(e.at).split(' ').pop()), ' ', e.title))
    : h('li', { class: 'empty' }, t('desk.history_empty')));
}

function category(code) {
  return (state.categories || []).find((c) => c.code === code) || null;
}

/** Why a circulation request was refused, with numbers from the member when we have them. */
function refusal(err, { member, barcode } = {}) {
  const cat = member && category(member.category);
  const p = { barcode: barcode || '' };
  let key = `reason.${err.code}`;
  if (err.code === 'fines_owed' && member && cat) {
    key = 'reason.fines_owed_amount';
    Object.assign(p, { amount: formatMoney(member.unpaid_fines), limit: formatMoney(cat.fine_limit) });
  } else if (err.code === 'loan_limit' && member && cat) {
    key = 'reason.loan_limit_count';
    Object.assign(p, { count: member.active_loans, max: cat.max_loans });
  } else if (err.code === 'member_blocked' && member?.blocked_reason) {
    key = 'reason.member_blocked_why';
    p.reason = member.blocked_reason;
  } else if (err.code === 'member_expired' && member?.expires_on) {
    key = 'reason.member_expired_on';
    p.date = formatDate(member.expires_on);
  } else if (err.code === 'renew_limit' && member && cat) {
    key = 'reason.renew_limit_max';
    p.max = cat.max_renewals;
  }
  return t('desk.refused', { reason: t(key, p, errorText(err)) });
}

// ---------- the scan fields ----------

/** A one-field scan form: label, big input, Enter submits, then the field is cleared and refocused. */
function scanForm({ name, label, testid, hint, onScan }) {
  const id = `desk-${name}`;
  const input = h('input', {
    id, name, type: 'text', class: 'scan-input', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false',
    'data-testid': testid, 'aria-describedby': hint ? `${id}-hint` : null,
  });
  const button = h('button', { type: 'submit', class: 'primary' }, t('desk.enter'));
  const form = h('form', { class: 'scan-form' },
    h('label', { for: id }, label),
    h('div', { class: 'scan-row' }, input, button),
    hint && h('p', { class: 'hint', id: `${id}-hint` }, hint));
  let busy = false;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const value = input.value.trim();
    if (!value || busy) { input.focus(); return; }
    busy = true;
    button.disabled = true;
    try {
      await onScan(value);
    } catch (err) {
      console.error(err);
    } finally {
      busy = false;
      button.disabled = false;
      if (form.isConnected) { input.value = ''; }
    }
  });
  return { form, input };
}

// ---------- member summary (checkout and renew) ----------

async function lookupMember(query) {
  const list = await api.get('/members', { q: query, per_page: 10 });
  const exact = list.items.find((m) => m.card_number.toLowerCase() === query.toLowerCase());
  if (exact) return { member: exact };
  if (list.items.length === 1) return { member: list.items[0] };
  return { choices: list.items };
}

async function loadMember(id) {
  const [member, loans] = await Promise.all([api.get(`/members/${id}`), getAll(`/members/${id}/loans`, { status: 'active' })]);
  state.member = member;
  state.memberLoans = loans;
}

function memberSummary(desk, { onRenewed, onClear }) {
  const m = state.member;
  const cat = category(m.category);
  const expired = m.expires_on && m.expires_on < todayIso();
  const overFine = cat && m.unpaid_fines > 0 && m.unpaid_fines >= cat.fine_limit;
  return h('section', { class: 'member-summary', 'data-testid': 'member-summary', 'aria-labelledby': 'member-summary-name' },
    h('div', { class: 'member-head' },
      h('h2', { id: 'member-summary-name' }, m.name),
      h('span', { class: 'member-card' }, m.card_number),
      m.blocked && badge(t('member.blocked'), 'bad'),
      expired && badge(t('member.expired'), 'bad'),
      h('button', { type: 'button', class: 'link-button', 'data-testid': 'member-clear', onClick: onClear }, t('desk.other_member'))),
    h('dl', { class: 'member-facts' },
      h('dt', {}, t('member.category')), h('dd', {}, categoryLabel(m.category, cat)),
      h('dt', {}, t('member.expires_on')), h('dd', { class: expired ? 'text-bad' : null }, m.expires_on ? formatDate(m.expires_on) : t('member.no_expiry')),
      h('dt', {}, t('member.active_loans')), h('dd', {}, cat ? t('desk.loans_of', { count: m.active_loans, max: cat.max_loans }) : String(m.active_loans)),
      h('dt', {}, t('member.unpaid_fines')), h('dd', { class: m.unpaid_fines > 0 ? (overFine ? 'text-bad strong' : 'text-warn') : null, 'data-testid': 'member-fines' },
        formatMoney(m.unpaid_fines), cat && m.unpaid_fines > 0 ? ` (${t('desk.fine_limit', { limit: formatMoney(cat.fine_limit) })})` : '')),
    m.blocked && m.blocked_reason && h('p', { class: 'text-bad' }, t('member.blocked_reason'), ': ', m.blocked_reason),
    state.memberLoans.length
      ? table({
        caption: t('member.active_loans'),
        rows: state.memberLoans,
        rowClass: (l) => (l.overdue ? 'row-bad' : null),
        columns: [
          { label: t('loan.title'), render: (l) => l.title },
          { label: t('copy.barcode'), render: (l) => h('code', {}, l.barcode) },
          { label: t('loan.due_at'), render: (l) => [formatDate(l.due_at), ' ', l.overdue ? loanBadge(l) : null] },
          { label: t('loan.renewals'), render: (l) => String(l.renewals) },
          { label: t('common.actions'), render: (l) => h('button', { type: 'button', class: 'secondary small', onClick: () => renewLoan(desk, l).then(onRenewed) }, t('loan.renew')) },
        ],
      })
      : h('p', { class: 'empty' }, t('desk.no_loans')));
}

async function renewLoan(desk, loan) {
  try {
    const renewed = await api.post(`/loans/${loan.id}/renew`);
    showResult(desk, 'ok', t('desk.renewed', { title: renewed.title }), [
      [t('loan.member'), `${renewed.member_name} (${renewed.card_number})`],
      [t('loan.new_due'), formatDate(renewed.due_at)],
      [t('loan.renewals'), String(renewed.renewals)],
    ]);
  } catch (err) {
    showResult(desk, 'refused', refusal(err, { member: state.member && state.member.id === loan.member_id ? state.member : null }), [
      [t('loan.title'), loan.title], [t('copy.barcode'), loan.barcode]]);
  }
}

/**
 * Card-number field plus the member summary. Used by checkout (then scan books) and renew.
 * Returns an object whose `focus()` puts the cursor where the next scan should go.
 */
function memberPicker(desk, { cardTestid, afterSelect }) {
  const area = h('div', { class: 'member-area' });
  const card = scanForm({
    name: `${desk.panel}-card`, label: t('desk.card_number'), testid: cardTestid, hint: t('desk.card_hint'),
    onScan: async (value) => {
      try {
        const found = await lookupMember(value);
        if (found.member) {
          await loadMember(found.member.id);
          refresh();
          afterSelect();
        } else if (found.choices.length) {
          replace(area, h('div', { class: 'choices' }, h('p', {}, t('desk.choose_member')),
            h('ul', {}, found.choices.map((m) => h('li', {}, h('button', {
              type: 'button', class: 'secondary',
              onClick: async () => { await loadMember(m.id); refresh(); afterSelect(); },
            }, `${m.name} — ${m.card_number}`))))));
          area.querySelector('button')?.focus();
        } else {
          showResult(desk, 'refused', t('desk.refused', { reason: t('reason.card_not_found', { card: value }) }));
          card.input.focus();
        }
      } catch (err) {
        showResult(desk, 'refused', t('desk.refused', { reason: errorText(err) }));
        card.input.focus();
      }
    },
  });
  function clear() {
    state.member = null;
    state.memberLoans = [];
    refresh();
    card.input.focus();
  }
  async function reload() {
    if (!state.member) return;
    try { await loadMember(state.member.id); } catch { /* keep what we had */ }
    refresh();
  }
  function refresh() {
    replace(area, state.member ? memberSummary(desk, { onRenewed: () => reload().then(afterSelect), onClear: clear }) : null);
  }
  refresh();
  return { form: card.form, input: card.input, area, clear, reload, refresh };
}

// ---------- panels ----------

async function checkoutPanel(body, desk) {
  const barcode = scanForm({
    name: 'checkout-barcode', label: t('desk.book_barcode'), testid: 'checkout-barcode', hint: t('desk.barcode_hint'),
    onScan: async (value) => {
      const member = state.member;
      if (!member) { picker.input.focus(); return; }
      try {
        const loan = await api.post('/loans', { barcode: value, card_number: member.card_number });
        showResult(desk, 'ok', t('desk.checked_out', { title: loan.title }), [
          [t('loan.member'), `${loan.member_name} (${loan.card_number})`],
          [t('copy.barcode'), loan.barcode],
          [t('loan.due_at'), formatDate(loan.due_at)],
        ]);
      } catch (err) {
        showResult(desk, 'refused', refusal(err, { member, barcode: value }), [[t('copy.barcode'), value]]);
      }
      await picker.reload();
      focusNext();
    },
  });
  const picker = memberPicker(desk, { cardTestid: 'checkout-card', afterSelect: () => focusNext() });
  const barcodeBox = h('div', { class: 'barcode-box' }, barcode.form);

  function focusNext() {
    barcodeBox.hidden = !state.member;
    (state.member ? barcode.input : picker.input).focus();
  }
  body.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && state.member) { e.preventDefault(); picker.clear(); barcodeBox.hidden = true; }
  });
  // Scan fields first (they stay near the top at 1366×768), the member's details under them.
  replace(body, h('h2', { class: 'sr-only' }, t('desk.panel.pinjam')), picker.form, barcodeBox, picker.area);

  const preset = desk.ctx.query.kartu;
  if (preset && (!state.member || state.member.card_number !== preset)) {
    picker.input.value = preset;
    picker.form.requestSubmit();
    return;
  }
  if (state.member) await picker.reload();
  focusNext();
}

function returnPanel(body, desk) {
  const scan = scanForm({
    name: 'return-barcode', label: t('desk.book_barcode'), testid: 'return-barcode', hint: t('desk.return_hint'),
    onScan: async (value) => {
      try {
        const { loan, fine, hold } = await api.post('/returns', { barcode: value });
        const lines = [
          [t('loan.member'), `${loan.member_name} (${loan.card_number})`],
          [t('copy.barcode'), loan.barcode],
          [t('loan.due_at'), formatDate(loan.due_at)],
        ];
        if (fine) lines.push([t('desk.fine_charged'), formatMoney(fine.amount)]);
        if (hold) {
          lines.unshift(t('desk.put_on_hold_shelf', { name: hold.member_name }));
          lines.push([t('hold.pickup_by'), formatDate(hold.pickup_by)]);
        }
        showResult(desk, hold ? 'hold' : 'ok', t('desk.returned', { title: loan.title }), lines);
      } catch (err) {
        showResult(desk, 'refused', refusal(err, { barcode: value }), [[t('copy.barcode'), value]]);
      }
      scan.input.focus();
    },
  });
  replace(body, h('h2', { class: 'sr-only' }, t('desk.panel.kembali')), scan.form);
  scan.input.focus();
}

/** The active loan of the copy with this barcode, or null when it is not on loan. */
async function activeLoanByBarcode(barcode) {
  const page = await api.get('/loans', { status: 'active', barcode });
  return page.items[0] || null;
}

async function renewPanel(body, desk) {
  const scan = scanForm({
    name: 'renew-barcode', label: t('desk.book_barcode'), testid: 'renew-barcode', hint: t('desk.renew_hint'),
    onScan: async (value) => {
      try {
        const loan = await activeLoanByBarcode(value);
        if (!loan) {
          showResult(desk, 'refused', t('desk.refused', { reason: t('reason.not_on_loan', { barcode: value }) }), [[t('copy.barcode'), value]]);
        } else {
          await renewLoan(desk, loan);
          if (state.member && state.member.id === loan.member_id) await picker.reload();
        }
      } catch (err) {
        showResult(desk, 'refused', refusal(err, { barcode: value }), [[t('copy.barcode'), value]]);
      }
      scan.input.focus();
    },
  });
  const picker = memberPicker(desk, { cardTestid: 'renew-card', afterSelect: () => scan.input.focus() });
  replace(body, h('h2', { class: 'sr-only' }, t('desk.panel.perpanjang')), scan.form,
    h('details', { class: 'renew-by-member', open: Boolean(state.member) },
      h('summary', {}, t('desk.renew_by_member')), picker.form, picker.area));
  if (state.member) await picker.reload();
  scan.input.focus();
}
