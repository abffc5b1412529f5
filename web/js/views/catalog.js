// Katalog (public): search the catalogue, open a book, see its copies, place a hold.
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { t, errorText } from '../i18n.js';
import { formatLanguage } from '../format.js';
import { isMember, isStaff } from '../session.js';
import { heading, pager, table, notice, errorNotice, loading, availabilityBadge, statusBadge, facts, section, searchForm } from '../ui.js';
import { field, onSubmit } from '../forms.js';

const PER_PAGE = 20;
let lastSearchHash = '#/katalog';

/** The filters a search may carry in its link (`#/katalog?q=…&ddc=8&available=1`), each also a facet. */
const FILTERS = ['collection_type', 'ddc', 'year', 'language', 'available'];
const SORTS = ['relevance', 'newest', 'title', 'year'];

function appTitle() { return `Pustaka — ${t('app.tagline')}`; }

export async function renderSearch(root, ctx) {
  document.title = appTitle();
  const state = { q: ctx.query.q || '', sort: SORTS.includes(ctx.query.sort) ? ctx.query.sort : '', page: Number(ctx.query.page) || 1 };
  for (const f of FILTERS) state[f] = ctx.query[f] || '';
  const results = h('div', { class: 'catalog-results', 'data-testid': 'catalog-results', 'aria-live': 'polite' });
  const front = h('div', { class: 'catalog-front' });
  const { form, input } = searchForm({
    id: 'catalog-q', label: t('catalog.search_label'), value: state.q, testid: 'catalog-search',
    hint: t('catalog.search_hint'), onSearch: (q) => { state.q = q; state.page = 1; load(); },
  });
  replace(root, heading(t('catalog.title')), form, front, results);
  input.focus();

  const filtered = () => FILTERS.some((f) => state[f]);
  async function load() {
    ctx.replaceQuery({ q: state.q, sort: state.sort, ...Object.fromEntries(FILTERS.map((f) => [f, state[f]])), page: state.page });
    lastSearchHash = location.hash;
    results.replaceChildren(loading());
    const onFront = !state.q && !filtered() && state.page === 1;
    if (onFront && !front.firstChild) loadFront(front);
    if (!onFront) front.replaceChildren();
    try {
      const params = { q: state.q, sort: state.sort, page: state.page, per_page: PER_PAGE };
      for (const f of FILTERS) if (state[f]) params[f] = f === 'available' ? 'true' : state[f];
      const list = await api.get('/books/search', params);
      if (!ctx.isCurrent()) return;
      let count;
      if (state.q) count = t(list.total_capped ? 'catalog.found_many' : 'catalog.found', { total: list.total, q: state.q });
      else if (filtered()) count = t('catalog.found_filtered', { total: list.total });
      else count = t(list.total_capped ? 'catalog.newest_many' : 'catalog.newest', { total: list.total });
      replace(results,
        h('div', { class: 'result-head' },
          h('p', { class: 'result-count', 'data-testid': 'result-count' }, count),
          sortSelect()),
        facetsPanel(list.facets),
        list.items.length
          ? h('ul', { class: 'book-list' }, list.items.map(bookItem))
          : h('p', { class: 'empty' }, t('catalog.none')),
        pager(list, (p) => { state.page = p; load(); input.focus(); }));
      window.dispatchEvent(new CustomEvent('pustaka:results'));
    } catch (err) {
      replace(results, errorNotice(err));
    }
  }

  function sortSelect() {
    const select = h('select', { id: 'catalog-sort', 'data-testid': 'catalog-sort' },
      SORTS.map((v) => h('option', { value: v === 'relevance' ? '' : v, selected: (state.sort || '') === (v === 'relevance' ? '' : v) }, t(`catalog.sort_${v}`))));
    select.addEventListener('change', () => { state.sort = select.value; state.page = 1; load(); });
    return h('div', { class: 'sort-box' }, h('label', { for: 'catalog-sort' }, t('catalog.sort')), select);
  }

  function facetsPanel(facets) {
    const active = FILTERS.filter((f) => state[f]).length;
    const chip = (name, value, label, count) => {
      const on = String(state[name]) === String(value);
      return h('button', {
        type: 'button', class: on ? 'chip chip-on' : 'chip', 'aria-pressed': on ? 'true' : 'false', 'data-testid': `facet-${name}-${value}`,
        onClick: () => { state[name] = on ? '' : String(value); state.page = 1; load(); },
      }, label, ' ', h('span', { class: 'chip-count' }, String(count)));
    };
    const group = (name, values, label) => (values.length
      ? h('div', { class: 'facet-group' }, h('h3', {}, t(`catalog.facet_${name}`)), h('div', { class: 'chips' }, values.map((v) => chip(name, v.value, label(v), v.count))))
      : null);
    return h('details', { class: 'facets', 'data-testid': 'facets', open: active ? true : null },
      h('summary', {}, active ? t('catalog.filters_active', { n: active }) : t('catalog.filters')),
      h('div', { class: 'facet-group' }, h('div', { class: 'chips' }, chip('available', '1', t('catalog.available_now'), facets.available))),
      group('collection_type', facets.collection_type, (v) => v.label || v.value),
      group('ddc', facets.ddc, (v) => `${v.value}00 ${t(`ddc.${v.value}`)}`),
      group('year', facets.year, (v) => v.value),
      group('language', facets.language, (v) => formatLanguage(v.value)));
  }

  await load();
}

/** The catalogue's front: the books lent most this month (public). */
async function loadFront(front) {
  try {
    const popular = await api.get('/books/popular', { limit: 6 });
    if (!popular.items.length) return;
    replace(front, h('section', { class: 'popular', 'data-testid': 'popular' },
      h('h2', {}, t('catalog.popular')),
      h('ol', { class: 'popular-list' }, popular.items.map((p) => h('li', {},
        h('a', { href: `#/buku/${p.book.id}` }, p.book.title), ' ',
        h('span', { class: 'hint' }, t('catalog.loans_n', { n: p.loans })))))));
  } catch { /* the list is a nicety: the search stays */ }
}

function bookItem(book) {
  const thumb = h('img', { class: 'cover-thumb', src: `/api/v1/books/${book.id}/cover`, alt: '', width: 48, height: 68, loading: 'lazy', decoding: 'async' });
  thumb.addEventListener('error', () => thumb.classList.add('cover-none'));
  return h('li', { class: 'book', 'data-testid': 'catalog-item' },
    h('div', { class: 'book-thumb' }, thumb),
    h('div', { class: 'book-main' },
      h('a', { class: 'book-title', href: `#/buku/${book.id}` }, book.title),
      h('p', { class: 'book-authors' }, book.authors.join(', ')),
      h('p', { class: 'book-meta' },
        [book.call_number, book.year, book.publisher, book.isbn && `ISBN ${book.isbn}`].filter(Boolean).join(' · '))),
    h('div', { class: 'book-avail' }, availabilityBadge(book)));
}

/** The book's cover (its own, or the one found for its ISBN), when it has one; nothing otherwise. */
export function bookCover(book) {
  const img = h('img', { class: 'cover book-cover', src: `/api/v1/books/${book.id}/cover`, alt: t('copycat.cover'), loading: 'lazy', 'data-testid': 'book-cover' });
  img.addEventListener('error', () => img.remove());
  return img;
}

export async function renderBook(root, ctx) {
  root.append(h('p', { class: 'back' }, h('a', { href: lastSearchHash }, `← ${t('catalog.back')}`)), loading());
  let book; let copies;
  try {
    [book, { items: copies }] = await Promise.all([
      api.get(`/books/${encodeURIComponent(ctx.params.id)}`),
      api.get(`/books/${encodeURIComponent(ctx.params.id)}/copies`),
    ]);
  } catch (err) {
    root.lastChild.replaceWith(errorNotice(err));
    return;
  }
  if (!ctx.isCurrent()) return;
  document.title = `${book.title} — Pustaka`;
  root.lastChild.remove();
  const holdArea = h('div', { class: 'hold-area' });
  root.append(
    h('article', { class: 'book-detail', 'data-testid': 'book-detail' },
      heading(book.title, availabilityBadge(book)),
      bookCover(book),
      facts([
        [t('book.authors'), book.authors.join(', ')],
        book.subjects.length && [t('book.subjects'), book.subjects.join(', ')],
        [t('book.publisher'), book.publisher],
        [t('book.year'), book.year],
        [t('book.language'), formatLanguage(book.language)],
        [t('book.isbn'), book.isbn],
        [t('book.call_number'), book.call_number],
      ]),
      whereToFind(copies),
      holdArea,
      section(t('book.copies'), table({
        testid: 'copies-table',
        caption: t('book.copies'),
        empty: t('book.no_copies'),
        rows: copies,
        columns: [
          { label: t('copy.barcode'), render: (c) => h('code', {}, c.barcode) },
          { label: t('copy.location'), render: (c) => c.location || '—' },
          { label: t('copy.status'), render: (c) => statusBadge('copy', c.status) },
        ],
      }))));
  renderHoldArea(holdArea, book, ctx);
}

/** Availability per location: "Rak A3: 1 dari 2 tersedia". */
function whereToFind(copies) {
  const at = new Map();
  for (const c of copies) {
    if (c.status === 'withdrawn') continue;
    const key = c.location || t('book.no_location');
    const n = at.get(key) || { available: 0, total: 0 };
    n.total += 1;
    if (c.status === 'available') n.available += 1;
    at.set(key, n);
  }
  if (!at.size) return null;
  return h('ul', { class: 'where', 'data-testid': 'availability-by-location' },
    [...at].map(([loc, n]) => h('li', {}, h('strong', {}, loc), ': ',
      availabilityBadge({ copies_available: n.available, copies_total: n.total }))));
}

function renderHoldArea(area, book, ctx) {
  const result = h('div', { class: 'hold-result', 'aria-live': 'polite' });
  const showHold = (hold) => replace(result, notice('ok', t('hold.placed', { position: hold.position ?? '—' })));
  const showError = (err) => replace(result, notice('error', errorText(err)));

  if (isMember(ctx.user)) {
    const button = h('button', { type: 'button', class: 'primary', 'data-testid': 'hold-button' }, t('hold.place'));
    button.addEventListener('click', async () => {
      button.disabled = true;
      try { showHold(await api.post('/holds', { book_id: book.id })); } catch (err) { showError(err); } finally { button.disabled = false; }
    });
    const want = h('button', { type: 'button', class: 'secondary', 'data-testid': 'reading-list-add' }, t('readinglist.add'));
    want.addEventListener('click', async () => {
      want.disabled = true;
      try {
        await api.post(`/members/${ctx.user.member_id}/reading-list`, { book_id: book.id });
        replace(result, notice('ok', t('readinglist.added')));
      } catch (err) { showError(err); } finally { want.disabled = false; }
    });
    replace(area, h('div', { class: 'actions' }, button, want, h('span', { class: 'hint' }, t('hold.explain'))), result);
  } else if (isStaff(ctx.user)) {
    const form = onSubmit(h('form', { class: 'inline-form' },
      field({ name: 'card_number', label: t('hold.for_member'), required: true, attrs: { autocomplete: 'off' } }),
      h('button', { type: 'submit', class: 'secondary' }, t('hold.place'))),
    async (v) => { showHold(await api.post('/holds', { book_id: book.id, card_number: v.card_number })); });
    replace(area, form, result, h('p', {}, h('a', { href: `#/koleksi/${book.id}` }, t('book.manage'))));
  } else {
    replace(area, h('p', { class: 'hint' },
      h('a', { href: `#/masuk?next=${encodeURIComponent(`#/buku/${book.id}`)}` }, t('hold.login_first'))));
  }
}
