// sw.js: the service worker that makes a second visit work offline. It
// keeps the app shell, the engine (lrp.wasm and wasm_exec.js) and the
// built-in model in a cache named after VERSION, answers same-origin GETs
// from that cache first (the network only for what is not cached yet, which
// is then cached), and deletes the caches of older versions on activate.
//
// VERSION is a hash of every file of the app, written to version.js by
// scripts/build.sh: a changed imported script is what makes browsers
// install the new version. A new version waits until no tab runs the old
// one (no skipWaiting), so a running page never mixes its JavaScript with
// another version's wasm.
importScripts('version.js');
const VERSION = self.LRP_BUILD || 'dev';
const PREFIX = 'lrp-explainer-';
const CACHE = PREFIX + VERSION;

const SHELL = [
  './',
  'index.html',
  'app.js',
  'pool.js',
  'worker.js',
  'style.css',
  'lrp.js',
  'lrp.wasm',
  'wasm_exec.js',
  'manifest.webmanifest',
  'icon.svg',
];
// Cached when present: a checkout without a trained model still installs.
const OPTIONAL = ['models/mnist.safetensors'];

const fresh = (url) => new Request(url, { cache: 'reload' });

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await cache.addAll(SHELL.map(fresh));
      await Promise.all(OPTIONAL.map((u) => cache.add(fresh(u)).catch(() => {})));
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET' || req.headers.has('range')) return;
  if (new URL(req.url).origin !== self.location.origin) return;
  event.respondWith(cacheFirst(req));
});

async function cacheFirst(req) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(req, { ignoreSearch: req.mode === 'navigate' });
  if (hit) return hit;
  try {
    const res = await fetch(req);
    if (res.ok && res.type === 'basic') await cache.put(req, res.clone());
    return res;
  } catch (err) {
    if (req.mode === 'navigate') {
      const shell = await cache.match('index.html');
      if (shell) return shell;
    }
    throw err;
  }
}
