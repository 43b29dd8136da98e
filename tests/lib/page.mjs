// Helpers of the tests and benchmarks that drive the web app in a browser:
// serving web/ with `lrp serve` or Python's http.server, launching Chromium, driving the page
// (waiting for it to settle, drawing a digit on the pad), and writing PNG
// files.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';
import { crc32 } from '../../web/png.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * serveStatic serves dir with Python's http.server, a static file server
 * that knows nothing of the project, on a free port of 127.0.0.1, and
 * resolves to {proc, url, log} once it answers (log: the request lines it
 * printed so far). wasmType, if given, replaces the type it sends for
 * .wasm, as hosts do that do not know the type.
 */
export async function serveStatic(dir, { wasmType } = {}) {
  const port = await freePort();
  const args = ['-u', '-m', 'http.server', '--bind', '127.0.0.1', String(port), '--directory', dir]; // -u: its log unbuffered
  if (wasmType) {
    // http.server asks the mimetypes module, which it shares with this prelude.
    const prelude = 'import mimetypes, runpy, sys; mimetypes.init(); mimetypes.add_type(sys.argv.pop(1), ".wasm"); ' +
      'sys.argv[0] = "http.server"; runpy.run_module("http.server", run_name="__main__")';
    args.splice(1, 2, '-c', prelude, wasmType);
  }
  const proc = spawn('python3', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const log = [];
  proc.stderr.on('data', (d) => log.push(...String(d).split('\n').filter(Boolean)));
  const exited = new Promise((_, reject) => proc.once('exit', (code) => reject(new Error(`python3 -m http.server exited with ${code}: ${log.join('\n')}`))));
  exited.catch(() => {});
  const url = `http://127.0.0.1:${port}/`;
  for (const deadline = Date.now() + 10_000; ;) {
    try {
      const res = await Promise.race([fetch(url), exited]);
      await res.body?.cancel();
      return { proc, url, log };
    } catch (err) {
      if (proc.exitCode !== null || Date.now() > deadline) {
        proc.kill();
        throw err;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

// freePort returns a TCP port of 127.0.0.1 that was free a moment ago.
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * stop kills a server of serve or serveStatic and resolves once it has
 * exited and its output has been read.
 */
export async function stop(server) {
  if (server.proc.exitCode !== null || server.proc.signalCode !== null) return;
  const exited = new Promise((r) => server.proc.once('close', r));
  server.proc.kill();
  await exited;
}

/** chromiumPath is Debian's Chromium, or $CHROMIUM. */
export const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';

/**
 * chromiumArgs run Chromium headless in a container (no sandbox, no GPU)
 * with nothing that calls home on its own: the tests check that every
 * request of a run goes to the page's origin.
 */
export const chromiumArgs = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** offOrigin returns the URLs of urls that are neither on origin nor blob: or data:. */
export function offOrigin(urls, origin) {
  return urls.filter((u) => !u.startsWith(`${origin}/`) && !/^(blob|data):/.test(u));
}

/**
 * serve starts `lrp serve` (the binary at lrp) on dir and a port (0: a free
 * one) and resolves to {proc, url} once it prints its URL.
 */
export function serve(lrp, dir, port = 0) {
  const proc = spawn(lrp, ['serve', '-dir', dir, '-port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(out);
      if (m) resolve({ proc, url: m[0] });
    });
    proc.stderr.on('data', (d) => process.stderr.write(`[lrp serve] ${d}`));
    proc.on('exit', (code) => reject(new Error(`lrp serve exited with ${code}: ${out}`)));
  });
}

/**
 * settle waits until `until` (a predicate run in the page with `arg`) holds
 * and then until the page has answered every request it made. The
 * predicates read window.__lrpStats; they cannot be built from strings in
 * the page, whose CSP forbids eval. On a timeout the error says what the
 * page shows: an engine error is more useful than a timeout.
 */
export async function settle(page, until = () => true, arg, timeout = 20_000) {
  try {
    await page.waitForFunction(until, arg, { timeout, polling: 20 });
    await page.waitForFunction(() => window.__lrpStats.idle(), null, { timeout, polling: 20 });
  } catch (err) {
    const shown = await page.evaluate(() =>
      ['explain-error', 'model-error', 'input-error', 'fatal'].map((id) => document.getElementById(id)).filter((e) => !e.hidden).map((e) => `#${e.id}: ${e.textContent}`));
    err.message += shown.length ? `\nthe page shows: ${shown.join('; ')}` : '';
    throw err;
  }
}

// stroke drags the mouse through points given as fractions of the pad,
// scrolled into view first if any of it is out of view (a click elsewhere
// may have scrolled the page).
async function stroke(page, points, steps = 6) {
  await page.evaluate(() => {
    const b = document.getElementById('pad').getBoundingClientRect();
    if (b.top < 0 || b.bottom > innerHeight) document.getElementById('pad').scrollIntoView({ block: 'center' });
  });
  const at = async (fx, fy) => {
    const b = await page.locator('#pad').boundingBox();
    return [b.x + fx * b.width, b.y + fy * b.height];
  };
  await page.mouse.move(...(await at(...points[0])));
  await page.mouse.down();
  for (const p of points.slice(1)) await page.mouse.move(...(await at(...p)), { steps });
  await page.mouse.up();
}

const seven = [
  [[0.22, 0.2], [0.5, 0.2], [0.76, 0.2]],
  [[0.76, 0.2], [0.62, 0.5], [0.46, 0.84]],
];

/**
 * drawSeven clears the pad, draws a 7 with the mouse and waits for its
 * explanation. The pad is scrolled into view first, all of it: a stroke
 * outside the viewport would reach nothing.
 */
export async function drawSeven(page) {
  await page.click('#clear');
  await page.locator('#pad').scrollIntoViewIfNeeded();
  const before = await page.evaluate(() => __lrpStats.explains);
  for (const s of seven) await stroke(page, s);
  await settle(page, (n, s = window.__lrpStats) => s.explains > n && s.last?.source === 'draw', before);
}

/**
 * dropFile drops a file named name with bytes (and MIME type) on the pad,
 * as a user dragging it from the desktop.
 */
export async function dropFile(page, name, bytes, type = '') {
  const dt = await page.evaluateHandle(
    ({ b64, name, type }) => {
      const bin = atob(b64);
      const u = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) u[i] = bin.charCodeAt(i);
      const dt = new DataTransfer();
      dt.items.add(new File([u], name, { type }));
      return dt;
    },
    { b64: Buffer.from(bytes).toString('base64'), name, type },
  );
  await page.dispatchEvent('#pad-wrap', 'dragover', { dataTransfer: dt });
  await page.dispatchEvent('#pad-wrap', 'drop', { dataTransfer: dt });
}

/**
 * png returns an 8-bit PNG of the w×h pixels in px (a Buffer): grayscale,
 * or RGB with channels = 3 (px then holds R, G, B of each pixel). The
 * chunks' CRC-32 is the page's own (web/png.js).
 */
export function png(px, w, h, channels = 1) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = channels === 3 ? 2 : 0; // RGB or grayscale
  const row = channels * w;
  const raw = Buffer.alloc((row + 1) * h);
  for (let y = 0; y < h; y++) px.copy(raw, y * (row + 1) + 1, y * row, (y + 1) * row);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * openApp is a browser test's start: it builds the lrp CLI into a new
 * temporary folder (named after name), serves web/ with it, opens the page
 * in a fresh headless Chromium profile at 1280×800, light, and resolves
 * once the built-in model is ready, to {tmp, server, origin, context, page,
 * requests, consoleErrors, close}: requests collects every URL the page
 * asks for, consoleErrors its console errors and uncaught exceptions, and
 * close() ends it all and removes the folder.
 */
export async function openApp(name) {
  if (!fs.existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: apt-get install -y chromium`);
  if (!fs.existsSync(path.join(root, 'web', 'lrp.wasm'))) throw new Error('web/lrp.wasm is missing: run scripts/build.sh');
  fs.mkdirSync(path.join(root, 'test-artifacts'), { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `lrp-${name}-`));
  const requests = [];
  const consoleErrors = [];
  let server, context;
  const close = async () => {
    await context?.close();
    if (server) await stop(server);
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  try {
    execFileSync('go', ['build', '-o', path.join(tmp, 'lrp'), './cmd/lrp'], { cwd: root, stdio: 'inherit' });
    server = await serve(path.join(tmp, 'lrp'), path.join(root, 'web'));
    context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
      executablePath: chromiumPath,
      headless: true,
      args: chromiumArgs,
      viewport: { width: 1280, height: 800 },
      colorScheme: 'light',
    });
    context.on('request', (r) => requests.push(r.url()));
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(`console: ${m.text()}`));
    page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
    const origin = server.url.replace(/\/$/, '');
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => window.__lrpStats?.modelReady, null, { timeout: 30_000 });
    return { tmp, server, origin, context, page, requests, consoleErrors, close };
  } catch (err) {
    await close();
    throw err;
  }
}
