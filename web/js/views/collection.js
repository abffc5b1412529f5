// Koleksi (staff): add, edit and delete books; add copies; mark copies lost or withdrawn.
import { api, ApiError } from '../api.js';
import { h, replace } from '../dom.js';
import { t, errorText } from '../i18n.js';
import { formatLanguage, formatMoney } from '../format.js';
import { field, onSubmit, orNull, intOrNull, splitList } from '../forms.js';
import { heading, table, pager, statusBadge, availabilityBadge, errorNotice, loading, section, confirmDialog, promptDialog, flash, searchForm, notice } from '../ui.js';
import { lookupPanel } from './copycat.js';
import { bookCover } from './catalog.js';
import { openPdf } from './print.js';

export async function renderList(root, ctx) {
  const results = h('div', { 'aria-live': 'polite' });
  const { form, input } = searchForm({
    id: 'collection-q', label: t('catalog.search_label'), value: ctx.query.q || '', testid: 'collection-search',
    onSearch: (q) => load(q, 1),
  });
  replace(root, heading(t('collection.title'), h('a', { href: '#/koleksi/baru', class: 'button primary', 'data-testid': 'book-new' }, t('collection.new'))), form, results);
  input.focus();

  async function load(q, page) {
    ctx.replaceQuery({ q, page });
    results.replaceChildren(loading());
    try {
      const list = await api.get('/books', { q, page, per_page: 20 });
      replace(results,
        table({
          testid: 'collection-table', caption: t('collection.title'), rows: list.items, empty: t('catalog.none'),
          columns: [
            { label: t('book.title'), render: (b) => h('a', { href: `#/koleksi/${b.id}` }, b.title) },
            { label: t('book.authors'), render: (b) => b.authors.join(', ') },
            { label: t('book.year'), render: (b) => (b.year ?? '—') },
            { label: t('book.isbn'), render: (b) => (b.isbn ? h('code', {}, b.isbn) : '—') },
            { label: t('book.copies'), render: availabilityBadge },
          ],
        }),
        pager(list, (p) => load(q, p)));
    } catch (err) {
      replace(results, errorNotice(err));
    }
  }
  await load(ctx.query.q || '', Number(ctx.query.page) || 1);
}

/** The collection types (staff may read them); none when they cannot be read. */
async function collectionTypes() {
  try { return (await api.get('/collection-types')).items; } catch { return []; }
}

function bookForm(book = {}, types = []) {
  return h('form', { class: 'form-grid', 'data-testid': 'book-form' },
    field({ name: 'title', label: t('book.title'), required: true, value: book.title, wide: true }),
    field({ name: 'authors', label: t('book.authors'), required: true, value: (book.authors || []).join(', '), hint: t('collection.comma_hint'), wide: true }),
    field({ name: 'isbn', label: t('book.isbn'), value: book.isbn, hint: t('collection.isbn_hint'), attrs: { inputmode: 'numeric', autocomplete: 'off' } }),
    field({ name: 'year', label: t('book.year'), type: 'number', value: book.year, attrs: { min: 1000, max: 2100 } }),
    field({ name: 'subjects', label: t('book.subjects'), value: (book.subjects || []).join(', '), hint: t('collection.comma_hint') }),
    field({ name: 'publisher', label: t('book.publisher'), value: book.publisher }),
    field({ name: 'language', label: t('book.language'), value: book.language ?? 'id', hint: t('collection.language_hint'), attrs: { maxlength: 8 } }),
    field({ name: 'classification', label: t('book.classification'), value: book.classification, hint: t('book.classification_hint'), testid: 'book-classification' }),
    field({ name: 'call_number', label: t('book.call_number'), value: book.call_number, hint: t('book.call_number_hint'), testid: 'book-call-number' }),
    field({ name: 'collection_type', label: t('book.collection_type'), type: 'select', value: book.collection_type ?? '', testid: 'book-collection-type',
      hint: t('book.collection_type_hint'), options: [{ value: '', label: '—' }, ...types.map((x) => ({ value: x.code, label: x.name }))] }),
    h('div', { class: 'actions field-wide' }, h('button', { type: 'submit', class: 'primary', 'data-testid': 'book-save' }, t('common.save'))));
}

function bookBody(v) {
  return {
    isbn: orNull(v.isbn),
    title: v.title,
    authors: splitList(v.authors),
    subjects: splitList(v.subjects),
    publisher: orNull(v.publisher),
    year: intOrNull(v.year),
    language: orNull(v.language),
    classification: orNull(v.classification),
    call_number: orNull(v.call_number),
    collection_type: orNull(v.collection_type),
  };
}

export async function renderCreate(root, ctx) {
  const form = bookForm({}, await collectionTypes());
  // A record chosen from another catalogue: what the form does not show (edition, collation,
  // series, notes) is saved with it.
  let extra = {};
  const amount = h('div', { class: 'form-grid field-wide' },
    field({ name: 'copies', label: t('copycat.copies'), type: 'number', value: 1, testid: 'book-copies', hint: t('copycat.copies_hint'), attrs: { min: 0, max: 200 } }),
    field({ name: 'location', label: t('copy.location'), testid: 'book-location', hint: t('collection.location_hint') }));
  form.querySelector('.actions').before(amount);
  const done = h('div', { 'aria-live': 'polite', 'data-testid': 'book-created' });
  const fill = (r, source) => {
    const set = (name, value) => { const el = form.elements[name]; if (el) el.value = value ?? ''; };
    set('title', r.title);
    set('authors', (r.authors || []).join(', '));
    set('isbn', r.isbn);
    set('year', r.year);
    set('subjects', (r.subjects || []).join(', '));
    set('publisher', r.publisher);
    if (r.language) set('language', r.language);
    set('classification', r.classification);
    set('call_number', r.call_number);
    extra = Object.fromEntries(['edition', 'collation', 'series', 'notes'].filter((k) => r[k]).map((k) => [k, r[k]]));
    flash(t('copycat.filled', { source: source.name }));
    form.elements.title.focus();
  };
  const lookup = lookupPanel({ onChoose: fill });
  onSubmit(form, async (v) => {
    const count = v.copies === '' ? 0 : Number(v.copies);
    if (!Number.isInteger(count) || count < 0 || count > 200) {
      throw new ApiError(422, { errors: [{ field: 'copies', code: 'out_of_range', message: t('copycat.copies_hint') }] });
    }
    const { copies: _c, location: _l, ...fields } = v;
    const body = { ...extra, ...Object.fromEntries(Object.entries(bookBody(fields)).filter(([, x]) => x !== null)) };
    const book = await api.post('/books', body);
    if (count === 0) {
      // No copies made here: their barcodes are typed on the book's page (labels already stuck on).
      flash(t('collection.created', { title: book.title }));
      ctx.navigate(`#/koleksi/${book.id}`);
      return;
    }
    const barcodes = [];
    for (let i = 0; i < count; i += 1) {
      const copy = await api.post(`/books/${book.id}/copies`, v.location ? { location: v.location } : {});
      barcodes.push(copy.barcode);
    }
    flash(t('copycat.saved', { title: book.title, count: barcodes.length }));
    extra = {};
    const out = h('div', {});
    replace(done, notice('ok',
      t('copycat.saved', { title: book.title, count: barcodes.length }), ' ',
      h('a', { href: `#/koleksi/${book.id}`, 'data-testid': 'book-created-link' }, t('copycat.open_book')), ' ',
      barcodes.length ? h('button', { type: 'button', class: 'secondary small', 'data-testid': 'book-labels',
        onClick: async () => {
          try { await openPdf('/print/labels', { barcodes, kind: 'both', sheet: 'a4-3x8' }, out); } catch (err) { flash(errorText(err), 'error'); }
        } }, t('copycat.print_labels')) : null,
      h('span', { 'data-testid': 'book-barcodes' }, barcodes.length ? ` ${barcodes.join(', ')}` : '')), out);
    // The form as it opens, for the next book.
    for (const el of form.elements) if (el.name) el.value = '';
    form.elements.language.value = 'id';
    form.elements.copies.value = '1';
    lookup.clear();
  }, { conflictField: 'isbn' });
  replace(root, h('p', { class: 'back' }, h('a', { href: '#/koleksi' }, `← ${t('collection.title')}`)), heading(t('collection.new')),
    section(t('copycat.title'), lookup.element), done, section(t('copycat.by_hand'), form));
  lookup.input.focus();
}

export async function renderDetail(root, ctx) {
  const id = encodeURIComponent(ctx.params.id);
  root.append(h('p', { class: 'back' }, h('a', { href: '#/koleksi' }, `← ${t('collection.title')}`)), loading());
  let book; let copies; let types;
  try {
    [book, { items: copies }, types] = await Promise.all([api.get(`/books/${id}`), api.get(`/books/${id}/copies`), collectionTypes()]);
  } catch (err) {
    root.lastChild.replaceWith(errorNotice(err));
    return;
  }
  root.lastChild.remove();
  const again = () => ctx.navigate(location.hash);
  const act = async (fn, done) => {
    try { await fn(); flash(done); again(); } catch (err) { flash(errorText(err), 'error'); }
  };

  const editForm = bookForm(book, types);
  const typeName = (code) => (types.find((x) => x.code === code) || { name: code }).name;
  // A copy's own type (overriding the book's), chosen in its row.
  const copyType = (c) => {
    const select = h('select', { 'aria-label': `${t('book.collection_type')} ${c.barcode}`, 'data-testid': `copy-type-${c.barcode}`,
      onChange: () => act(() => api.patch(`/copies/${encodeURIComponent(c.barcode)}`, { collection_type: orNull(select.value) }), t('common.saved')) },
    h('option', { value: '', selected: !c.collection_type_override },
      book.collection_type ? t('copy.type_of_book', { type: typeName(book.collection_type) }) : '—'),
    types.map((x) => h('option', { value: x.code, selected: c.collection_type_override === x.code }, x.name)));
    return select;
  };
  onSubmit(editForm, async (v) => {
    const body = bookBody(v);
    // Imports keep their call numbers and classes as they are: send them only when changed.
    for (const k of ['classification', 'call_number']) if ((v[k] || '') === (book[k] || '')) delete body[k];
    await api.patch(`/books/${book.id}`, body);
    flash(t('common.saved'));
    again();
  }, { conflictField: 'isbn' });

  const copyForm = h('form', { class: 'inline-form', 'data-testid': 'copy-form' },
    field({ name: 'barcode', label: t('copy.barcode'), testid: 'copy-barcode', hint: t('copy.barcode_auto_hint'), attrs: { autocomplete: 'off' } }),
    field({ name: 'location', label: t('copy.location'), testid: 'copy-location', hint: t('collection.location_hint') }),
    field({ name: 'price', label: t('copy.price'), type: 'number', testid: 'copy-price', hint: t('copy.price_hint'), attrs: { min: 0, max: 10000000, step: 1 } }),
    h('button', { type: 'submit', class: 'primary' }, t('collection.add_copy')));
  onSubmit(copyForm, async (v) => {
    const body = {};
    if (v.barcode) body.barcode = v.barcode;
    if (v.location) body.location = v.location;
    if (v.price !== '' && v.price != null) body.price = Number(v.price);
    const copy = await api.post(`/books/${book.id}/copies`, body);
    flash(t('collection.copy_added', { barcode: copy.barcode }));
    again();
  }, { conflictField: 'barcode' });

  const setStatus = (c, status) => act(() => api.patch(`/copies/${encodeURIComponent(c.barcode)}`, { status }), t('common.saved'));
  const copyActions = (c) => {
    const movable = c.status !== 'on_loan' && c.status !== 'on_hold_shelf';
    return h('div', { class: 'row-actions' },
      h('button', { type: 'button', class: 'secondary small',
        onClick: async () => {
          const location = await promptDialog({ label: t('copy.location'), required: false, message: c.barcode });
          if (location !== null) act(() => api.patch(`/copies/${encodeURIComponent(c.barcode)}`, { location: orNull(location) }), t('common.saved'));
        } }, t('collection.move')),
      h('button', { type: 'button', class: 'secondary small', 'data-testid': 'copy-set-price',
        onClick: async () => {
          const price = await promptDialog({ label: t('copy.price'), required: false, message: `${c.barcode} · ${t('copy.price_hint')}` });
          if (price === null) return;
          const value = price.trim() === '' ? null : Number(price.replace(/[.\s]/g, ''));
          if (Number.isNaN(value)) { flash(t('field.out_of_range'), 'error'); return; }
          act(() => api.patch(`/copies/${encodeURIComponent(c.barcode)}`, { price: value }), t('common.saved'));
        } }, t('copy.set_price')),
      movable && c.status !== 'lost' && h('button', { type: 'button', class: 'secondary small', onClick: () => setStatus(c, 'lost') }, t('collection.mark_lost')),
      movable && c.status !== 'withdrawn' && h('button', { type: 'button', class: 'secondary small', onClick: () => setStatus(c, 'withdrawn') }, t('collection.withdraw')),
      movable && c.status !== 'available' && h('button', { type: 'button', class: 'secondary small', onClick: () => setStatus(c, 'available') }, t('collection.restore')),
      movable && h('button', { type: 'button', class: 'danger small',
        onClick: async () => {
          if (await confirmDialog(t('collection.delete_copy_confirm', { barcode: c.barcode }), { danger: true, confirmLabel: t('common.delete') })) act(() => api.del(`/copies/${encodeURIComponent(c.barcode)}`), t('common.deleted'));
        } }, t('common.delete')));
  };

  root.append(
    heading(book.title, availabilityBadge(book)),
    bookCover(book),
    h('p', { class: 'book-authors' }, book.authors.join(', '), book.language ? ` · ${formatLanguage(book.language)}` : ''),
    h('div', { class: 'actions' },
      h('a', { class: 'button secondary', href: `#/buku/${book.id}` }, t('collection.view_in_catalog')),
      h('button', { type: 'button', class: 'danger', 'data-testid': 'book-delete',
        onClick: async () => {
          if (!(await confirmDialog(t('collection.delete_confirm', { title: book.title }), { danger: true, confirmLabel: t('common.delete') }))) return;
          try { await api.del(`/books/${book.id}`); flash(t('common.deleted')); ctx.navigate('#/koleksi'); } catch (err) { flash(errorText(err), 'error'); }
        } }, t('collection.delete'))),
    section(t('book.copies'),
      table({
        testid: 'copies-table', caption: t('book.copies'), rows: copies, empty: t('book.no_copies'),
        columns: [
          { label: t('copy.barcode'), render: (c) => h('code', {}, c.barcode) },
          { label: t('copy.location'), render: (c) => c.location || '—' },
          { label: t('copy.status'), render: (c) => statusBadge('copy', c.status) },
          { label: t('copy.price'), render: (c) => (c.price == null ? '—' : formatMoney(c.price)), class: 'num' },
          { label: t('book.collection_type'), render: copyType },
          { label: t('common.actions'), render: copyActions },
        ],
      }),
      h('h3', {}, t('collection.add_copy')), copyForm),
    section(t('collection.edit'), editForm));
}
