// The phone app's service worker (/m/): keeps the app shell (the page, its script, its
// WebAssembly, its styles, the map library) so /m/ opens without a network. Files are asked of
// the network first (a new build is never hidden behind an old file) and the kept copy is used
// only when the network fails; what the network answers is kept, so nothing is downloaded twice,
// and each page load drops the built files an older page named. API calls, tiles and glyphs are
// never kept here: the outbox (IndexedDB) holds what waits to be sent.
const CACHE = 'safegrid-m-shell';
const SHELL = '/m/';
const ALWAYS = ['/maplibre/maplibre-gl.mjs', '/maplibre/maplibre-gl-worker.mjs', '/m/manifest.webmanifest',
                '/m/icon-192.png', '/m/icon-512.png'];
// Trunk's content-hashed files: `name-0123456789abcdef.js`, `…_bg.wasm`, `….css`.
const BUILT = /-[0-9a-f]{16}(?:_bg)?\.(?:js|wasm|css)$/;
const KEPT = /\.(?:js|mjs|wasm|css|png|svg|webmanifest)$/;

function named(html) {
  const files = new Set(ALWAYS);
  for (const m of html.matchAll(/["'](\/[^"'?#]+\.(?:js|mjs|wasm|css|png|svg))["']/g)) files.add(m[1]);
  return files;
}

// Keeps the page and drops built files it no longer names.
async function keepPage(page) {
  const html = await page.clone().text();
  const files = named(html);
  const cache = await caches.open(CACHE);
  await cache.put(SHELL, page);
  for (const req of await cache.keys()) {
    const path = new URL(req.url).pathname;
    if (BUILT.test(path) && !files.has(path)) await cache.delete(req);
  }
  return files;
}

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    try {
      // The first page was loaded before this worker ran: keep what it named (the browser's
      // HTTP cache answers most of it), with the wasm-bindgen snippets its script imports.
      const files = await keepPage(await fetch(SHELL));
      const cache = await caches.open(CACHE);
      for (const u of files) {
        const res = await fetch(u);
        if (!res.ok) continue;
        if (u.endsWith('.js')) {
          const js = await res.clone().text();
          for (const m of js.matchAll(/["'](\.?\/snippets\/[^"']+)["']/g)) {
            const s = new URL(m[1], self.location.origin + u).pathname;
            const r = await fetch(s);
            if (r.ok) await cache.put(s, r);
          }
        }
        await cache.put(u, res);
      }
    } catch (e) { /* offline while installing: kept as the files are next fetched */ }
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) if (key !== CACHE) await caches.delete(key);
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/tiles/') || url.pathname.startsWith('/glyphs/')) return;
  if (req.mode === 'navigate') {
    event.respondWith((async () => {
      try {
        const page = await fetch(req);
        if (page.ok && url.pathname.startsWith(SHELL)) event.waitUntil(keepPage(page.clone()).catch(() => {}));
        return page;
      } catch (e) {
        return (await caches.match(SHELL)) || Response.error();
      }
    })());
    return;
  }
  if (!KEPT.test(url.pathname)) return;
  event.respondWith((async () => {
    try {
      const res = await fetch(req);
      if (res.ok) {
        const copy = res.clone();
        event.waitUntil(caches.open(CACHE).then((c) => c.put(url.pathname, copy)));
      }
      return res;
    } catch (e) {
      return (await caches.match(url.pathname)) || Response.error();
    }
  })());
});
