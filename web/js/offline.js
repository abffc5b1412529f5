// The desk offline (issue #33): what the desk keeps in the browser (IndexedDB) so that scans go on
// while the network or the server is down, and are sent once, in order, when it is back.
//
// - The queue: each checkout, return or renewal that could not be sent, with its Idempotency-Key
//   (made when it was scanned) and the time it was scanned. It lives in IndexedDB, so a reload or
//   a closed tab loses nothing; an entry leaves the queue only when the server has answered it.
//   Sending it again after an answer was lost is safe: the server gives the first answer again.
// - The refusals: entries the server refused when they were sent (the copy was lent at another
//   desk meanwhile, the member was blocked, ...), kept until the librarian has dealt with them.
// - The local copy: members (card and other numbers, category, blocked, expiry, loans out), the
//   loans out (barcode → member and loan), every copy (collection type, status), the holds waiting
//   and on the shelf, and the rules (categories' limits, collection types, the loan-rule matrix),
//   read in one request (`GET /desk/snapshot`) while online, to judge a scan offline as far as it
//   can (`judgeCheckout`; docs/tasks/meja-sirkulasi-luring.md says what it cannot know).
import { api, getAll } from './api.js';

const DB_NAME = 'pustaka-desk';
const DB_VERSION = 2;

let opened = null;

function db() {
  if (!opened) {
    opened = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, DB_VERSION);
      req.onupgradeneeded = (event) => {
        const d = req.result;
        // Version 1: the queue, the refusals, members, loans; version 2 adds copies and holds
        // (the rules are kept in `meta`). An upgrade keeps the queue and the refusals.
        if (event.oldVersion < 1) {
          d.createObjectStore('queue', { keyPath: 'seq', autoIncrement: true });
          d.createObjectStore('refused', { keyPath: 'seq' });
          d.createObjectStore('members', { keyPath: 'id' });
          d.createObjectStore('loans', { keyPath: 'barcode' });
          d.createObjectStore('meta', { keyPath: 'name' });
        }
        if (event.oldVersion < 2) {
          d.createObjectStore('copies', { keyPath: 'key' });
          d.createObjectStore('holds', { keyPath: 'seq', autoIncrement: true });
        }
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => { opened = null; reject(req.error); };
    });
  }
  return opened;
}

/** Runs `fn(stores)` in one transaction over `names`; resolves with what `fn` returned once committed. */
async function tx(names, mode, fn) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const t = d.transaction(names, mode);
    const stores = Object.fromEntries(names.map((n) => [n, t.objectStore(n)]));
    let out;
    Promise.resolve(fn(stores)).then((v) => { out = v; }, reject);
    t.oncomplete = () => resolve(out);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error);
  });
}

const wrap = (req) => new Promise((resolve, reject) => { req.onsuccess = () => resolve(req.result); req.onerror = () => reject(req.error); });

// ---------- the queue ----------

/** A new Idempotency-Key: unique per scan, whichever desk made it. */
export function newKey() {
  const rnd = crypto.getRandomValues(new Uint32Array(4));
  return `desk-${Date.now().toString(36)}-${Array.from(rnd, (n) => n.toString(36)).join('')}`;
}

/**
 * Queues an action: `{ kind: 'checkout', barcode, card_number, member_name? } | { kind: 'return', barcode }
 * | { kind: 'renew', barcode, loan_id? }`, with its key and scanned time (now, unless given).
 */
export async function enqueue(action) {
  const entry = { ...action, key: action.key || newKey(), scanned_at: action.scanned_at || new Date().toISOString() };
  const seq = await tx(['queue'], 'readwrite', (s) => wrap(s.queue.add(entry)));
  return { ...entry, seq };
}

/** The actions not sent yet, oldest first. */
export async function queued() {
  return tx(['queue'], 'readonly', (s) => wrap(s.queue.getAll()));
}

/** The refusals not dealt with yet, oldest first. */
export async function refusals() {
  return tx(['refused'], 'readonly', (s) => wrap(s.refused.getAll()));
}

/** The librarian has dealt with a refusal. */
export async function dismiss(seq) {
  return tx(['refused'], 'readwrite', (s) => wrap(s.refused.delete(seq)));
}

/** Whether an answer means "send it again later" rather than "this is the server's word". */
export function isRetryable(err) {
  return err.status === 0 || err.status === 401 || err.status === 408 || err.status === 429 || err.status >= 500
    || err.code === 'idempotency_in_progress';
}

/** Sends one queued action; resolves with the server's answer, rejects with ApiError. */
async function send(entry) {
  const scanned = { scanned_at: entry.scanned_at };
  if (entry.kind === 'checkout') {
    return api.postOnce('/loans', { barcode: entry.barcode, card_number: entry.card_number, ...scanned }, entry.key);
  }
  if (entry.kind === 'return') return api.postOnce('/returns', { barcode: entry.barcode, ...scanned }, entry.key);
  if (entry.kind === 'renew') {
    let loanId = entry.loan_id;
    if (!loanId) {
      const page = await api.get('/loans', { status: 'active', barcode: entry.barcode });
      if (!page.items.length) {
        const err = new Error('not on loan');
        Object.assign(err, { name: 'ApiError', status: 409, code: 'not_on_loan', detail: '', errors: [] });
        throw err;
      }
      loanId = page.items[0].id;
    }
    return api.postOnce(`/loans/${loanId}/renew`, scanned, entry.key);
  }
  throw new Error(`unknown action ${entry.kind}`);
}

let replaying = null;

/**
 * Sends the queue, oldest first, one at a time; stops at the first action that must wait (no
 * network, server down, the session ended). `onResult(entry, answer | null, err | null)` is told
 * of each action the server answered. Resolves with the number of actions still queued.
 */
export function replay(onResult = () => {}) {
  if (!replaying) {
    replaying = (async () => {
      try {
        for (;;) {
          const [entry] = await queued();
          if (!entry) return 0;
          let answer = null;
          let error = null;
          try {
            answer = await send(entry);
          } catch (err) {
            if (isRetryable(err)) return (await queued()).length;
            error = err;
          }
          await tx(['queue', 'refused'], 'readwrite', (s) => {
            s.queue.delete(entry.seq);
            if (error) {
              s.refused.put({ ...entry, code: error.code || 'error', detail: error.detail || error.message || '', refused_at: new Date().toISOString() });
            }
          });
          onResult(entry, answer, error);
        }
      } finally {
        replaying = null;
      }
    })();
  }
  return replaying;
}

// ---------- the local copy ----------

const LOCAL = ['members', 'loans', 'copies', 'holds', 'meta'];

/** A barcode as the local copy keys it: scanners send either case. */
const keyOf = (barcode) => String(barcode).trim().toLowerCase();

/**
 * Refreshes the local copy from the server, in one request (`GET /desk/snapshot`): members,
 * loans out, copies, holds and the rules. Resolves with the counts kept.
 */
export async function refresh() {
  const snap = await api.get('/desk/snapshot');
  const out = new Map();
  for (const l of snap.loans) out.set(l.member_id, (out.get(l.member_id) || 0) + 1);
  await tx(LOCAL, 'readwrite', (s) => {
    for (const name of ['members', 'loans', 'copies', 'holds']) s[name].clear();
    for (const m of snap.members) s.members.put({ ...m, active_loans: out.get(m.id) || 0 });
    for (const l of snap.loans) s.loans.put(l);
    for (const c of snap.copies) s.copies.put({ ...c, key: keyOf(c.barcode) });
    for (const h of snap.holds) s.holds.add(h);
    s.meta.put({ name: 'rules', categories: snap.categories, collection_types: snap.collection_types, loan_rules: snap.loan_rules });
    s.meta.put({ name: 'refreshed', at: snap.taken_at, members: snap.members.length, loans: snap.loans.length, copies: snap.copies.length });
  });
  return { members: snap.members.length, loans: snap.loans.length, copies: snap.copies.length };
}

/** When the local copy was last refreshed: `{ at, members, loans }` or null. */
export async function refreshed() {
  return tx(['meta'], 'readonly', (s) => wrap(s.meta.get('refreshed'))).then((v) => v || null);
}

/**
 * Forgets the local copy (members and loans: personal data) at logout. The queue and the refusals
 * stay: they are work not yet sent, sent by the next staff login on this computer.
 */
export async function forgetLocalCopy() {
  await tx(LOCAL, 'readwrite', (s) => {
    for (const name of ['members', 'loans', 'copies', 'holds']) s[name].clear();
    s.meta.delete('refreshed');
    s.meta.delete('rules');
  });
}

/** Keeps one member as the server just gave it (and their loans out, when given). */
export async function keepMember(member, loans) {
  await tx(['members', 'loans'], 'readwrite', (s) => {
    s.members.put(member);
    for (const l of loans || []) s.loans.put(l);
  });
}

/**
 * Whether `member` is known by `number`: their card, or another number of theirs, whatever its
 * case. Other numbers come as strings from the snapshot, as `{ kind, number }` from the API.
 */
export function knownBy(member, number) {
  const wanted = String(number).trim().toLowerCase();
  return member.card_number.toLowerCase() === wanted
    || (member.other_numbers || []).some((n) => String(n.number ?? n).toLowerCase() === wanted);
}

/** The member with this card (or another number of theirs) in the local copy, or null. */
export async function memberByNumber(number) {
  const all = await tx(['members'], 'readonly', (s) => wrap(s.members.getAll()));
  return all.find((m) => knownBy(m, number)) || null;
}

/** Whether the local copy knows `number` as a member's card or other number and not as a copy's barcode. */
export async function isMemberNumberNotCopy(number) {
  if (await copyOf(number)) return false;
  return (await memberByNumber(number)) !== null;
}

/** The loan out of the copy with this barcode in the local copy, or null. */
export async function loanOf(barcode) {
  const all = await tx(['loans'], 'readonly', (s) => wrap(s.loans.getAll()));
  const wanted = barcode.trim().toLowerCase();
  return all.find((l) => l.barcode.toLowerCase() === wanted) || null;
}

/** The member's loans out in the local copy. */
export async function loansOfMember(memberId) {
  const all = await tx(['loans'], 'readonly', (s) => wrap(s.loans.getAll()));
  return all.filter((l) => l.member_id === memberId);
}

/** Notes a queued action in the local copy, so that later scans are judged with it. */
export async function noteLocally(entry, member) {
  await tx(['loans', 'members', 'copies'], 'readwrite', async (s) => {
    const copy = await wrap(s.copies.get(keyOf(entry.barcode)));
    if (entry.kind === 'checkout') {
      s.loans.put({
        barcode: entry.barcode, member_id: member?.id ?? null, card_number: entry.card_number, member_name: member?.name || '',
        title: '', id: null, queued: true, collection_type: copy?.collection_type ?? null,
      });
      if (member) s.members.put({ ...member, active_loans: (member.active_loans || 0) + 1 });
      if (copy) s.copies.put({ ...copy, status: 'on_loan' });
    } else if (entry.kind === 'return') {
      const keys = await wrap(s.loans.getAllKeys());
      const key = keys.find((k) => keyOf(k) === keyOf(entry.barcode));
      if (key) s.loans.delete(key);
      if (copy) s.copies.put({ ...copy, status: 'available' });
    }
  });
}

// ---------- judging a scan offline ----------

/** The copy with this barcode in the local copy (`{ barcode, book_id, status, collection_type }`), or null. */
export async function copyOf(barcode) {
  return tx(['copies'], 'readonly', (s) => wrap(s.copies.get(keyOf(barcode)))).then((v) => v || null);
}

/** The holds in the local copy: waiting ones by book, ready ones with their copy's barcode. */
async function holds() {
  return tx(['holds'], 'readonly', (s) => wrap(s.holds.getAll()));
}

/** The rules kept with the local copy: `{ categories, collection_types, loan_rules }` or null. */
async function rules() {
  return tx(['meta'], 'readonly', (s) => wrap(s.meta.get('rules'))).then((v) => v || null);
}

/**
 * Why the local copy says `member` may not borrow the copy `barcode`, as a refusal the server
 * would give (`{ code, collectionType? }`), or null when it sees no reason. It checks what it
 * holds, in the server's order: the member's block and expiry (`today`, YYYY-MM-DD), the copy
 * lent to someone else, kept on the hold shelf for someone else, lost; a collection type read in
 * the library only, for everyone or by the matrix for the member's category; the category's total
 * limit and the matrix's limit of the type. Fines, overdue loans, terms and anything changed
 * since the copy was read are the server's, when the queue is sent.
 */
export async function judgeCheckout(member, barcode, today) {
  if (member.blocked) return { code: 'member_blocked' };
  if (member.expires_on && member.expires_on < today) return { code: 'member_expired' };
  const lent = await loanOf(barcode);
  if (lent && lent.member_id !== member.id) return { code: 'copy_not_available' };
  const copy = await copyOf(barcode);
  if (copy?.status === 'lost') return { code: 'copy_not_available' };
  if (copy?.status === 'on_hold_shelf') {
    const held = (await holds()).find((h) => h.status === 'ready' && h.barcode && keyOf(h.barcode) === keyOf(barcode));
    if (held && held.member_id !== member.id) return { code: 'copy_on_hold_for_other' };
  }
  const r = await rules();
  if (!r) return null;
  const type = copy?.collection_type ? r.collection_types.find((c) => c.code === copy.collection_type) : null;
  const row = type ? r.loan_rules.find((x) => x.category === member.category && x.collection_type === type.code) : null;
  if (type && (!type.loanable || (row && !row.lendable))) return { code: 'not_for_loan', collectionType: type.name };
  const mine = await loansOfMember(member.id);
  const cat = r.categories.find((c) => c.code === member.category);
  if (cat && mine.length >= cat.max_loans) return { code: 'loan_limit' };
  if (type && row && row.max_loans != null && mine.filter((l) => l.collection_type === type.code).length >= row.max_loans) {
    return { code: 'type_limit', collectionType: type.name };
  }
  return null;
}

/** Whether a copy coming back offline is wanted by a hold (its book has one waiting): it goes to the hold shelf. */
export async function wantedByHold(barcode) {
  const copy = await copyOf(barcode);
  if (!copy) return false;
  return (await holds()).some((h) => h.status === 'waiting' && h.book_id === copy.book_id);
}
