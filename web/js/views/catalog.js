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

export async function renderSearch(root, ctx) {
  const results = h('div', { class: 'catalog-results', 'data-testid': 'catalog-results', 'aria-live': 'polite' });
  const { form, input } = searchForm({
    id: 'catalog-q', label: t('catalog.search_label'), value: ctx.query.q || '', testid: 'catalog-search',
    hint: t('catalog.search_hint'), onSearch: (q) => load(q, 1),
  });
  replace(root, heading(t('catalog.title')), form, results);
  input.focus();

  async function load(q, page) {
    ctx.replaceQuery({ q, page });
    lastSearchHash = location.hash;
    results.replaceChildren(loading());
    try {
      const list = await api.get('/books', { q, page, per_page: PER_PAGE });
      if (!ctx.isCurrent()) return;
      replace(results,
        h('p', { class: 'result-count' }, q ? t(list.total_capped ? 'catalog.found_many' : 'catalog.found', { total: list.total, q }) : t('catalog.newest', { total: list.total })),
        list.items.length
          ? h('ul', { class: 'book-list' }, list.items.map(bookItem))
          : h('p', { class: 'empty' }, t('catalog.none')),
        pager(list, (p) => { load(q, p); input.focus(); }));
    } catch (err) {
      replace(results, errorNotice(err));
    }
  }
  await load(ctx.query.q || '', Number(ctx.query.page) || 1);
}

function bookItem(book) {
  return h('li', { class: 'book', 'data-testid': 'catalog-item' },
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
    replace(area, h('div', { class: 'actions' }, button, h('span', { class: 'hint' }, t('hold.explain'))), result);
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
