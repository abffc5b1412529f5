// The page's service worker: keeps the page and its code (every file of web/, listed here; a test
// checks the list against the folder), so a desk whose network is down still opens Pustaka, its
// queued scans and its local copy (web/js/offline.js). Nothing is downloaded from elsewhere.
// Network first: online, every file comes fresh from the server (and refreshes the kept copy);
// offline, the kept copy answers. The API (/api/) is never kept here.
const CACHE = 'pustaka-page-v1';
const FILES = [
  '/',
  '/css/app.css',
  '/favicon.svg',
  '/index.html',
  '/js/api.js',
  '/js/app.js',
  '/js/categories.js',
  '/js/dom.js',
  '/js/format.js',
  '/js/forms.js',
  '/js/i18n.js',
  '/js/offline.js',
  '/js/scanqueue.js',
  '/js/session.js',
  '/js/ui.js',
  '/js/views/account.js',
  '/js/views/admin.js',
  '/js/views/backup.js',
  '/js/views/catalog.js',
  '/js/views/classsets.js',
  '/js/views/reading.js',
  '/js/views/collection.js',
  '/js/views/copycat.js',
  '/js/views/desk.js',
  '/js/views/firststart.js',
  '/js/views/imports.js',
  '/js/views/kiosk.js',
  '/js/views/loans.js',
  '/js/views/login.js',
  '/js/views/members.js',
  '/js/views/notices.js',
  '/js/views/print.js',
  '/js/views/reports.js',
  '/js/views/settings.js',
  '/js/views/stocktake.js',
  '/js/views/visits.js',
  '/manifest.webmanifest',
];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith('/api/')
    || url.pathname === '/metrics') return;
  event.respondWith(fetch(request).then((response) => {
    if (response.ok && response.type === 'basic') {
      const copy = response.clone();
      caches.open(CACHE).then((cache) => cache.put(request, copy));
    }
    return response;
  }).catch(async () => {
    const cache = await caches.open(CACHE);
    const kept = await cache.match(request, { ignoreSearch: true });
    if (kept) return kept;
    // A page address (#/meja is a hash, but /meja-like paths fall back to the page as the server does).
    if (request.mode === 'navigate') return cache.match('/index.html');
    return Response.error();
  }));
});
