// Pinjaman (staff): active and overdue loans; holds waiting and ready for pickup.
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { t, errorText } from '../i18n.js';
import { formatDate } from '../format.js';
import { heading, tabs, table, pager, loanBadge, errorNotice, loading, flash } from '../ui.js';
import { holdsTable } from './members.js';
import { overdueContactsTable } from './notices.js';

const TABS = {
  aktif: { kind: 'loans', status: 'active' },
  terlambat: { kind: 'loans', status: 'overdue' },
  menunggu: { kind: 'holds', status: 'waiting' },
  siap: { kind: 'holds', status: 'ready' },
};

export async function render(root, ctx) {
  const tab = TABS[ctx.params.tab] ? ctx.params.tab : 'aktif';
  const { kind, status } = TABS[tab];
  const results = h('div', { 'aria-live': 'polite' });
  replace(root, heading(t('loans.title')),
    tabs(Object.keys(TABS).map((k) => ({ href: `#/pinjaman/${k}`, label: t(`loans.tab.${k}`), active: k === tab, testid: `loans-tab-${k}` })), t('loans.title')),
    results);

  const act = async (fn, done) => {
    try { await fn(); flash(done); load(Number(ctx.query.page) || 1); } catch (err) { flash(errorText(err), 'error'); }
  };

  async function load(page) {
    ctx.replaceQuery({ page });
    results.replaceChildren(loading());
    try {
      // The overdue list comes with the members' contacts and WhatsApp links.
      const overdue = tab === 'terlambat';
      const list = overdue
        ? await api.get('/notices/overdue-contacts', { page, per_page: 50 })
        : await api.get(kind === 'loans' ? '/loans' : '/holds', { status, page, per_page: 50 });
      if (!ctx.isCurrent()) return;
      const shown = kind === 'loans' ? loansTable(list.items) : holdsTable(list.items, act, { showMember: true });
      replace(results,
        h('p', { class: 'result-count' }, t('loans.count', { total: list.total })),
        overdue ? overdueContactsTable(list.items) : shown,
        pager(list, load));
    } catch (err) {
      replace(results, errorNotice(err));
    }
  }
  await load(Number(ctx.query.page) || 1);
}

function loansTable(loans) {
  return table({
    testid: 'loans-table', caption: t('loans.title'), rows: loans, empty: t('members.no_loans'),
    rowClass: (l) => (l.overdue ? 'row-bad' : null),
    columns: [
      { label: t('loan.title'), render: (l) => h('a', { href: `#/buku/${l.book_id}` }, l.title) },
      { label: t('copy.barcode'), render: (l) => h('code', {}, l.barcode) },
      { label: t('loan.member'), render: (l) => h('a', { href: `#/anggota/${l.member_id}` }, `${l.member_name} (${l.card_number})`) },
      { label: t('loan.loaned_at'), render: (l) => formatDate(l.loaned_at) },
      { label: t('loan.due_at'), render: (l) => formatDate(l.due_at) },
      { label: t('loan.renewals'), render: (l) => String(l.renewals), class: 'num' },
      { label: t('member.status'), render: loanBadge },
    ],
  });
}
