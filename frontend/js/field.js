// The phone app's browser APIs (src/field.rs calls these): the outbox in IndexedDB, photos
// resized on the phone, the GPS position, the network's state and the service worker. Nothing
// here decides anything: Rust sends, retries and shows.

const DB_NAME = 'safegrid-field';
const STORE = 'outbox';

function open() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'external_id' });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function run(mode, f) {
  return open().then((db) => new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const result = f(tx.objectStore(STORE));
    tx.oncomplete = () => { db.close(); resolve(result && 'result' in result ? result.result : undefined); };
    tx.onerror = () => { db.close(); reject(tx.error); };
    tx.onabort = () => { db.close(); reject(tx.error); };
  }));
}

// Every entry of the outbox, as a JSON array (oldest first by `made_at`).
export async function outboxAll() {
  const all = await run('readonly', (s) => s.getAll());
  all.sort((a, b) => (a.made_at < b.made_at ? -1 : a.made_at > b.made_at ? 1 : 0));
  return JSON.stringify(all);
}

// Stores (or replaces) one entry, given as JSON; resolves once it is durable.
export async function outboxPut(entryJson) {
  await run('readwrite', (s) => s.put(JSON.parse(entryJson)));
}

// Removes one entry.
export async function outboxDelete(externalId) {
  await run('readwrite', (s) => s.delete(externalId));
}

// A photo resized so its longer side is at most `maxPx`, as JPEG base64 (no data: prefix).
export async function resizePhoto(file, maxPx, quality) {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, maxPx / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', quality));
  const url = await new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(r.result);
    r.onerror = () => reject(r.error);
    r.readAsDataURL(blob);
  });
  return String(url).split(',')[1];
}

// The phone's position as JSON `[lon, lat, accuracy_m]`; rejects with a message.
export function geolocate() {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) { reject('no geolocation'); return; }
    navigator.geolocation.getCurrentPosition(
      (p) => resolve(JSON.stringify([p.coords.longitude, p.coords.latitude, p.coords.accuracy])),
      (e) => reject(e.message || 'position unavailable'),
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });
}

// Whether the browser believes it is online.
export function isOnline() {
  return navigator.onLine;
}

// Calls `f` whenever the network comes back.
export function onOnline(f) {
  window.addEventListener('online', () => f());
}

// Registers the phone app's service worker (the app shell offline); silent where unsupported.
export function registerWorker() {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register('/m/sw.js', { scope: '/m/' }).catch(() => {});
}

// A fresh id for a report, made on the phone (16 random bytes, hex).
export function newId() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
