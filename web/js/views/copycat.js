// Copy cataloguing: an ISBN scanned or typed, looked up in this catalogue and the other catalogues
// the admin set (SRU, other SLiMS OPACs, Open Library); every source's answer side by side, one
// chosen fills the book form. The admin's tab of sources.
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { t, errorText } from '../i18n.js';
import { field, onSubmit, intOrNull } from '../forms.js';
import { table, section, notice, errorNotice, loading, confirmDialog, flash, badge } from '../ui.js';

const STATUS_KIND = { found: 'ok', not_found: 'neutral', refused: 'warn', failed: 'bad', timed_out: 'warn' };

/** One found record as a card with a "use this" button. */
function recordCard(r, source, onChoose) {
  const line = (label, value) => (value ? h('div', {}, h('dt', {}, label), h('dd', {}, value)) : null);
  return h('article', { class: 'copycat-record', 'data-testid': 'copycat-record', 'data-source': source.name },
    h('h4', {}, r.title),
    h('dl', { class: 'facts' },
      line(t('book.authors'), r.authors.join('; ')),
      line(t('book.publisher'), [r.place, r.publisher, r.year].filter(Boolean).join(', ')),
      line(t('book.isbn'), r.isbn),
      line(t('book.classification'), r.classification),
      line(t('book.call_number'), r.call_number),
      line(t('book.subjects'), r.subjects.join('; ')),
      line(t('copycat.collation'), r.collation)),
    h('button', { type: 'button', class: 'primary small', 'data-testid': 'copycat-use', onClick: () => onChoose(r, source) }, t('copycat.use')));
}

/** A source's line: its name, how it answered, how long it took. */
function sourceLine(s) {
  const status = t(`copycat.status.${s.status}`);
  const extra = [];
  if (s.cached) extra.push(t('copycat.cached'));
  else if (s.took_ms) extra.push(`${s.took_ms} ms`);
  if (s.message) extra.push(s.message);
  return h('li', { 'data-testid': 'copycat-source', 'data-status': s.status },
    h('strong', {}, s.name), ' ', badge(status, STATUS_KIND[s.status] || 'neutral'), extra.length ? ` · ${extra.join(' · ')}` : '');
}

/**
 * The lookup panel: an ISBN field (a scanner types it and presses Enter) and what every source
 * answered. `onChoose(record, source)` is called with the record chosen.
 */
export function lookupPanel({ onChoose }) {
  const out = h('div', { class: 'copycat-results', 'aria-live': 'polite', 'data-testid': 'copycat-results' });
  const form = h('form', { class: 'inline-form', 'data-testid': 'copycat-form', role: 'search' },
    field({ name: 'isbn', label: t('copycat.isbn'), testid: 'copycat-isbn', hint: t('copycat.isbn_hint'),
      attrs: { inputmode: 'numeric', autocomplete: 'off', enterkeyhint: 'search' } }),
    h('button', { type: 'submit', class: 'primary', 'data-testid': 'copycat-search' }, t('copycat.search')),
    h('label', { class: 'field-check-inline' }, h('input', { type: 'checkbox', name: 'refresh', 'data-testid': 'copycat-refresh' }), ' ', t('copycat.refresh')));
  const input = form.querySelector('input[name=isbn]');
  let current = 0;
  onSubmit(form, async (v) => {
    const mine = ++current;
    replace(out, loading());
    // An ISBN as a scanner or a person types it (10 or 13 digits, hyphens or spaces between);
    // anything else is words of a title or an author.
    const digits = v.isbn.replace(/[\s-]/g, '');
    const query = /^(\d{13}|\d{9}[\dXx])$/.test(digits) ? { isbn: v.isbn } : { q: v.isbn };
    const answer = await api.get('/copy-cataloguing', { ...query, refresh: v.refresh ? 'true' : undefined });
    if (mine !== current) return;
    const records = answer.sources.flatMap((s) => s.records.map((r) => [r, s]));
    const cover = answer.cover ? h('img', { class: 'cover', src: answer.cover, alt: t('copycat.cover'), 'data-testid': 'copycat-cover' }) : null;
    replace(out,
      answer.local.length ? notice('info', t('copycat.already_here'), ' ',
        ...answer.local.map((b) => h('a', { href: `#/koleksi/${b.id}`, 'data-testid': 'copycat-local' }, b.title))) : null,
      answer.sources.length
        ? h('ul', { class: 'copycat-sources' }, answer.sources.map(sourceLine))
        : h('p', { class: 'hint' }, t('copycat.no_sources')),
      records.length
        ? h('div', { class: 'copycat-records' }, cover, records.map(([r, s]) => recordCard(r, s, onChoose)))
        : h('p', { class: 'hint', 'data-testid': 'copycat-none' }, t('copycat.none')));
    // A cover found just now is fetched in the background: shown when it is there.
    if (answer.isbn && !answer.cover && records.some(([r]) => r.cover_url)) {
      setTimeout(() => {
        if (mine !== current) return;
        const img = h('img', { class: 'cover', src: `/api/v1/covers/${answer.isbn}`, alt: t('copycat.cover'), 'data-testid': 'copycat-cover' });
        img.addEventListener('error', () => img.remove());
        out.querySelector('.copycat-records')?.prepend(img);
      }, 1500);
    }
    out.querySelector('[data-testid=copycat-use]')?.focus();
  });
  /** Ready for the next book: the results gone, the field empty and focused. */
  const clear = () => { current += 1; out.replaceChildren(); input.value = ''; input.focus(); };
  return { element: h('div', { class: 'copycat' }, form, cameraButton(input, form), out), input, clear };
}

/**
 * A phone's camera as the scanner, where the browser can read barcodes itself (the
 * BarcodeDetector of Chrome on Android): nothing is downloaded. Elsewhere, no button.
 */
function cameraButton(input, form) {
  if (!('BarcodeDetector' in window) || !navigator.mediaDevices?.getUserMedia) return null;
  const video = h('video', { class: 'camera', playsinline: true, muted: true, hidden: true });
  let stream = null;
  const stop = () => { stream?.getTracks().forEach((tr) => tr.stop()); stream = null; video.hidden = true; };
  const button = h('button', { type: 'button', class: 'secondary', 'data-testid': 'copycat-camera', onClick: async () => {
    if (stream) { stop(); return; }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
      video.srcObject = stream; video.hidden = false; await video.play();
      const detector = new window.BarcodeDetector({ formats: ['ean_13'] });
      const started = Date.now();
      while (stream && Date.now() - started < 60000) {
        const codes = await detector.detect(video).catch(() => []);
        const code = codes.find((c) => /^97[89]\d{10}$/.test(c.rawValue));
        if (code) { input.value = code.rawValue; stop(); form.requestSubmit(); return; }
        await new Promise((r) => setTimeout(r, 250));
      }
      stop();
    } catch (err) { stop(); flash(t('copycat.camera_failed'), 'error'); }
  } }, t('copycat.camera'));
  return h('div', { class: 'actions' }, button, video);
}

/** The admin's tab: the catalogues a new book is looked up in. */
export async function sourcesTab(body, { act, again }) {
  try {
    const list = await api.get('/catalogue-sources');
    const kinds = ['sru', 'slims', 'openlibrary'].map((k) => ({ value: k, label: t(`copycat.kind.${k}`) }));
    const form = (s = {}) => {
      const f = h('form', { class: 'form-grid', 'data-testid': s.id ? 'source-form' : 'source-new' },
        field({ name: 'name', label: t('copycat.source_name'), required: true, value: s.name }),
        field({ name: 'kind', label: t('copycat.kind'), type: 'select', value: s.kind || 'slims', options: kinds }),
        field({ name: 'url', label: t('copycat.url'), required: true, value: s.url, wide: true, hint: t('copycat.url_hint'), attrs: { inputmode: 'url', autocomplete: 'off' } }),
        field({ name: 'timeout_ms', label: t('copycat.timeout'), type: 'number', value: s.timeout_ms ?? 3000, attrs: { min: 200, max: 20000, step: 100 } }),
        field({ name: 'position', label: t('copycat.position'), type: 'number', value: s.position ?? 0, attrs: { min: -1000, max: 1000 } }),
        field({ name: 'enabled', label: t('copycat.enabled'), type: 'checkbox', value: s.enabled ?? true }),
        h('div', { class: 'actions field-wide' },
          h('button', { type: 'submit', class: 'primary' }, s.id ? t('common.save') : t('copycat.add_source')),
          s.id ? h('button', { type: 'button', class: 'danger', onClick: async () => {
            if (await confirmDialog(t('copycat.delete_confirm', { name: s.name }), { danger: true, confirmLabel: t('common.delete') })) act(() => api.del(`/catalogue-sources/${s.id}`), t('common.deleted'));
          } }, t('common.delete')) : null));
      onSubmit(f, async (v) => {
        const payload = { name: v.name, kind: v.kind, url: v.url, timeout_ms: intOrNull(v.timeout_ms), position: intOrNull(v.position) ?? 0, enabled: v.enabled };
        if (s.id) await api.put(`/catalogue-sources/${s.id}`, payload); else await api.post('/catalogue-sources', payload);
        flash(t('common.saved'));
        again();
      }, { conflictField: 'name' });
      return f;
    };
    replace(body,
      h('p', { class: 'hint' }, t('copycat.sources_intro')),
      table({
        testid: 'sources-table', caption: t('admin.tab.sumber'), rows: list, empty: t('copycat.no_sources'),
        columns: [
          { label: t('copycat.source_name'), render: (s) => s.name },
          { label: t('copycat.kind'), render: (s) => t(`copycat.kind.${s.kind}`) },
          { label: t('copycat.url'), render: (s) => h('code', {}, s.url) },
          { label: t('copycat.enabled'), render: (s) => (s.enabled ? t('common.yes') : '—') },
        ],
      }),
      ...list.map((s) => section(s.name, form(s))),
      section(t('copycat.new_source'), form()));
  } catch (err) {
    replace(body, errorNotice(err));
  }
}

export { errorText };
