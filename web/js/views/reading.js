// Gerakan Literasi Sekolah (issue #34): a class teacher's (and the librarian's) view of a term's
// reading: per class a summary against the target, per student the books borrowed, returned and
// read in the library; the school's XLSX and the most active readers' page to print. A teacher
// (role `guru`) sees only the classes given to their account; the server refuses any other.
import { api, API_BASE } from '../api.js';
import { h, replace } from '../dom.js';
import { t, getLang } from '../i18n.js';
import { formatDate } from '../format.js';
import { heading, table, badge, stat, section, errorNotice, loading, notice } from '../ui.js';
import { field } from '../forms.js';
import { can } from '../session.js';

/** The term of today, else the latest. */
function defaultTerm(terms) {
  const today = new Date().toISOString().slice(0, 10);
  return terms.find((x) => x.starts_on <= today && today <= x.ends_on) || terms[terms.length - 1];
}

export async function render(root, ctx) {
  const body = h('div', {}, loading());
  replace(root, heading(t('reading.title')), body);
  let terms;
  try {
    terms = (await api.get('/reading/targets')).items || [];
  } catch (err) {
    return replace(body, errorNotice(err));
  }
  if (!ctx.isCurrent()) return;
  if (!terms.length) return replace(body, notice('info', t('reading.no_terms')));
  const term = terms.find((x) => String(x.term_id) === ctx.query.semester) || defaultTerm(terms);
  const grade = ctx.query.kelas || '';
  const lang = getLang();

  let classes; let students;
  try {
    const q = { term: term.term_id };
    classes = await api.get('/reading/classes', q);
    if (grade) q.class = grade;
    students = await api.get('/reading/students', q);
  } catch (err) {
    return replace(body, errorNotice(err));
  }
  if (!ctx.isCurrent()) return;

  const go = (semester, kelas) => ctx.navigate(`#/literasi?${new URLSearchParams(Object.entries({ semester, kelas }).filter(([, v]) => v))}`);
  const chooser = h('form', { class: 'panel filters', 'data-testid': 'reading-form' },
    field({ name: 'term', label: t('reading.term'), type: 'select', value: term.term_id, testid: 'reading-term',
      options: terms.map((x) => ({ value: x.term_id, label: x.term_name })) }),
    field({ name: 'grade', label: t('reading.class'), type: 'select', value: grade, testid: 'reading-class',
      options: [{ value: '', label: t('reading.all_classes') }, ...classes.items.map((c) => ({ value: c.grade, label: c.grade }))] }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', 'data-testid': 'reading-show' }, t('reading.show'))));
  chooser.addEventListener('submit', (e) => {
    e.preventDefault();
    go(chooser.elements.term.value, chooser.elements.grade.value);
  });

  const target = term.books;
  const shown = grade ? students.classes : classes.items;
  const summary = h('div', { class: 'stats', 'data-testid': 'reading-summary' },
    stat(t('reading.target'), target == null ? '–' : t('reading.books', { count: target }), 'reading-target'),
    ...shown.flatMap((c) => [
      stat(t('reading.class_students', { grade: c.grade }), String(c.students), `reading-students-${c.grade}`),
      stat(t('reading.class_average', { grade: c.grade }), c.average.toLocaleString(lang === 'en' ? 'en' : 'id-ID'), `reading-average-${c.grade}`),
      stat(t('reading.class_reached', { grade: c.grade }), c.reached == null ? '–' : `${c.reached}/${c.students}`, `reading-reached-${c.grade}`),
    ]));

  const rows = table({
    testid: 'reading-table',
    caption: t('reading.students'),
    empty: t('reading.no_students'),
    columns: [
      { label: t('reading.name'), render: (s) => h('span', {}, h('strong', {}, s.name), ' ', h('span', { class: 'muted' }, s.grade || '')) },
      { label: t('reading.borrowed'), class: 'num', render: (s) => String(s.borrowed) },
      { label: t('reading.returned'), class: 'num', render: (s) => String(s.returned) },
      { label: t('reading.in_library'), class: 'num', render: (s) => String(s.in_library) },
      { label: t('reading.read'), class: 'num', render: (s) => h('strong', {}, String(s.read)) },
      { label: t('reading.reached'), render: (s) => (s.reached == null ? '–' : s.reached ? badge(t('reading.yes'), 'ok') : badge(t('reading.not_yet'), 'warn')) },
    ],
    rows: students.students,
  });

  const qs = (extra) => new URLSearchParams({ term: term.term_id, lang, ...(grade ? { class: grade } : {}), ...extra });
  const downloads = h('div', { class: 'actions no-print' },
    h('a', { class: 'button secondary', href: `${API_BASE}/reading/students?${qs({ format: 'xlsx' })}`, download: '', 'data-testid': 'reading-xlsx' }, t('reading.download_xlsx')),
    h('a', { class: 'button secondary', href: `${API_BASE}/reading/top?${qs({ format: 'pdf' })}`, 'data-testid': 'reading-top-pdf', target: '_blank' }, t('reading.top_pdf')));

  const parts = [chooser,
    h('p', { class: 'muted' }, t('reading.period', { from: formatDate(term.starts_on), to: formatDate(term.ends_on) })),
    summary, section(t('reading.students'), rows), downloads];
  if (can('reports', ctx.user)) parts.push(targetForm(term, ctx));
  replace(body, ...parts);
}

/** Staff with `reports`: the term's target. */
function targetForm(term, ctx) {
  const result = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'panel', 'data-testid': 'reading-target-form' },
    h('h2', {}, t('reading.set_target')),
    field({ name: 'books', label: t('reading.books_per_student'), type: 'number', value: term.books ?? '', required: true, testid: 'reading-target-books', attrs: { min: 1, max: 1000 } }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', 'data-testid': 'reading-target-save' }, t('reading.save_target'))),
    result);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await api.put(`/reading/targets/${term.term_id}`, { books: Number(form.elements.books.value) });
      ctx.navigate(location.hash);
    } catch (err) {
      replace(result, errorNotice(err));
    }
  });
  return form;
}
