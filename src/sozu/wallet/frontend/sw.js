// The wallet's service worker: the shell (pages, bundles, styles) works offline.
// Pages and the JS message catalogs: network first, the cached copy when offline. Static assets: cache first.
// Nothing from /wallet/api/ or Horizon is cached here (balances are kept by the page itself).

const CACHE = "sozu-wallet-v1";
const SHELL = [
  "/wallet/",
  "/wallet/movimientos/",
  "/wallet/recibir/",
  "/wallet/pagar/",
  "/wallet/credito/",
  "/wallet/entrar/",
  "/wallet/recuperar/",
  "/wallet/codigo/",
  "/wallet/manifest.webmanifest",
  // The JS messages, one URL per language (settings.LANGUAGES): offline, a page finds its own.
  "/wallet/jsi18n/es/",
  "/wallet/jsi18n/en/",
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      // Without cookies: the shell carries nothing of hers, and a response to a request made
      // with the session cookie of before her sign-in would clear the new session's cookie.
      .then((cache) =>
        Promise.all(
          SHELL.map((url) =>
            cache.add(new Request(url, { credentials: "omit" })).catch(() => null),
          ),
        ),
      )
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/")) {
    // Stale while revalidate: the cached copy at once, a fresh one for next time.
    event.respondWith(
      caches.match(request).then((hit) => {
        const fresh = fetch(request)
          .then((response) => {
            if (response.ok) {
              const copy = response.clone();
              caches.open(CACHE).then((cache) => cache.put(request, copy));
            }
            return response;
          })
          .catch(() => hit);
        return hit || fresh;
      }),
    );
    return;
  }
  if (SHELL.includes(url.pathname)) {
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok) {
            const copy = response.clone();
            caches.open(CACHE).then((cache) => cache.put(url.pathname, copy));
          }
          return response;
        })
        .catch(() => caches.match(url.pathname)),
    );
  }
});
