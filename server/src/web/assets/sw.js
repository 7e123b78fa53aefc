// Gridline citizen page's service worker: keeps the page, its assets and the rules it reads
// (the report form's limits and words, the categories) so the page opens and a report can be
// written with no signal. It answers only those addresses (network first, the kept copy when
// the network fails) and lets every other request, the API calls that send reports included,
// go to the network untouched; the page's IndexedDB outbox does the waiting and the sending.
"use strict";

const CACHE = "gridline-web-v1";
const SHELL = ["/report", "/web/app.js", "/web/app.css", "/web/icon.svg", "/api/v1/public/report-form", "/api/v1/categories"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

function kept(url) {
  if (url.origin !== self.location.origin) return null;
  if (url.pathname.startsWith("/track/")) return "/report"; // the same page reads its number from the address
  return SHELL.includes(url.pathname) ? url.pathname : null;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const key = kept(new URL(request.url));
  if (!key) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    try {
      const fresh = await fetch(request);
      if (fresh.ok && key === new URL(request.url).pathname) await cache.put(key, fresh.clone());
      return fresh;
    } catch (offline) {
      const copy = await cache.match(key);
      if (copy) return copy;
      throw offline;
    }
  })());
});
