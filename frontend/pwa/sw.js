// The phone app's service worker (/m/): keeps the app shell (the page, its script, its
// WebAssembly, its styles, the map library) so /m/ opens without a network. API calls and
// tiles are never cached here: the outbox (IndexedDB) holds what waits to be sent.
const CACHE = 'safegrid-m-v1';
const SHELL = '/m/';

async function shellUrls() {
  const page = await fetch(SHELL, { cache: 'no-store' });
  const html = await page.clone().text();
  const urls = new Set(['/maplibre/maplibre-gl.mjs', '/maplibre/maplibre-gl-worker.mjs', '/m/manifest.webmanifest']);
  for (const m of html.matchAll(/["'](\/[^"'?#]+\.(?:js|mjs|wasm|css|png|svg))["']/g)) urls.add(m[1]);
  // The wasm-bindgen snippets the main script imports.
  for (const u of [...urls].filter((u) => u.endsWith('.js'))) {
    try {
      const js = await (await fetch(u, { cache: 'no-store' })).text();
      for (const m of js.matchAll(/["'](\.?\/snippets\/[^"']+)["']/g)) urls.add(new URL(m[1], self.location.origin + u).pathname);
    } catch (e) { /* offline during install: cached on first use instead */ }
  }
  return { page, urls: [...urls] };
}

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    const { page, urls } = await shellUrls();
    await cache.put(SHELL, page);
    await Promise.all(urls.map((u) => cache.add(u).catch(() => {})));
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
  if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/tiles/')) return;
  if (req.mode === 'navigate') {
    // The page: the network's when it answers (a new build), else the kept one.
    event.respondWith(fetch(req).then((res) => {
      if (res.ok) { const copy = res.clone(); caches.open(CACHE).then((c) => c.put(SHELL, copy)); }
      return res;
    }).catch(() => caches.match(SHELL)));
    return;
  }
  event.respondWith(caches.match(req).then((hit) => hit || fetch(req).then((res) => {
    if (res.ok && /\.(?:js|mjs|wasm|css|png|svg|pbf)$/.test(url.pathname)) {
      const copy = res.clone();
      caches.open(CACHE).then((c) => c.put(req, copy));
    }
    return res;
  })));
});
