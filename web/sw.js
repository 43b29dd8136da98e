// sw.js: the service worker that makes a second visit work offline. It
// keeps the app shell, the engine (lrp.wasm and wasm_exec.js) and the
// built-in model in a cache named after VERSION, answers same-origin GETs
// from that cache first (the network only for what is not cached yet, which
// is then cached), gives every page the app shell when the network fails,
// and deletes the caches of older versions on activate.
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

// The shell, index.html, is cached under its own name and the folder's
// ('./'): hosts serve it at either, or redirect one to the other. The other
// files are listed once, in scripts/build.sh, which writes them into
// version.js.
const SHELL = 'index.html';
const FILES = self.LRP_FILES ?? [];
// Cached when present: a checkout without a trained model still installs.
const OPTIONAL = ['models/mnist.safetensors'];

async function get(url) {
  const res = await fetch(url, { cache: 'reload' });
  if (!res.ok) throw new Error(`sw: ${url}: HTTP ${res.status}`);
  return res;
}

// plain returns res without the mark of the redirects that led to it.
// Static hosts redirect freely (Go's file server, so lrp serve, sends
// /index.html to ./; most send a folder to its name with a slash), and a
// browser fails a navigation answered with a redirected response
// (ERR_FAILED): the cache holds only plain copies.
function plain(res) {
  if (!res.redirected) return res;
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers: res.headers });
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const [shell, ...files] = await Promise.all([SHELL, ...FILES].map(get));
      const cache = await caches.open(CACHE);
      const page = plain(shell);
      await Promise.all([
        cache.put('./', page.clone()),
        cache.put(SHELL, page),
        ...files.map((res, i) => cache.put(FILES[i], plain(res))),
        ...OPTIONAL.map((u) => get(u).then((res) => cache.put(u, plain(res))).catch(() => {})),
      ]);
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
    if (res.ok && res.type === 'basic') await cache.put(req, plain(res.clone()));
    return res;
  } catch (err) {
    if (req.mode !== 'navigate') throw err;
    // Offline, every page gets the shell. One in a subfolder is sent to the
    // app's folder first: the shell's relative URLs resolve from the page's.
    const scope = self.registration.scope;
    if (new URL('./', req.url).href !== scope) return Response.redirect(scope, 302);
    const shell = await cache.match('./');
    if (shell) return shell;
    throw err;
  }
}
