// Thin fetch wrapper for the Pustaka API: JSON in, JSON out, problem+json turned into ApiError.
export const API_BASE = '/api/v1';

/** An error answer from the API (or the network), carrying the stable `code` to translate. */
export class ApiError extends Error {
  constructor(status, problem = {}) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = problem.code || codeForStatus(status);
    this.detail = problem.detail || '';
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
    this.requestId = problem.request_id || null;
    /** The collection type a refusal is about (`not_for_loan`, `type_limit`), by name. */
    this.collectionType = problem.collection_type || null;
    /** Seconds to wait before trying again (from Retry-After), when the answer says. */
    this.retryAfter = null;
  }
}

function codeForStatus(status) {
  return { 0: 'network', 400: 'bad_request', 401: 'unauthenticated', 403: 'forbidden', 404: 'not_found', 409: 'conflict', 422: 'validation' }[status]
    || (status >= 500 ? 'internal' : 'unknown');
}

function queryString(query) {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

/**
 * Call the API. `path` is relative to /api/v1. Resolves to the parsed JSON body (or null for 204);
 * rejects with ApiError. A 401 on anything but the auth endpoints fires `pustaka:unauthenticated`
 * so the page can notice an expired session.
 */
export async function request(method, path, { query, body, key } = {}) {
  // X-Pustaka-Page: the service takes a request that changes something with the session cookie only
  // from this page; no page of another origin can send a custom header (no CORS is allowed).
  const headers = { Accept: 'application/json', 'X-Pustaka-Page': '1' };
  // The same key again gets the first answer and the work is not done twice (README: Idempotency-Key).
  if (key) headers['Idempotency-Key'] = key;
  const init = { method, headers, credentials: 'same-origin' };
  if (body instanceof Blob) {
    // A file as it is (the import's upload).
    headers['Content-Type'] = body.type || 'application/octet-stream';
    init.body = body;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(`${API_BASE}${path}${queryString(query)}`, init);
  } catch {
    throw new ApiError(0, {});
  }
  const type = response.headers.get('Content-Type') || '';
  let data = null;
  if (response.status !== 204 && /json/.test(type)) {
    try { data = await response.json(); } catch { data = null; }
  }
  if (!response.ok) {
    const error = new ApiError(response.status, data || {});
    const retryAfter = Number(response.headers.get('Retry-After'));
    if (Number.isFinite(retryAfter) && retryAfter > 0) error.retryAfter = retryAfter;
    if (response.status === 401 && !path.startsWith('/auth/')) {
      window.dispatchEvent(new CustomEvent('pustaka:unauthenticated'));
    }
    throw error;
  }
  return data;
}

export const api = {
  get: (path, query) => request('GET', path, { query }),
  post: (path, body) => request('POST', path, { body: body ?? {} }),
  /** A POST that may be sent again safely: `key` is its Idempotency-Key. */
  postOnce: (path, body, key) => request('POST', path, { body: body ?? {}, key }),
  put: (path, body) => request('PUT', path, { body }),
  patch: (path, body) => request('PATCH', path, { body }),
  del: (path) => request('DELETE', path),
  upload: (path, file, query) => request('POST', path, { query, body: file }),
};

/** Fetch every page of a list endpoint (bounded), for small lists like a member's loans. */
export async function getAll(path, query = {}, maxPages = 10) {
  const items = [];
  for (let page = 1; page <= maxPages; page += 1) {
    const data = await api.get(path, { ...query, page, per_page: 100 });
    items.push(...(data.items || []));
    if (!data.total || items.length >= data.total || (data.items || []).length === 0) break;
  }
  return items;
}
