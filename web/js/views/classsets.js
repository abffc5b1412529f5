// Buku paket per kelas (issue #30): a class and a title, the copies scanned (or assigned by
// Pustaka), lent to every student in one action, all or nothing; the class's list to see and
// print; at the end of the term, the copies scanned back and who has not returned what.
import { api, API_BASE } from '../api.js';
import { h, replace } from '../dom.js';
import { t, getLang, errorText } from '../i18n.js';
import { formatDate } from '../format.js';
import { heading, notice, table, tabs, badge } from '../ui.js';
import { field } from '../forms.js';

// Kept while the page is open: the class and title chosen.
const state = { grade: '', bookId: null, title: '', list: null };

/** The desk's tabs, this page's one active. */
function deskTabs() {
  return tabs([
    { href: '#/meja', label: t('nav.desk'), active: false, testid: 'tab-desk' },
    { href: '#/buku-paket', label: t('classset.title'), active: true, testid: 'tab-classsets' },
  ], t('classset.title'));
}

/** Scanned lines: one barcode a line (a scanner types it and Enter), blanks dropped. */
function lines(text) {
  return text.split(/[\s,;]+/).map((s) => s.trim()).filter(Boolean);
}

/** A fault of a refused class set, in words: who (the student or the scanned copy) and why. */
function faultText(e, scanned) {
  const why = t(`field.${e.code}`, {}, null) ?? t(`err.${e.code}`, {}, null) ?? (getLang() === 'en' ? e.message : t('field.invalid'));
  const student = /^students\[(\d+)\]$/.exec(e.field);
  if (student && state.list) {
    const line = state.list.lines[Number(student[1])];
    if (line) return `${line.number}. ${line.name} (${line.card_number}): ${why}`;
  }
  const copy = /^barcodes\[(\d+)\]$/.exec(e.field);
  if (copy && scanned[Number(copy[1])]) return `${scanned[Number(copy[1])]}: ${why}`;
  if (e.code === 'not_enough_copies') return `${why} ${e.message}`;
  return why;
}

export async function render(root, ctx) {
  if (ctx.query.kelas) state.grade = ctx.query.kelas;
  const result = h('div', { class: 'desk-result', 'data-testid': 'classset-result', 'aria-live': 'assertive' });
  const listArea = h('div', { 'data-testid': 'classset-list' });
  const titleChoice = h('div', { 'data-testid': 'classset-titles' });

  const chooser = h('form', { class: 'panel filters', 'data-testid': 'classset-form' },
    field({ name: 'grade', label: t('classset.grade'), value: state.grade, required: true, testid: 'classset-grade' }),
    field({ name: 'q', label: t('classset.search_title'), value: state.title, testid: 'classset-q' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', 'data-testid': 'classset-search' }, t('classset.find'))));
  chooser.addEventListener('submit', async (e) => {
    e.preventDefault();
    state.grade = chooser.elements.grade.value.trim();
    const q = chooser.elements.q.value.trim();
    if (!q) { state.bookId = null; return showList(); }
    try {
      const books = await api.get('/books', { q, per_page: 20 });
      const items = books.items || [];
      if (!items.length) return replace(titleChoice, notice('info', t('classset.no_titles')));
      replace(titleChoice, h('ul', { class: 'choices' }, items.map((b) =>
        h('li', {}, h('button', {
          type: 'button', 'data-testid': `classset-title-${b.id}`,
          onClick: () => { state.bookId = b.id; state.title = b.title; replace(titleChoice, h('p', {}, t('classset.chosen', { title: b.title }))); showList(); },
        }, b.title)))));
    } catch (err) {
      replace(titleChoice, notice('error', errorText(err)));
    }
  });

  const scanBox = field({ name: 'barcodes', label: t('classset.scan'), type: 'textarea', testid: 'classset-barcodes', hint: t('classset.scan_hint'), wide: true });
  const lend = async (assign) => {
    if (!state.grade || !state.bookId) return replace(result, notice('error', t('classset.choose_first')));
    const scanned = lines(scanBox.querySelector('textarea').value);
    const body = { grade: state.grade, book_id: state.bookId };
    if (assign) body.assign = true; else body.barcodes = scanned;
    try {
      const r = await api.post('/class-sets', body);
      result.className = 'desk-result desk-result-ok';
      replace(result, h('p', { class: 'desk-result-title' }, t('classset.lent', { count: r.items.length, grade: state.grade, title: state.title })),
        r.items.length ? h('p', {}, t('classset.due', { date: formatDate(r.items[0].due_at) })) : null);
      scanBox.querySelector('textarea').value = '';
    } catch (err) {
      result.className = 'desk-result desk-result-refused';
      const faults = err.code === 'validation' && err.errors.length ? err.errors : null;
      replace(result, h('p', { class: 'desk-result-title' }, t('classset.refused')),
        faults ? h('ul', { 'data-testid': 'classset-faults' }, faults.map((e) => h('li', {}, faultText(e, scanned)))) : h('p', {}, errorText(err)));
    }
    await showList();
  };

  const returnBox = field({ name: 'returns', label: t('classset.return_scan'), type: 'textarea', testid: 'classset-returns', wide: true });
  const giveBack = async () => {
    if (!state.grade) return replace(result, notice('error', t('classset.choose_first')));
    const body = { grade: state.grade, barcodes: lines(returnBox.querySelector('textarea').value) };
    if (state.bookId) body.book_id = state.bookId;
    try {
      const r = await api.post('/class-sets/return', body);
      result.className = 'desk-result desk-result-ok';
      replace(result, h('p', { class: 'desk-result-title' }, t('classset.returned', { count: r.returned.length })),
        r.problems.length ? h('ul', {}, r.problems.map((e) => h('li', {}, faultText(e, body.barcodes)))) : null);
      returnBox.querySelector('textarea').value = '';
    } catch (err) {
      result.className = 'desk-result desk-result-refused';
      replace(result, h('p', {}, errorText(err)));
    }
    await showList();
  };

  async function showList() {
    if (!state.grade) return replace(listArea);
    try {
      const query = { grade: state.grade };
      if (state.bookId) query.book_id = state.bookId;
      state.list = await api.get('/class-sets', query);
    } catch (err) {
      state.list = null;
      return replace(listArea, notice('error', errorText(err)));
    }
    const l = state.list;
    const print = `${API_BASE}/class-sets/print?${new URLSearchParams({ grade: state.grade, ...(state.bookId ? { book_id: state.bookId } : {}), lang: getLang() })}`;
    replace(listArea,
      h('h2', {}, t('classset.list_title', { grade: l.grade })),
      h('p', { 'data-testid': 'classset-counts' }, t('classset.counts', { students: l.students, out: l.out, returned: l.returned, none: l.none })),
      table({
        columns: [
          { label: t('classset.col.number'), render: (x) => String(x.number) },
          { label: t('classset.col.name'), render: (x) => x.name },
          { label: t('classset.col.card'), render: (x) => x.card_number },
          { label: t('classset.col.title'), render: (x) => x.title },
          { label: t('classset.col.barcode'), render: (x) => x.barcode || '—' },
          { label: t('classset.col.state'), render: (x) => badge(t(`classset.state.${x.state}`), x.state === 'out' ? 'warn' : x.state === 'returned' ? 'ok' : 'neutral') },
        ],
        rows: l.lines,
        empty: t('classset.empty'),
        testid: 'classset-table',
      }),
      l.lines.length ? h('p', {}, h('a', { href: print, target: '_blank', rel: 'noopener', 'data-testid': 'classset-print' }, t('classset.print'))) : null);
  }

  replace(root, heading(t('classset.title')), deskTabs(),
    h('p', { class: 'hint' }, t('classset.intro')),
    chooser, titleChoice,
    h('section', { class: 'panel' }, h('h2', {}, t('classset.lend_title')), scanBox,
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'primary', 'data-testid': 'classset-lend', onClick: () => lend(false) }, t('classset.lend')),
        h('button', { type: 'button', 'data-testid': 'classset-assign', onClick: () => lend(true) }, t('classset.assign')))),
    result,
    h('section', { class: 'panel' }, h('h2', {}, t('classset.return_title')), returnBox,
      h('div', { class: 'actions' }, h('button', { type: 'button', 'data-testid': 'classset-return', onClick: giveBack }, t('classset.return')))),
    listArea);
  await showList();
}
