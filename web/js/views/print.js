// Cetak (staff): barcode and spine labels, member cards, and (admin) the library's identity and the
// pattern of automatic barcodes. A PDF opens in a new tab: the browser's viewer previews and prints it.
import { api, ApiError, API_BASE } from '../api.js';
import { h, replace } from '../dom.js';
import { t, getLang } from '../i18n.js';
import { formatDateTime } from '../format.js';
import { isAdmin } from '../session.js';
import { field, onSubmit, intOrNull } from '../forms.js';
import { heading, section, errorNotice, notice, flash } from '../ui.js';

/** Lines of a textarea as a list (a scanner types one code a line). */
const lines = (text) => (text || '').split(/[\s,;]+/).map((x) => x.trim()).filter(Boolean);

/** Posts to a print route and opens the PDF in a new tab; errors come back as ApiError. */
export async function openPdf(path, body, out) {
  const response = await fetch(`${API_BASE}${path}?lang=${getLang()}`, {
    method: 'POST', credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', Accept: 'application/pdf, application/json', 'X-Pustaka-Page': '1' },
    body: JSON.stringify(body),
  }).catch(() => { throw new ApiError(0, {}); });
  if (!response.ok) {
    let problem = {};
    try { problem = await response.json(); } catch { /* not JSON */ }
    throw new ApiError(response.status, problem);
  }
  const url = URL.createObjectURL(await response.blob());
  replace(out, notice('ok', t('print.ready'), ' ',
    h('a', { href: url, target: '_blank', rel: 'noopener', 'data-testid': 'print-open' }, t('print.open')), ' · ',
    h('a', { href: url, download: path.endsWith('cards') ? 'kartu-anggota.pdf' : 'label.pdf' }, t('print.download'))));
  window.open(url, '_blank', 'noopener');
}

export async function render(root, ctx) {
  replace(root, heading(t('print.title')), h('p', { class: 'hint' }, t('print.intro')));
  let sheets = [];
  let imports = [];
  try {
    [sheets, imports] = await Promise.all([api.get('/print/sheets'), api.get('/print/imports')]);
  } catch (err) {
    root.append(errorNotice(err));
    return;
  }
  if (!ctx.isCurrent()) return;
  root.append(section(t('print.labels'), labelsForm(sheets, imports)), section(t('print.cards'), cardsForm()));
  if (isAdmin(ctx.user)) {
    const admin = h('div', {});
    root.append(admin);
    await adminForms(admin);
  }
}

function labelsForm(sheets, imports) {
  const out = h('div', { 'aria-live': 'polite' });
  // Which copies: the barcodes listed, every copy added today, or every copy of one import.
  const sources = [{ value: 'list', label: t('print.source_list') }, { value: 'today', label: t('print.added_today') },
    ...imports.map((i) => ({ value: `import:${i.id}`, label: t('print.source_import', { id: i.id, date: formatDateTime(i.started_at), actor: i.actor, copies: i.copies }) }))];
  const form = h('form', { class: 'form-grid', 'data-testid': 'labels-form' },
    field({ name: 'source', label: t('print.source'), type: 'select', value: 'list', wide: true, testid: 'labels-source', options: sources }),
    field({ name: 'barcodes', label: t('print.barcodes'), type: 'textarea', wide: true, hint: t('print.barcodes_hint'), testid: 'labels-barcodes', attrs: { rows: 5 } }),
    field({ name: 'kind', label: t('print.kind'), type: 'select', value: 'both', testid: 'labels-kind',
      options: ['both', 'barcode', 'spine'].map((k) => ({ value: k, label: t(`print.kind.${k}`) })) }),
    field({ name: 'sheet', label: t('print.sheet'), type: 'select', value: 'a4-3x8', testid: 'labels-sheet',
      options: sheets.map((s) => ({ value: s.name, label: `${s.name} — ${s.description}` })) }),
    field({ name: 'start', label: t('print.start'), type: 'number', value: 1, hint: t('print.start_hint'), attrs: { min: 1 } }),
    field({ name: 'part', label: t('print.part'), type: 'select', value: '', testid: 'labels-part', hint: t('print.part_hint'), options: [] }),
    h('div', { class: 'actions field-wide' }, h('button', { type: 'submit', class: 'primary', 'data-testid': 'labels-submit' }, t('print.preview'))),
    out);
  // An import of more than 1000 copies prints in parts of 1000, one PDF each: the parts are named.
  const partField = form.querySelector('[name=part]');
  const partBox = partField.closest('.field') || partField.parentElement;
  const showParts = () => {
    const v = form.elements.source.value;
    const run = v.startsWith('import:') ? imports.find((i) => `import:${i.id}` === v) : null;
    const parts = run ? Math.ceil(run.copies / 1000) : 1;
    replace(partField, ...Array.from({ length: parts }, (_, k) => h('option', { value: String(k + 1) },
      t('print.part_of', { part: k + 1, from: k * 1000 + 1, to: Math.min((k + 1) * 1000, run ? run.copies : 1000) }))));
    partBox.hidden = parts < 2;
  };
  form.elements.source.addEventListener('change', showParts);
  showParts();
  onSubmit(form, async (v) => {
    const body = { kind: v.kind, sheet: v.sheet, start: intOrNull(v.start) };
    if (v.source === 'today') {
      const d = new Date();
      body.added_on = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
    } else if (v.source.startsWith('import:')) {
      body.import_id = Number(v.source.slice('import:'.length));
      if (!partBox.hidden) body.part = Number(v.part);
    } else {
      body.barcodes = lines(v.barcodes);
    }
    await openPdf('/print/labels', body, out);
  }, { fieldMap: { added_on: 'source', import_id: 'source' } });
  return form;
}

function cardsForm() {
  const out = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'form-grid', 'data-testid': 'cards-form' },
    field({ name: 'card_numbers', label: t('print.card_numbers'), type: 'textarea', wide: true, hint: t('print.card_numbers_hint'), testid: 'cards-numbers', attrs: { rows: 4 } }),
    h('div', { class: 'actions field-wide' }, h('button', { type: 'submit', class: 'primary', 'data-testid': 'cards-submit' }, t('print.preview'))),
    out);
  onSubmit(form, (v) => openPdf('/print/cards', { card_numbers: lines(v.card_numbers) }, out));
  return form;
}

/** The admin's part: the library's identity (name, address, logo) and automatic barcodes. */
async function adminForms(box) {
  try {
    const [lib, pattern] = await Promise.all([api.get('/library'), api.get('/barcode-pattern')]);
    const identity = h('form', { class: 'form-grid', 'data-testid': 'identity-form' },
      field({ name: 'name', label: t('print.library_name'), value: lib.name, required: true, wide: true }),
      field({ name: 'address', label: t('print.address'), type: 'textarea', value: lib.address, wide: true }),
      h('div', { class: 'actions field-wide' }, h('button', { type: 'submit', class: 'primary' }, t('common.save'))));
    onSubmit(identity, async (v) => {
      await api.put('/library', { name: v.name, address: v.address });
      flash(t('common.saved'));
      window.dispatchEvent(new CustomEvent('pustaka:library'));
    });
    const logoOut = h('div', { 'aria-live': 'polite' });
    const logo = h('form', { class: 'form-grid', 'data-testid': 'logo-form' },
      lib.logo_type ? h('p', { class: 'field-wide' }, h('img', { src: `${API_BASE}/library/logo?v=${encodeURIComponent(lib.updated_at)}`, alt: t('print.logo'), class: 'library-logo-preview', height: 64 })) : null,
      field({ name: 'logo', label: t('print.logo'), type: 'file', hint: t('print.logo_hint'), attrs: { accept: 'image/png,image/jpeg,image/svg+xml' }, wide: true }),
      h('div', { class: 'actions field-wide' }, h('button', { type: 'submit', class: 'primary' }, t('print.upload'))),
      logoOut);
    onSubmit(logo, async (_, form) => {
      const file = form.elements.logo.files[0];
      if (!file) throw new ApiError(422, { code: 'validation', errors: [{ field: 'logo', code: 'required', message: 'choose a file' }] });
      const response = await fetch(`${API_BASE}/library/logo`, {
        method: 'PUT', credentials: 'same-origin', body: file,
        headers: { 'Content-Type': file.type || 'application/octet-stream', Accept: 'application/json', 'X-Pustaka-Page': '1' },
      });
      if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => ({})));
      flash(t('common.saved'));
      window.dispatchEvent(new CustomEvent('pustaka:library'));
      await adminForms(box);
    });
    const barcodes = h('form', { class: 'form-grid', 'data-testid': 'pattern-form' },
      h('p', { class: 'field-wide hint' }, t('print.pattern_now', { example: pattern.example })),
      field({ name: 'prefix', label: t('print.prefix'), value: pattern.prefix }),
      field({ name: 'digits', label: t('print.digits'), type: 'number', value: pattern.digits, attrs: { min: 1, max: 12 } }),
      field({ name: 'next_number', label: t('print.next_number'), type: 'number', value: pattern.next_number, attrs: { min: 1 } }),
      h('div', { class: 'actions field-wide' }, h('button', { type: 'submit', class: 'primary' }, t('common.save'))));
    onSubmit(barcodes, async (v) => {
      await api.put('/barcode-pattern', { prefix: v.prefix, digits: intOrNull(v.digits), next_number: intOrNull(v.next_number) });
      flash(t('common.saved'));
      await adminForms(box);
    });
    replace(box, section(t('print.identity'), identity, logo), section(t('print.pattern'), barcodes));
  } catch (err) {
    replace(box, errorNotice(err));
  }
}
