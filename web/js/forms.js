// Form fields with labels, reading values, and showing API errors next to the right field.
import { h, uid } from './dom.js';
import { t, errorText, fieldErrorText } from './i18n.js';

/**
 * A labelled form control. `type` may be text, email, tel, date, number, password, search,
 * select (with `options: [{value, label}]`), textarea or checkbox.
 */
export function field({ name, label, type = 'text', value, required, options, hint, testid, attrs = {}, wide }) {
  const id = uid(`f-${name}`);
  const hintId = hint ? `${id}-hint` : null;
  const common = { id, name, required: Boolean(required), 'data-testid': testid, 'aria-describedby': hintId, ...attrs };
  let control;
  if (type === 'select') {
    control = h('select', common, (options || []).map((o) => h('option', { value: o.value, selected: String(o.value) === String(value ?? '') }, o.label)));
  } else if (type === 'textarea') {
    control = h('textarea', { ...common, rows: 3 });
    control.value = value ?? '';
  } else if (type === 'checkbox') {
    control = h('input', { ...common, type: 'checkbox', checked: Boolean(value) });
    return h('div', { class: 'field field-check' }, control, h('label', { for: id }, label),
      hint && h('p', { class: 'hint', id: hintId }, hint), h('p', { class: 'field-error', id: `${id}-error`, hidden: true }));
  } else {
    control = h('input', { ...common, type, value: value ?? '' });
  }
  return h('div', { class: ['field', wide && 'field-wide'] },
    h('label', { for: id }, label, required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
    control,
    hint && h('p', { class: 'hint', id: hintId }, hint),
    h('p', { class: 'field-error', id: `${id}-error`, hidden: true }));
}

/** Raw values of a form's named controls: trimmed strings, booleans for checkboxes. */
export function formValues(form) {
  const values = {};
  for (const el of form.elements) {
    if (!el.name) continue;
    values[el.name] = el.type === 'checkbox' ? el.checked : el.value.trim();
  }
  return values;
}

/** '' → null, else the string (for optional fields; PATCH uses null to clear). */
export const orNull = (s) => (s === '' || s === undefined ? null : s);
/** '' → null, else an integer (NaN stays as given so the API can say what is wrong). */
export const intOrNull = (s) => (s === '' || s === undefined ? null : (/^-?\d+$/.test(s) ? Number(s) : s));
/** "a, b ,c" → ["a","b","c"]. */
export const splitList = (s) => (s || '').split(',').map((x) => x.trim()).filter(Boolean);

function formErrorBox(form) {
  let box = form.querySelector(':scope > .form-error');
  if (!box) {
    box = h('div', { class: 'form-error', role: 'alert', hidden: true });
    form.prepend(box);
  }
  return box;
}

export function clearErrors(form) {
  for (const el of form.querySelectorAll('[aria-invalid="true"]')) {
    el.removeAttribute('aria-invalid');
    const errId = `${el.id}-error`;
    const described = (el.getAttribute('aria-describedby') || '').split(' ').filter((x) => x && x !== errId);
    if (described.length) el.setAttribute('aria-describedby', described.join(' '));
    else el.removeAttribute('aria-describedby');
  }
  for (const p of form.querySelectorAll('.field-error')) { p.hidden = true; p.textContent = ''; }
  const box = form.querySelector(':scope > .form-error');
  if (box) { box.hidden = true; box.textContent = ''; }
}

/** Mark one control invalid with a message beside it. */
export function setFieldError(form, name, message) {
  const el = form.querySelector(`[name="${CSS.escape(name)}"]`);
  if (!el) return false;
  const errEl = form.querySelector(`#${CSS.escape(el.id)}-error`);
  el.setAttribute('aria-invalid', 'true');
  if (errEl) {
    errEl.textContent = message;
    errEl.hidden = false;
    const described = new Set((el.getAttribute('aria-describedby') || '').split(' ').filter(Boolean));
    described.add(errEl.id);
    el.setAttribute('aria-describedby', [...described].join(' '));
  }
  return true;
}

/**
 * Show an error from the API on a form: 422 field errors beside their fields, a 409 `conflict`
 * beside `conflictField` when given, everything else in the form's alert box.
 */
export function showFormError(form, err, { conflictField, fieldMap = {} } = {}) {
  clearErrors(form);
  const general = [];
  if (err && err.code === 'validation' && err.errors.length) {
    for (const e of err.errors) {
      const name = fieldMap[e.field] || e.field;
      if (!setFieldError(form, name, fieldErrorText(e))) general.push(`${t(`label.${e.field}`, {}, e.field)}: ${fieldErrorText(e)}`);
    }
  } else if (err && err.code === 'conflict' && conflictField && setFieldError(form, conflictField, t('err.conflict_field'))) {
    // shown beside the field
  } else {
    general.push(errorText(err));
  }
  if (general.length) {
    const box = formErrorBox(form);
    box.textContent = general.join(' ');
    box.hidden = false;
  }
  const firstInvalid = form.querySelector('[aria-invalid="true"]');
  if (firstInvalid) firstInvalid.focus();
}

/**
 * Wire a form's submit: prevents reload, disables the submit button while the promise runs,
 * shows errors. `handler(values, form)` returns a promise.
 */
export function onSubmit(form, handler, options = {}) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const buttons = form.querySelectorAll('button[type="submit"]');
    buttons.forEach((b) => { b.disabled = true; });
    try {
      await handler(formValues(form), form);
    } catch (err) {
      if (!(err && err.name === 'ApiError')) console.error(err);
      showFormError(form, err, options);
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  });
  return form;
}
