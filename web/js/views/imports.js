// Import (admin): choose a file → a dry run shows what would be stored (counts, the first rows as
// they will be stored, every row that cannot come in and why) → confirm → the report.
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { t, errorText } from '../i18n.js';
import { field } from '../forms.js';
import { table, section, notice, loading } from '../ui.js';

const KINDS = ['books', 'members', 'marc'];

/** The admin's Import tab. */
export async function importTab(body) {
  const result = h('div', { 'data-testid': 'import-result' });
  const form = h('form', { class: 'form-grid', 'data-testid': 'import-form' },
    field({ name: 'what', label: t('import.what'), type: 'select', value: 'books',
      options: KINDS.map((k) => ({ value: k, label: t(`import.kind.${k}`) })) }),
    h('label', { class: 'field field-wide' }, h('span', {}, t('import.file')),
      h('input', { type: 'file', name: 'file', required: true, accept: '.csv,.tsv,.txt,.xlsx,.mrc,.xml' })),
    field({ name: 'categories', label: t('import.categories'), hint: t('import.categories_hint') }),
    field({ name: 'default_category', label: t('import.default_category') }),
    h('p', { class: 'hint field-wide' }, t('import.slims_hint')),
    h('div', { class: 'actions field-wide' }, h('button', { type: 'submit', class: 'primary' }, t('import.check'))));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const file = form.elements.file.files[0];
    if (!file) return;
    const query = {
      what: form.elements.what.value,
      categories: form.elements.categories.value,
      default_category: form.elements.default_category.value,
    };
    await run(result, file, query, true);
  });
  replace(body, section(t('import.title'), h('p', { class: 'hint' }, t('import.intro')), form), result);
}

async function run(box, file, { what, ...query }, dryRun) {
  replace(box, loading());
  try {
    const report = await api.upload(`/import/${what}`, file, { ...query, dry_run: dryRun });
    replace(box, reportView(report, dryRun
      ? h('button', { type: 'button', class: 'primary', 'data-testid': 'import-confirm',
        onClick: () => run(box, file, { what, ...query }, false) }, t('import.confirm'))
      : null));
  } catch (err) {
    replace(box, notice('error', errorText(err)));
  }
}

function reportView(r, confirm) {
  const counts = [
    ['books', r.books_created, r.books_existing], ['copies', r.copies_created, r.copies_existing],
    ['members', r.members_created, r.members_existing],
  ].filter(([, a, b]) => a + b > 0)
    .map(([k, a, b]) => h('li', {}, t(`import.count.${k}`, { created: a, existing: b })));
  if (r.members_regraded) counts.push(h('li', { 'data-testid': 'import-regraded' }, t('import.count.regraded', { count: r.members_regraded })));
  // ui.table takes column objects ({ label, render }) and row objects.
  const columns = (specs) => specs.map(([label, render]) => ({ label, render }));
  const rowErrors = (list) => table({
    columns: columns([[t('import.line'), (e) => e.record || String(e.line)], [t('import.field'), (e) => e.field],
      [t('import.reason'), (e) => e.reason]]),
    rows: list,
    empty: t('import.no_errors'),
    testid: 'import-errors',
  });
  return h('div', {},
    notice(r.dry_run ? 'info' : 'ok', r.dry_run ? t('import.dry_run_done', { rows: r.rows }) : t('import.done', { rows: r.rows })),
    h('ul', {}, counts),
    r.ignored_columns.length ? h('p', { class: 'hint' }, t('import.ignored', { columns: r.ignored_columns.join(', ') })) : null,
    r.preview_books.length ? section(t('import.preview'), table({
      testid: 'import-preview',
      columns: columns([[t('import.col.title'), (b) => b.title], [t('import.col.authors'), (b) => b.authors.join('; ')],
        ['ISBN', (b) => b.isbn || ''], [t('import.col.year'), (b) => String(b.year ?? '')],
        [t('import.col.call_number'), (b) => b.call_number || '']]),
      rows: r.preview_books,
    })) : null,
    r.preview_members.length ? section(t('import.preview'), table({
      testid: 'import-preview',
      columns: columns([[t('import.col.name'), (m) => m.name], [t('import.col.card'), (m) => m.card_number],
        [t('import.col.category'), (m) => m.category], [t('member.grade'), (m) => m.grade || '—']]),
      rows: r.preview_members,
    })) : null,
    section(t('import.errors', { n: r.errors.length }), rowErrors(r.errors)),
    confirm ? h('div', { class: 'actions' }, confirm) : null);
}
