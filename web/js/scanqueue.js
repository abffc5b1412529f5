// Scans from a barcode scanner (a keyboard that types a code in a few milliseconds and presses
// Enter), made safe at any network speed: each Enter becomes one job, and jobs run one at a time,
// in order, exactly once. The field is read and cleared the moment Enter is pressed, so the next
// scan's characters land in an empty field while earlier scans are still being answered.
// Used by the circulation desk; the visitor-log kiosk and stock take can use it the same way.

/**
 * A first-in-first-out queue of jobs handled one at a time by `handle(job)` (which may be async;
 * a job that throws is logged and the queue goes on). `onChange(pending)` is told the number of
 * jobs waiting or running whenever it changes.
 */
export function createScanQueue({ handle, onChange = () => {} }) {
  const jobs = [];
  let running = false;

  async function pump() {
    if (running) return;
    running = true;
    try {
      while (jobs.length) {
        try {
          await handle(jobs[0]);
        } catch (err) {
          console.error(err);
        }
        jobs.shift();
        onChange(jobs.length);
      }
    } finally {
      running = false;
    }
  }

  return {
    /** Queue a job (a scanned string, or any value the handler understands). */
    push(job) {
      jobs.push(job);
      onChange(jobs.length);
      pump();
    },
    /** Jobs waiting or running. */
    get pending() { return jobs.length; },
    /** Resolves once every job queued so far has been handled (bounded by `timeoutMs`). */
    idle(timeoutMs = 30000) {
      const until = Date.now() + timeoutMs;
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!jobs.length) resolve();
          else if (Date.now() > until) reject(new Error('scan queue still busy'));
          else setTimeout(check, 20);
        };
        check();
      });
    },
  };
}

const TEXT_TYPES = new Set(['text', 'search', 'email', 'tel', 'url', 'password', 'number', 'date']);

function isTextEntry(el) {
  if (!el || el === document.body) return false;
  if (el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement || el.isContentEditable) return true;
  return el instanceof HTMLInputElement && TEXT_TYPES.has(el.type);
}

/**
 * Makes `input` the scan field: Enter queues its trimmed text (never submits a form) and clears
 * it at once. While `isActive()` holds, keys typed with the focus on a button, a link or nothing
 * (where a scanner's keystrokes would otherwise go, and its Enter would press that button) are
 * moved into the field, and an Enter that ends them queues the scan instead of pressing anything.
 * A person's Enter or Space on a focused button still works: it comes with no typed text before it.
 * `onKey(event)` sees the field's other keys first (return true when it handled one).
 * Returns `submit()` (queue what is in the field, as a click on a "Go" button does).
 */
export function attachScanField(input, queue, { isActive = () => input.isConnected, onKey } = {}) {
  function submit() {
    const value = input.value.trim();
    input.value = '';
    if (value) queue.push(value);
  }

  input.addEventListener('keydown', (e) => {
    if (e.isComposing) return;
    if (onKey && onKey(e)) return;
    if (e.key === 'Enter') {
      e.preventDefault();
      submit();
    }
  });

  function redirect(e) {
    if (!isActive()) {
      document.removeEventListener('keydown', redirect, true);
      return;
    }
    const target = e.target;
    if (target === input || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    if (isTextEntry(target) || (target.closest && target.closest('dialog'))) return;
    if (e.key.length === 1 && e.key !== ' ') {
      e.preventDefault();
      input.value += e.key;
      input.focus();
    } else if (e.key === 'Enter' && input.value.trim() !== '') {
      e.preventDefault();
      input.focus();
      submit();
    }
  }
  document.addEventListener('keydown', redirect, true);

  return { submit };
}

/**
 * Whether `text` could be a member's card or another number of theirs (a SLiMS member id, NIS,
 * NISN, an old card: 1 to 40 letters, digits and . - / _ :), as the API's MemberRef takes them;
 * a Pustaka card (`P` and 8 digits) only with its check digit right.
 * @param {string} text
 */
export function isMemberNumber(text) {
  const v = text.trim();
  if (/^[Pp]\d{8}$/.test(v)) return isCardNumber(v);
  return /^[\p{L}\p{N}.\-/_:]{1,40}$/u.test(v);
}

/**
 * Whether `text` has the form of a library card number: `P` and 8 digits whose last is the Luhn
 * check digit of the seven before it (as src/domain/card.rs makes them). A copy barcode that
 * happens to look like one would have to pass the check digit too.
 */
export function isCardNumber(text) {
  const m = /^[Pp](\d{8})$/.exec(String(text).trim());
  if (!m) return false;
  const digits = [...m[1]].map(Number);
  const sum = digits.slice(0, 7).reverse().reduce((acc, d, i) => {
    if (i % 2 === 0) {
      const doubled = d * 2;
      return acc + (doubled > 9 ? doubled - 9 : doubled);
    }
    return acc + d;
  }, 0);
  return (10 - (sum % 10)) % 10 === digits[7];
}

/** Whether `text` has the form of a copy barcode: 1–64 ASCII letters, digits, '-', '.' or '_'. */
export function isBarcode(text) {
  return /^[A-Za-z0-9._-]{1,64}$/.test(String(text).trim());
}
