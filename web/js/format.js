// Formatting of dates, times and money the Indonesian way, in the library's time zone.
import { getLang } from './i18n.js';

export const LIBRARY_TIME_ZONE = 'Asia/Jakarta';

const cache = new Map();
function dateFormat(lang, withTime, timeZone) {
  const key = `${lang}|${withTime}|${timeZone}`;
  if (!cache.has(key)) {
    const options = { day: 'numeric', month: 'short', year: 'numeric', timeZone };
    if (withTime) Object.assign(options, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    cache.set(key, new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : 'id-ID', options));
  }
  return cache.get(key);
}

function assemble(parts, withTime, lang) {
  const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
  // "27 Nov 2026" and "27 Nov 2026 14.05" (English: "14:05"); "Sept" → "Sep" for tidy columns.
  const month = p.month.replace(/\.$/, '').replace(/^Sept$/, 'Sep');
  const date = `${p.day} ${month} ${p.year}`;
  return withTime ? `${date} ${p.hour}${lang === 'en' ? ':' : '.'}${p.minute}` : date;
}

function toDate(value) {
  if (value == null || value === '') return null;
  // A bare date (YYYY-MM-DD) is a calendar day, not an instant: read it as UTC midnight.
  const d = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00Z`) : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** "27 Nov 2026". Accepts RFC 3339 timestamps (shown in Asia/Jakarta) and YYYY-MM-DD dates. */
export function formatDate(value) {
  const d = toDate(value);
  if (!d) return '—';
  const bare = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const lang = getLang();
  return assemble(dateFormat(lang, false, bare ? 'UTC' : LIBRARY_TIME_ZONE).formatToParts(d), false, lang);
}

/** "27 Nov 2026 14.05" in Asia/Jakarta. */
export function formatDateTime(value) {
  const d = toDate(value);
  if (!d) return '—';
  const lang = getLang();
  return assemble(dateFormat(lang, true, LIBRARY_TIME_ZONE).formatToParts(d), true, lang);
}

const moneyFormat = new Intl.NumberFormat('id-ID', { maximumFractionDigits: 0 });

/** "Rp 5.000" (rupiah have no smaller unit; the API sends integers). */
export function formatMoney(amount) {
  if (amount == null) return '—';
  return `Rp ${moneyFormat.format(amount)}`;
}

/** Today's date in the library's time zone as YYYY-MM-DD (for date inputs and queries). */
export function todayIso(offsetDays = 0) {
  const d = new Date(Date.now() + offsetDays * 86400000);
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone: LIBRARY_TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' })
      .formatToParts(d).map((x) => [x.type, x.value]),
  );
  return `${p.year}-${p.month}-${p.day}`;
}

/** "id" → "Indonesia" / "Indonesian" (falls back to the code). */
export function formatLanguage(code) {
  if (!code) return '—';
  try {
    return new Intl.DisplayNames([getLang() === 'en' ? 'en' : 'id'], { type: 'language' }).of(code) || code;
  } catch {
    return code;
  }
}
