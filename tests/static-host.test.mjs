// Browser tests of the app as people deploy it: the built web/ folder on a
// static file server that knows nothing of the project (Python's
// http.server: no project MIME types, no headers of ours, no CSP header),
// once as it comes and once sending lrp.wasm as application/octet-stream,
// as hosts do that do not know the type. Each run, in a fresh browser
// context: the page loads, a drawn 7 is predicted and its heatmap painted,
// every request stays on the origin; then, with the server stopped and the
// browser offline, the page reloads and /index.html and an unknown page
// open the app. A last run uploads a new build over a month-old one, which
// such a host lets the browser cache for days, and sees it replace the old
// one. First, without a browser: the service worker's file list names every
// script and stylesheet of web/. Run from the repository root after
// scripts/build.sh:
//   node --test tests/static-host.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { chromiumArgs, chromiumPath, drawSeven, offOrigin, serveStatic, stop } from './lib/page.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const web = path.join(root, 'web');

let browser;

before(async () => {
  assert.ok(fs.existsSync(chromiumPath), `${chromiumPath} is missing: apt-get install -y chromium`);
  assert.doesNotThrow(() => execFileSync('python3', ['--version']), 'python3 is missing: apt-get install -y python3');
  for (const f of ['lrp.wasm', 'wasm_exec.js', 'version.js', 'models/mnist.safetensors']) {
    assert.ok(fs.existsSync(path.join(web, f)), `web/${f} is missing: run scripts/build.sh`);
  }
  browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
});

after(async () => {
  await browser?.close();
});

// heatmapPixels counts the pixels of the heatmap canvas that are painted
// (opaque), and of those, the ones not white (white is zero relevance).
function heatmapPixels(page) {
  return page.evaluate(() => {
    const c = document.getElementById('heatmap');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let painted = 0, coloured = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] === 255) painted++;
      if (d[i + 3] === 255 && (d[i] < 250 || d[i + 1] < 250 || d[i + 2] < 250)) coloured++;
    }
    return { painted, coloured, total: c.width * c.height };
  });
}

// appWorks waits for the page to load the built-in model, draws a 7 and
// checks what the page shows: the prediction and a heatmap that is not blank.
async function appWorks(page, where) {
  await page.waitForFunction(() => window.__lrpStats?.ready, null, { timeout: 30_000 });
  assert.equal(await page.evaluate(() => __lrpStats.modelReady), true, `${where}: ${await page.locator('#model-error').textContent()}`);
  await drawSeven(page);
  assert.equal(await page.locator('#top li').first().locator('.label').textContent(), '7', `${where}: the top class`);
  const px = await heatmapPixels(page);
  assert.equal(px.painted, px.total, `${where}: heatmap pixels painted`);
  assert.ok(px.coloured > 20, `${where}: ${px.coloured} heatmap pixels not white`);
}

// until polls the async predicate f until it holds (page.waitForFunction
// does not wait for a promise).
async function until(f, what, timeout = 20_000) {
  for (const deadline = Date.now() + timeout; !(await f()); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('the service worker caches every script and stylesheet of web/ (the list in scripts/build.sh)', () => {
  const self = {};
  new Function('self', fs.readFileSync(path.join(web, 'version.js'), 'utf8'))(self);
  // sw.js is the service worker itself and version.js its import.
  const files = fs.readdirSync(web).filter((f) => /\.(m?js|css)$/.test(f) && f !== 'sw.js' && f !== 'version.js');
  assert.deepEqual(files.filter((f) => !self.LRP_FILES.includes(f)), [], 'files missing from files=(…) in scripts/build.sh');
  assert.deepEqual(self.LRP_FILES.filter((f) => !fs.existsSync(path.join(web, f))), [], 'listed files missing from web/');
});

for (const wasmType of [undefined, 'application/octet-stream']) {
  const name = wasmType ? `lrp.wasm sent as ${wasmType}` : 'as it comes';
  test(`Python's http.server (${name}): the app draws, explains and works offline`, async () => {
    const server = await serveStatic(web, { wasmType });
    const origin = server.url.replace(/\/$/, '');
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    const requests = [];
    const errors = [];
    context.on('request', (r) => requests.push(r.url()));
    try {
      const types = {};
      for (const f of ['lrp.wasm', 'lrp.js', 'manifest.webmanifest']) {
        const res = await fetch(`${server.url}${f}`, { method: 'HEAD' });
        types[f] = res.headers.get('content-type');
      }
      console.log(`# ${name}: ${Object.entries(types).map(([f, t]) => `${f} ${t}`).join(', ')}`);
      if (wasmType) assert.equal(types['lrp.wasm'], wasmType);

      const page = await context.newPage();
      page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      await page.goto(`${server.url}`);
      await appWorks(page, 'online');
      await page.waitForFunction(() => window.__lrpStats.offlineReady && navigator.serviceWorker.controller, null, { timeout: 30_000 });
      assert.ok(server.log.some((l) => l.includes('"GET /lrp.wasm HTTP/1.1" 200')), 'the wasm came from the static server');
      assert.ok(requests.some((u) => u.endsWith('/lrp.wasm')), 'the requests of Workers are recorded');
      assert.deepEqual(offOrigin(requests, origin), [], 'requests to other origins');

      await stop(server);
      await context.setOffline(true);
      await page.reload();
      await appWorks(page, 'offline, reloaded');
      for (const url of ['/index.html', '/no-such-page']) {
        await page.goto(`${origin}${url}`);
        await appWorks(page, `offline, ${url}`);
      }
      assert.deepEqual(offOrigin(requests, origin), [], 'requests to other origins');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
      await stop(server);
    }
  });
}

test("Python's http.server: a new build uploaded over a month-old one reaches the next visit", async () => {
  // The host sends Last-Modified and no Cache-Control, so the browser keeps
  // a month-old file in its HTTP cache for a tenth of that age, days.
  const site = fs.mkdtempSync(path.join(os.tmpdir(), 'lrp-site-'));
  fs.cpSync(web, site, { recursive: true });
  const old = new Date(Date.now() - 30 * 86_400_000);
  for (const f of fs.readdirSync(site, { recursive: true })) fs.utimesSync(path.join(site, f), old, old);
  const server = await serveStatic(site);
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(server.url);
    await page.waitForFunction(() => window.__lrpStats?.offlineReady && navigator.serviceWorker.controller, null, { timeout: 30_000 });
    const before = await page.evaluate(() => caches.keys());
    assert.equal(before.length, 1, `${before}`);

    // The next build: only its version differs, which is all the service
    // worker compares (its file list stays).
    const version = path.join(site, 'version.js');
    fs.writeFileSync(version, fs.readFileSync(version, 'utf8').replace(/LRP_BUILD = '[^']*'/, "LRP_BUILD = 'next'"));
    await page.reload();
    await until(() => page.evaluate(async () => !!(await navigator.serviceWorker.getRegistration())?.waiting), 'a new service worker waits');
    // It takes over once no tab runs the old one, and deletes the old cache.
    await page.close();
    const next = await context.newPage();
    await next.goto(server.url);
    await until(async () => (await next.evaluate(() => caches.keys())).join() === 'lrp-explainer-next', 'only the new cache');
    await next.waitForFunction(() => window.__lrpStats?.modelReady, null, { timeout: 30_000 });
  } finally {
    await context.close();
    await stop(server);
    fs.rmSync(site, { recursive: true, force: true });
  }
});
