// Member categories (loan rules), fetched once and shared by the views that need them.
import { api } from './api.js';

let cached = null;

/** The category list (staff only); rejects with ApiError for members. */
export function getCategories() {
  if (!cached) cached = api.get('/categories').then((d) => d.items).catch((err) => { cached = null; throw err; });
  return cached;
}

/** Call after the Admin view changes a category. */
export function forgetCategories() {
  cached = null;
}
