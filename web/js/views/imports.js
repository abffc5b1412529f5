// Import (admin): choose a file → a dry run shows what would be stored (counts, the first rows as
// they will be stored, every row that cannot come in and why) → confirm → the report.
// Both runs are background jobs on the server (POST answers 202 with the job): the page follows
// the job every second with a progress bar, then shows its report. Opening the tab again finds
// a running job (and follows it) or the last one (its report one click away).
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { t, errorText, errorWithFields, getLang } from '../i18n.js';
import { field } from '../forms.js';
import { formatDateTime } from '../format.js';
import { table, section, notice, loading } from '../ui.js';
import { can } from '../session.js';
import { getCategories } from '../categories.js';

const KINDS = ['books', 'members', 'marc'];
/** How often a running job is asked about. */
const POLL_MS = 1000;

/** The admin's Import tab. */
export async function importTab(body) {
  const result = h('div', { 'data-testid': 'import-result' });
  // The default category is chosen from the library's categories (a typed code could name none);
  // an account that may not read them types it, and a wrong one is the API's 422 on the field.
  const categories = await getCategories().catch(() => null);
  const defaultCategory = categories
    ? field({ name: 'default_category', label: t('import.default_category'), type: 'select', value: '',
      options: [{ value: '', label: t('import.no_default_category') }, ...categories.map((c) => ({ value: c.code, label: `${c.name} (${c.code})` }))] })
    : field({ name: 'default_category', label: t('import.default_category') });
  const form = h('form', { class: 'form-grid', 'data-testid': 'import-form' },
    field({ name: 'what', label: t('import.what'), type: 'select', value: 'books',
      options: KINDS.map((k) => ({ value: k, label: t(`import.kind.${k}`) })) }),
    h('label', { class: 'field field-wide' }, h('span', {}, t('import.file')),
      h('input', { type: 'file', name: 'file', required: true, accept: '.csv,.tsv,.txt,.xlsx,.mrc,.xml' })),
    field({ name: 'categories', label: t('import.categories'), hint: t('import.categories_hint') }),
    defaultCategory,
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
    // A spreadsheet's columns are shown first, to be checked (or chosen) before the dry run; a
    // MARC file's fields are its tags.
    if (query.what === 'marc') await run(result, file, query, true);
    else await mapping(result, file, query);
  });
  const parts = [section(t('import.title'), h('p', { class: 'hint' }, t('import.intro')), form), result, callNumbersSection()];
  if (can('exports')) parts.push(exportsSection());
  replace(body, ...parts);
  await latest(result);
}

/** Books still without a call number (imported, or catalogued before) get the suggested one. */
/**
 * Ekspor: the catalogue, copies, members and loans as CSV or XLSX downloads (GET /export/{what},
 * streamed). The books and copies files are what the import above reads back.
 */
function exportsSection() {
  const kinds = ['books', 'copies', 'members', 'loans'];
  return section(t('export.title'),
    h('p', { class: 'hint' }, t('export.intro')),
    h('ul', { class: 'export-list', 'data-testid': 'exports' }, kinds.map((k) => h('li', {},
      h('span', { class: 'strong' }, t(`export.kind.${k}`)), ' ',
      ['csv', 'xlsx'].map((f) => h('a', {
        href: `/api/v1/export/${k}?format=${f}`, download: '', class: 'button secondary small',
        'data-testid': `export-${k}-${f}`,
      }, f.toUpperCase()))))));
}

function callNumbersSection() {
  const said = h('p', { 'aria-live': 'polite', 'data-testid': 'call-numbers-result' });
  const button = h('button', { type: 'button', class: 'secondary', 'data-testid': 'call-numbers-fill',
    onClick: async () => {
      button.disabled = true;
      try {
        const r = await api.post('/books/call-numbers', {});
        said.textContent = t('callnumbers.filled', { n: r.filled });
      } catch (err) {
        said.textContent = errorText(err);
      } finally {
        button.disabled = false;
      }
    } }, t('callnumbers.fill'));
  return section(t('callnumbers.title'), h('p', { class: 'hint' }, t('callnumbers.hint')), h('div', { class: 'actions' }, button), said);
}

/**
 * The mapping step: each column of the file (under its header, found below any title rows) with
 * a few of its values and the Pustaka field it was matched to, changeable or left out; then the
 * dry run and the import read the file with the librarian's choice (the `columns` parameter).
 */
async function mapping(box, file, query) {
  box.dataset.following = 'mapping';
  replace(box, loading());
  let seen;
  try {
    seen = await api.upload(`/import/${query.what}/columns`, file, {});
  } catch (err) {
    replace(box, notice('error', errorWithFields(err)));
    return;
  }
  const label = (f) => t(`import.f.${f}`, {}, f);
  const selects = seen.columns.map((c) => h('select', { 'data-testid': 'map-field', 'data-header': c.header, 'aria-label': c.header },
    h('option', { value: '', selected: !c.field }, t('import.map.ignore')),
    seen.fields.map((f) => h('option', { value: f, selected: c.field === f }, label(f)))));
  const rows = seen.columns.map((c, i) => h('tr', { 'data-testid': 'map-row' },
    h('td', {}, h('strong', {}, c.header)),
    h('td', { class: 'hint' }, c.samples.join(' · ') || '—'),
    h('td', {}, selects[i])));
  const chosen = () => Object.fromEntries(seen.columns.map((c, i) => [c.header, selects[i].value || null]));
  const check = h('button', { type: 'button', class: 'primary', 'data-testid': 'map-check', onClick: () => {
    const columns = JSON.stringify(chosen());
    run(box, file, { ...query, columns }, true);
  } }, t('import.check'));
  const main = query.what === 'members' ? 'name' : 'title';
  const warn = h('p', { class: 'hint', 'aria-live': 'polite', 'data-testid': 'map-warning' });
  const judge = () => {
    const missing = !selects.some((x) => x.value === main);
    warn.textContent = missing ? t('import.map.missing', { field: label(main) }) : '';
    check.disabled = missing;
  };
  selects.forEach((x) => x.addEventListener('change', judge));
  judge();
  replace(box, section(t('import.map.title'),
    h('p', { class: 'hint' }, t('import.map.intro', { line: seen.header_line })),
    h('div', { class: 'table-wrap' }, h('table', { class: 'table', 'data-testid': 'import-mapping' },
      h('thead', {}, h('tr', {}, h('th', {}, t('import.map.column')), h('th', {}, t('import.map.samples')), h('th', {}, t('import.map.field')))),
      h('tbody', {}, rows))),
    warn,
    h('div', { class: 'actions' }, check)));
}

/** The latest job, found again: a running one is followed; a finished one offers its report. */
async function latest(box, before = []) {
  let jobs;
  try {
    jobs = await api.get('/import/jobs');
  } catch {
    return;
  }
  // Opening the tab: a run the librarian started meanwhile goes first.
  if (!before.length && box.dataset.following) return;
  const job = jobs.find((j) => j.status === 'running') || jobs[0];
  if (!job) return;
  if (job.status === 'running') {
    await follow(box, job.id, null, before);
    return;
  }
  const show = h('button', { type: 'button', 'data-testid': 'import-last-report', onClick: () => follow(box, job.id, null) },
    t('import.last_report'));
  replace(box, ...before, h('p', { class: 'hint', 'data-testid': 'import-last' },
    t('import.last', { what: t(`import.kind.${job.what}`), at: formatDateTime(job.started_at), status: t(`import.status.${job.status}`) }),
    ' ', show));
}

async function run(box, file, { what, ...query }, dryRun) {
  box.dataset.following = 'run';
  replace(box, loading());
  let job;
  try {
    job = await api.upload(`/import/${what}`, file, { ...query, dry_run: dryRun, lang: getLang() });
  } catch (err) {
    // A file refused whole says why (too big: what, and the limit), in the page's language.
    const said = notice('error', errorWithFields(err));
    replace(box, said);
    // Another import is running: follow it here.
    if (err.code === 'import_running') await latest(box, [said]);
    return;
  }
  await follow(box, job.id, dryRun ? () => run(box, file, { what, ...query }, false) : null);
}

/**
 * Follows job `id` until it ends, with a progress bar; then its report, with the confirm button
 * (`confirm`) after a dry run of a file still at hand. Stops when the view is left.
 */
async function follow(box, id, confirm, before = []) {
  // One job followed per view: a newer run (or leaving the view) ends this loop.
  box.dataset.following = String(id);
  const gone = () => !box.isConnected || box.dataset.following !== String(id);
  let misses = 0;
  for (;;) {
    let job;
    try {
      job = await api.get(`/import/jobs/${id}`);
      misses = 0;
    } catch (err) {
      // A blip between the page and the server (a replica restarting): keep asking a while.
      misses += 1;
      if (gone()) return;
      if (misses > 30) {
        replace(box, ...before, notice('error', errorText(err)));
        return;
      }
      await sleep(POLL_MS);
      continue;
    }
    if (gone()) return;
    if (job.status === 'running') {
      replace(box, ...before, progressView(job));
      await sleep(POLL_MS);
      continue;
    }
    if (job.status === 'done') {
      // "Impor sekarang" only when the import would store something: a file whose every row is
      // already there (or refused) says so instead.
      const again = confirm && job.dry_run
        ? (wouldChange(job.report)
          ? h('button', { type: 'button', class: 'primary', 'data-testid': 'import-confirm', onClick: confirm }, t('import.confirm'))
          : h('p', { class: 'hint', 'data-testid': 'import-nothing' }, t('import.nothing_to_do')))
        : null;
      replace(box, ...before, reportView(job.report, again));
    } else {
      const why = job.status === 'failed' ? t('import.failed', { error: job.error || '' }) : t('import.interrupted');
      replace(box, ...before, h('div', { 'data-testid': 'import-ended' }, notice('error', why), progressCounts(job)));
    }
    return;
  }
}

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/** Whether a dry run's report would store anything: a record, copy, number, type, or a change of class or birth date. */
function wouldChange(r) {
  return ['books_created', 'copies_created', 'members_created', 'members_regraded', 'members_corrected', 'numbers_created',
    'collection_types_created'].some((k) => (r[k] || 0) > 0);
}

/** "1.200 dari 100.000 (1%)" */
function progressCounts(job) {
  if (!job.total) return null;
  const pct = Math.floor((job.done * 100) / job.total);
  const n = (x) => x.toLocaleString('id-ID');
  return h('p', { class: 'import-count' }, t('import.progress_of', { done: n(job.done), total: n(job.total), pct }));
}

function progressView(job) {
  const stage = t(`import.stage.${job.stage}${job.dry_run && job.stage === 'importing' ? '_dry' : ''}`, {}, job.stage || '');
  // No value: the bar moves without a figure while the file is read.
  const bar = h('progress', { max: job.total || 1, value: job.total ? job.done : null, 'aria-label': stage });
  return h('div', { class: 'import-progress', 'data-testid': 'import-progress', role: 'status' },
    h('p', {}, h('strong', {}, job.dry_run ? t('import.running_dry') : t('import.running')), ' ', stage),
    bar,
    progressCounts(job),
    h('p', { class: 'hint' }, t('import.running_hint')));
}

function reportView(r, confirm) {
  const counts = [
    ['books', r.books_created, r.books_existing], ['copies', r.copies_created, r.copies_existing],
    ['members', r.members_created, r.members_existing],
  ]
    // Books come with their copies: a books import without any says so.
    .filter(([k, a, b]) => a + b > 0 || (k === 'copies' && r.books_created + r.books_existing > 0))
    .map(([k, a, b]) => h('li', {}, t(`import.count.${k}`, { created: a, existing: b })));
  if (r.header_line > 1) counts.unshift(h('li', { 'data-testid': 'import-header-line' }, t('import.count.header_line', { line: r.header_line })));
  if (r.rows_skipped) counts.push(h('li', {}, t('import.count.skipped', { count: r.rows_skipped })));
  if (r.numbers_created) counts.push(h('li', {}, t('import.count.numbers', { count: r.numbers_created })));
  if (r.members_corrected) counts.push(h('li', {}, t('import.count.corrected', { count: r.members_corrected })));
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
    (r.new_cards || []).length ? newCardsView(r) : null,
    section(t('import.errors', { n: r.errors.length + (r.errors_omitted || 0) }), rowErrors(r.errors),
      // A job's report keeps the first 1,000 errors; the rest are counted.
      r.errors_omitted ? h('p', { class: 'hint', 'data-testid': 'import-errors-omitted' },
        t('import.errors_omitted', { shown: r.errors.length, omitted: r.errors_omitted })) : null),
    confirm ? h('div', { class: 'actions' }, confirm) : null);
}

/** Members whose number in the file was not a Pustaka card number, each with the card they get
 * (a dry run shows the cards the import will issue), and the list as a CSV made in the page. */
function newCardsView(r) {
  const header = [t('import.col.old_number'), t('import.col.new_card')];
  const rows = r.new_cards.map(([old, card]) => ({ old, card }));
  const link = h('a', { href: '#', 'data-testid': 'import-new-cards-csv' }, t('import.new_cards_csv'));
  link.addEventListener('click', (e) => {
    e.preventDefault();
    const blob = new Blob([newCardsCsv(header, r.new_cards)], { type: 'text/csv;charset=utf-8' });
    const url = URL.createObjectURL(blob);
    const a = h('a', { href: url, download: `kartu-baru${r.dry_run ? '-uji-coba' : ''}.csv` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  });
  return section(t('import.new_cards', { n: rows.length }),
    h('p', { class: 'hint' }, r.dry_run ? t('import.new_cards_hint_dry') : t('import.new_cards_hint')),
    h('p', {}, link),
    table({
      testid: 'import-new-cards',
      columns: [{ label: header[0], render: (x) => x.old }, { label: header[1], render: (x) => x.card }],
      rows,
    }));
}

/** UTF-8 with a byte-order mark (so Excel reads it as UTF-8) and `;` between fields: Excel set to
 * Indonesian (where `,` is the decimal mark) splits a CSV on `;`, so the file opens as two
 * columns there; `pustaka import` reads either separator. A field with a separator, a quote or a
 * line break is quoted; one that a spreadsheet would run as a formula gets a leading `'`. */
function newCardsCsv(header, pairs) {
  const cell = (v) => {
    let s = String(v ?? '');
    if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
    return /[;,"\r\n\t]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [header, ...pairs].map((row) => row.map(cell).join(';'));
  return `\ufeff${lines.join('\r\n')}\r\n`;
}
