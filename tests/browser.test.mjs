// Browser tests of the web app (issue 6): Debian's Chromium driven by
// playwright-core, headless with a fresh profile, against web/ served by
// `lrp serve` on a free localhost port. One browser runs every test in
// order; every request, console error and CSP violation of the whole run is
// recorded and checked at the end. Run from the repository root after
// scripts/build.sh:  node --test tests/browser.test.mjs
//
// The pointer-to-paint latency over 100 strokes is printed as a benchmark
// figure (and written to test-artifacts/latency.json); it is not asserted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { init } from '../web/lrp.js';
import { reference } from './lib/fixtures.mjs';
import { chromiumArgs, chromiumPath, drawSeven as drawSevenOn, dropFile as dropFileOn, offOrigin, png, serve, settle as settleOn, stop } from './lib/page.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const artifacts = path.join(root, 'test-artifacts');
const csp = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; img-src 'self' blob: data:; worker-src 'self'; object-src 'none'; base-uri 'none'";

let tmp, server, origin, context, page;
const requests = [];
const consoleErrors = [];
const cspViolations = [];

// harvest keeps the page's CSP violations before a reload resets them.
async function harvest() {
  cspViolations.push(...(await page.evaluate(() => window.__lrpStats?.cspViolations ?? [])));
}

// ---------------------------------------------------------------- helpers

function startServer(port = 0) {
  return serve(path.join(tmp, 'lrp'), path.join(root, 'web'), port);
}

async function stopServer() {
  if (!server) return;
  await stop(server);
  server = null;
}

// digitPNG renders fixture input i (28×28 in [0, 1], white on black) as a
// PNG enlarged 4× — an ordinary image file, not the model input.
function digitPNG(x, scale = 4) {
  const w = 28 * scale;
  const gray = Buffer.alloc(w * w);
  for (let y = 0; y < w; y++) {
    for (let c = 0; c < w; c++) gray[y * w + c] = Math.round(255 * x[Math.floor(y / scale) * 28 + Math.floor(c / scale)]);
  }
  return png(gray, w, w);
}

const stats = (expr) => page.evaluate(expr);
const settle = (until, arg, timeout) => settleOn(page, until, arg, timeout);
const drawSeven = () => drawSevenOn(page);

const dropFile = (name, bytes, type) => dropFileOn(page, name, bytes, type);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

async function lastArrays() {
  return stats(() => ({
    relevance: Array.from(__lrpStats.last.relevance),
    input: Array.from(__lrpStats.last.input),
    heatmap: Array.from(__lrpStats.last.heatmap),
  }));
}

// offline runs fn with the server stopped and the browser offline, then
// brings both back (the server on the same port: the same origin).
async function offline(fn) {
  const port = new URL(origin).port;
  await harvest();
  await stopServer();
  await context.setOffline(true);
  try {
    await fn();
  } finally {
    await context.setOffline(false);
    server = await startServer(Number(port));
  }
}

// ---------------------------------------------------------------- setup

before(async () => {
  assert.ok(fs.existsSync(chromiumPath), `${chromiumPath} is missing: apt-get install -y chromium`);
  for (const f of ['lrp.js', 'lrp.wasm', 'wasm_exec.js']) {
    assert.ok(fs.existsSync(path.join(root, 'web', f)), `web/${f} is missing: run scripts/build.sh`);
  }
  fs.mkdirSync(artifacts, { recursive: true });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lrp-browser-'));
  execFileSync('go', ['build', '-o', path.join(tmp, 'lrp'), './cmd/lrp'], { cwd: root, stdio: 'inherit' });
  server = await startServer();
  origin = server.url.replace(/\/$/, '');

  context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
    executablePath: chromiumPath,
    headless: true,
    args: [...chromiumArgs, '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
    viewport: { width: 1360, height: 900 },
    colorScheme: 'light',
    acceptDownloads: true,
  });
  await context.grantPermissions(['camera'], { origin });
  context.on('request', (r) => requests.push(r.url()));
  page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`console: ${m.text()} (${m.location()?.url ?? ''})`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
  page.on('crash', () => consoleErrors.push('the page crashed'));
});

after(async () => {
  await context?.close();
  await stopServer();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

// ---------------------------------------------------------------- tests

test('the page loads the built-in model under its own CSP and says nothing leaves the device', async () => {
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => window.__lrpStats?.ready, null, { timeout: 30_000 });
  assert.equal(await stats(() => __lrpStats.modelReady), true, await page.locator('#model-error').textContent());
  assert.equal(await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content'), csp);
  assert.match(await page.locator('#privacy').innerText(), /Nothing leaves this device/);
  assert.equal(await stats(() => __lrpStats.poolSize), await stats(() => Math.min(8, navigator.hardwareConcurrency)));
  assert.ok((await page.locator('#composite option').count()) >= 10, 'composites listed');
  assert.ok((await page.locator('#rules tbody tr').count()) > 0, 'layers listed in the rule editor');
  const unnamed = await page.evaluate(() =>
    [...document.querySelectorAll('input, select, button, canvas')]
      .filter((e) => !(e.labels?.length || e.getAttribute('aria-label') || e.getAttribute('aria-hidden') || e.textContent.trim()))
      .map((e) => e.outerHTML.slice(0, 80)));
  assert.deepEqual(unnamed, [], 'controls without an accessible name');
});

test('drawing a 7 with the mouse predicts 7 with positive relevance on the stroke', async () => {
  await drawSeven();
  const last = await stats(() => ({ predicted: __lrpStats.last.predicted, target: __lrpStats.last.target, width: __lrpStats.last.width }));
  assert.equal(last.predicted, 7);
  assert.equal(last.target, 7);
  const { relevance, input } = await lastArrays();
  assert.equal(relevance.length, 28 * 28);
  let onPos = 0, offPos = 0, on = 0, off = 0;
  for (let i = 0; i < input.length; i++) {
    const p = Math.max(relevance[i], 0);
    if (input[i] > 0.2) (onPos += p), on++;
    else (offPos += p), off++;
  }
  const share = onPos / (onPos + offPos);
  const density = onPos / on / (offPos / off);
  console.log(`# stroke pixels: ${on}/${input.length}, positive relevance on them: ${(100 * share).toFixed(1)}%, ${density.toFixed(1)}× denser than off the stroke`);
  assert.ok(share > 0.5, `positive relevance on the stroke: ${share}`);
  assert.ok(density > 4, `positive relevance density on vs off the stroke: ${density}`);
  assert.equal(await page.locator('#top li').first().locator('.label').textContent(), '7');
  await page.waitForFunction(() => [...document.querySelectorAll('#compare-grid .cell')].every((c) => c.dataset.state === 'done'), null, { timeout: 30_000 });
  await page.screenshot({ path: path.join(artifacts, 'draw-7.png'), fullPage: true });
});

test('clicking another class explains it ("why not 1?")', async () => {
  const n = await stats(() => __lrpStats.explains);
  await page.locator('#top button[data-index="1"]').click();
  await settle((n, s = window.__lrpStats) => s.explains > n && s.last?.target === 1, n);
  assert.equal(await stats(() => __lrpStats.last.predicted), 7);
  assert.match(await page.locator('#explaining').textContent(), /why 1\?/);
  await page.click('#target-reset');
  await settle((_, s = window.__lrpStats) => s.last?.target === 7);
});

test('uploading a digit PNG through the file input gives the right class', async () => {
  const cases = JSON.parse(fs.readFileSync(reference('cnn.cases.json'), 'utf8'));
  for (const i of [2, 3, 8]) {
    const n = await stats(() => __lrpStats.explains);
    await page.setInputFiles('#image-file', { name: `digit-${cases.labels[i]}.png`, mimeType: 'image/png', buffer: digitPNG(cases.inputs[i]) });
    await settle((n, s = window.__lrpStats) => s.explains > n && s.last?.source === 'image', n);
    assert.equal(await stats(() => __lrpStats.last.predicted), cases.labels[i], `digit ${cases.labels[i]}`);
  }
});

test('the page with ?simd=0 runs on the pure-Go kernels and paints the same heatmap to the bit', async () => {
  const cases = JSON.parse(fs.readFileSync(reference('cnn.cases.json'), 'utf8'));
  const file = { name: 'digit.png', mimeType: 'image/png', buffer: digitPNG(cases.inputs[3]) };
  const explainOn = async (p) => {
    const n = await p.evaluate(() => __lrpStats.explains);
    await p.setInputFiles('#image-file', file);
    await settleOn(p, (n, s = window.__lrpStats) => s.explains > n && s.last?.source === 'image', n);
    return p.evaluate(() => ({
      simd: __lrpStats.last.simd,
      input: Array.from(__lrpStats.last.input),
      relevance: Array.from(__lrpStats.last.relevance),
      heatmap: Array.from(__lrpStats.last.heatmap),
    }));
  };
  const on = await explainOn(page);
  const other = await context.newPage();
  try {
    other.on('console', (m) => m.type() === 'error' && consoleErrors.push(`console (?simd=0): ${m.text()}`));
    other.on('pageerror', (e) => consoleErrors.push(`pageerror (?simd=0): ${e.message}`));
    await other.goto(`${origin}/?simd=0`);
    await other.waitForFunction(() => window.__lrpStats?.ready, null, { timeout: 30_000 });
    const off = await explainOn(other);
    assert.equal(on.simd, true, 'the page runs on the SIMD kernels by default');
    assert.equal(off.simd, false, 'with ?simd=0 the page runs on the pure-Go kernels');
    assert.deepEqual(off.input, on.input, 'the same model input');
    assert.deepEqual(off.relevance, on.relevance, 'the relevance, to the bit');
    assert.deepEqual(off.heatmap, on.heatmap, 'the heatmap pixels, to the bit');
    cspViolations.push(...(await other.evaluate(() => window.__lrpStats.cspViolations)));
  } finally {
    await other.close();
  }
});

test('switching the composite changes the heatmap', async () => {
  await drawSeven();
  const a = await lastArrays();
  await page.selectOption('#composite', 'gradient');
  await settle((_, s = window.__lrpStats) => s.last?.composite === 'gradient');
  const b = await lastArrays();
  assert.notDeepEqual(b.relevance, a.relevance);
  assert.notDeepEqual(b.heatmap, a.heatmap);
  await page.selectOption('#composite', 'epsilon_gamma_box');
  await settle((_, s = window.__lrpStats) => s.last?.composite === 'epsilon_gamma_box');
});

test('rendering controls and the per-layer rule editor take effect', async () => {
  const a = await lastArrays();
  await page.selectOption('#colormap', 'coldnhot');
  await page.waitForFunction((h) => __lrpStats.idle() && __lrpStats.last.heatmap.join() !== h, a.heatmap.join());
  const coldnhot = await stats(() => __lrpStats.last.heatmap.join());
  await page.check('input[name="sign"][value="positive"]');
  await page.waitForFunction((h) => __lrpStats.idle() && __lrpStats.last.heatmap.join() !== h, coldnhot);
  await page.check('input[name="sign"][value="all"]');
  await page.selectOption('#colormap', 'bwr');
  await page.fill('#alpha', '30');

  await page.locator('#rules-details summary').click();
  const first = page.locator('#rules select[data-node]').first();
  const node = Number(await first.getAttribute('data-node'));
  await first.selectOption('epsilon');
  await settle((node, s = window.__lrpStats) => s.last && document.querySelector(`#rules select[data-node="${node}"]`).value === 'epsilon', node);
  await page.waitForFunction(() => __lrpStats.idle() && [...document.querySelectorAll('#chain td')].some((td) => td.textContent === 'epsilon'));
  const b = await lastArrays();
  assert.notDeepEqual(b.relevance, a.relevance, 'an ε rule on the first layer changes the relevance');
  // The rule's parameter, through the input the editor made for it.
  const eps = page.getByLabel(`ε for layer ${node}`);
  assert.equal(await eps.inputValue(), '0.000001', 'the input shows the rule’s default');
  await eps.fill('10');
  await eps.dispatchEvent('change');
  await settle((node, s = window.__lrpStats) => s.last?.options.rules[node]?.epsilon === 10, node);
  assert.notDeepEqual((await lastArrays()).relevance, b.relevance, 'ε = 10 on the first layer changes the relevance');
  // The menu is the engine's catalogue: every rule of lrp.rules() for the
  // layer's kind, in its order, and no other.
  const kind = await page.locator(`#rules tbody tr:has(select[data-node="${node}"]) .kind`).textContent();
  const want = (await init()).rules().filter((r) => r.kinds.includes(kind)).map((r) => r.name);
  assert.deepEqual((await first.locator('option').evaluateAll((os) => os.map((o) => o.value))).slice(1), want, `the ${kind} menu lists lrp.rules()`);
  // αβ keeps α − β = 1 while typing: α = 3 alone makes β = 2, a valid rule.
  await first.selectOption('alphabeta');
  await settle((node, s = window.__lrpStats) => s.last?.options.rules[node]?.rule === 'alphabeta', node);
  const ab = await lastArrays();
  await page.getByLabel(`α for layer ${node}`).fill('3');
  await page.getByLabel(`α for layer ${node}`).dispatchEvent('change');
  assert.equal(await page.getByLabel(`β for layer ${node}`).inputValue(), '2', 'β follows α');
  await settle((node, s = window.__lrpStats) => s.last?.options.rules[node]?.alpha === 3 && s.last.options.rules[node].beta === 2, node);
  assert.equal(await page.locator('#explain-error').isHidden(), true, 'no error shown');
  assert.notDeepEqual((await lastArrays()).relevance, ab.relevance, 'α3β2 on the first layer changes the relevance');
  await page.click('#rules-reset');
  await settle();

  const c = await lastArrays();
  await page.selectOption('#start', 'contrastive');
  await settle((_, s = window.__lrpStats) => s.last?.start === 'contrastive');
  assert.notDeepEqual((await lastArrays()).relevance, c.relevance, 'a contrastive start changes the relevance');
  await page.selectOption('#start', 'onehot');
  await settle((_, s = window.__lrpStats) => s.last?.start === 'onehot');
});

test('the compare grid fills every cell from the Worker pool', async () => {
  await page.click('#compare-run');
  const cells = await page.locator('#compare-grid .cell').count();
  assert.ok(cells >= 10, `${cells} cells`);
  await page.waitForFunction(() => {
    const c = [...document.querySelectorAll('#compare-grid .cell')];
    return c.length && c.every((x) => x.dataset.state === 'done');
  }, null, { timeout: 30_000 });
  const blank = await page.evaluate(() =>
    [...document.querySelectorAll('#compare-grid .cell')].filter((cell) => {
      const c = cell.querySelector('canvas');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let painted = 0, white = 0;
      for (let i = 0; i < d.length; i += 4) {
        if (d[i + 3] > 0) painted++;
        if (d[i] === 255 && d[i + 1] === 255 && d[i + 2] === 255) white++;
      }
      return painted !== c.width * c.height || white === c.width * c.height;
    }).map((cell) => cell.dataset.method));
  assert.deepEqual(blank, [], 'blank compare cells');
  const s = await stats(() => __lrpStats.compare);
  console.log(`# compare grid: ${s.cells} methods in ${s.ms.toFixed(0)} ms on ${s.workers} Workers`);
  await page.locator('#compare-grid').screenshot({ path: path.join(artifacts, 'compare.png') });
});

test('the evaluation panel draws perturbation curves and an AOPC for every method, random included', async () => {
  await drawSeven();
  const cells = await page.locator('#compare-grid .cell').count();
  assert.equal(await page.locator('#evaluation-result').isHidden(), true, 'no evaluation before the button');
  // The paper's noise fill on 4×4 patches (the panel's default is ROAD,
  // whose own test is in panels.test.mjs).
  await page.selectOption('#evaluate-fill', 'uniform');
  const n = await stats(() => __lrpStats.evaluations ?? 0);
  await page.click('#evaluate-run');
  await page.waitForFunction((n) => (__lrpStats.evaluations ?? 0) > n, n, { timeout: 60_000 });
  await page.locator('#evaluation-result').waitFor({ state: 'visible' });
  const ev = await stats(() => __lrpStats.evaluation);
  assert.equal(ev.fill, 'uniform');
  assert.equal(ev.target, 7);
  assert.equal(ev.methods.length, cells + 1, 'the compare grid (with the current composite) and random');
  assert.ok(ev.methods.every((m) => m.points === 50), 'curves of 49 patches + 1');

  // The canvas holds curves: many painted pixels in several colours.
  const canvasStats = () => page.evaluate(() => {
    const c = document.getElementById('evaluation-curves');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let painted = 0;
    const colours = new Set();
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] > 200) painted++, colours.add((d[i] >> 4) * 256 + (d[i + 1] >> 4) * 16 + (d[i + 2] >> 4));
    }
    return { painted, colours: colours.size, total: c.width * c.height };
  });
  const drawn = await canvasStats();
  assert.ok(drawn.painted > 0.02 * drawn.total, `painted pixels: ${drawn.painted} of ${drawn.total}`);
  assert.ok(drawn.colours >= 10, `${drawn.colours} colours`);

  const rows = await page.locator('#evaluation-table tbody tr').evaluateAll((trs) =>
    trs.map((tr) => ({ method: tr.dataset.method, name: tr.cells[0].textContent, morf: tr.cells[1].textContent, lerf: tr.cells[2].textContent })));
  assert.deepEqual(rows.map((r) => r.method).sort(), ev.methods.map((m) => m.method).sort());
  assert.ok(rows.some((r) => r.method === 'random' && /Random/.test(r.name)), 'a random row');
  for (const r of rows) {
    assert.match(r.morf, /^-?\d+\.\d{3}$/, `${r.method} MoRF AOPC`);
    assert.match(r.lerf, /^-?\d+\.\d{3}$/, `${r.method} LeRF AOPC`);
  }
  assert.match(await page.locator('#evaluation-doc').textContent(), /higher MoRF AOPC means the heatmap found what the decision rests on/);
  const m = Object.fromEntries(ev.methods.map((x) => [x.method, x.aopcMorf.toFixed(2)]));
  console.log(`# evaluation of the drawn 7: ${ev.methods.length} methods in ${ev.ms.toFixed(0)} ms on ${ev.workers} Workers; MoRF AOPC epsilon_gamma_box ${m.epsilon_gamma_box}, gradient ${m.gradient}, random ${m.random}`);

  // LeRF curves are drawn dashed on request, without evaluating again.
  await page.check('#evaluate-lerf');
  const withLerf = await canvasStats();
  assert.notEqual(withLerf.painted, drawn.painted, 'the LeRF curves changed the plot');
  assert.equal(await stats(() => __lrpStats.evaluations), n + 1);
  await page.locator('#evaluation-panel').screenshot({ path: path.join(artifacts, 'evaluation.png') });
  await page.uncheck('#evaluate-lerf');
  await page.selectOption('#evaluate-fill', 'road');
});

test('exports the heatmap and overlay as PNG and the relevance with its settings as JSON', async () => {
  for (const id of ['#export-heatmap', '#export-overlay']) {
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click(id)]);
    const bytes = fs.readFileSync(await dl.path());
    assert.deepEqual([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47], `${id} is a PNG`);
    assert.match(dl.suggestedFilename(), /\.png$/);
  }
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#export-json')]);
  const doc = JSON.parse(fs.readFileSync(await dl.path(), 'utf8'));
  assert.equal(doc.relevance.length, 784);
  assert.equal(doc.settings.composite, 'epsilon_gamma_box');
  assert.equal(doc.predicted, 7);
  assert.ok(doc.diagnostics.layers.length > 0);
});

test('dropping the fixture cnn.onnx loads it and explains', async () => {
  const n = await stats(() => __lrpStats.explains);
  await dropFile('cnn.onnx', fs.readFileSync(reference('cnn.onnx')));
  await settle((n, s = window.__lrpStats) => s.explains > n && s.last?.model === 'cnn.onnx', n);
  assert.match(await page.locator('#model-info').innerText(), /cnn\.onnx/);
  assert.equal(await stats(() => __lrpStats.last.predicted), 7);
  assert.equal(await page.locator('#model-error').isHidden(), true);
});

test('dropping a garbage file shows an error and the app keeps working', async () => {
  // 3 MB of noise: large enough that reading it reports progress.
  let seed = 42;
  const garbage = Buffer.alloc(3 << 20, 0).map(() => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
  await dropFile('garbage.onnx', garbage);
  const err = page.locator('#model-error');
  await err.waitFor({ state: 'visible' });
  const msg = await err.textContent();
  assert.match(msg, /garbage\.onnx: (model|lrp):/);
  assert.match(msg, /still using cnn\.onnx/);
  assert.ok((await stats(() => __lrpStats.modelProgress)) > 0, 'progress was reported while reading');
  await drawSeven();
  assert.equal(await stats(() => __lrpStats.last.model), 'cnn.onnx');
  assert.equal(await stats(() => __lrpStats.last.predicted), 7);

  await page.click('#model-builtin');
  await settle((_, s = window.__lrpStats) => s.last?.model === 'mnist.safetensors');
  assert.equal(await err.isHidden(), true);
});

test('the webcam (fake device) gets a prediction, and stops', async () => {
  const n = await stats(() => __lrpStats.explains);
  await page.click('#webcam');
  await page.waitForFunction((n) => __lrpStats.explains > n + 2 && __lrpStats.last.source === 'webcam', n, { timeout: 20_000 });
  const top = await stats(() => __lrpStats.last.top);
  assert.ok(top.length === 3 && top[0].probability > 0);
  assert.equal(await page.getAttribute('#webcam', 'aria-pressed'), 'true');
  await page.click('#webcam');
  await settle();
  assert.equal(await page.evaluate(() => document.getElementById('camera').srcObject), null);
  assert.equal(await page.getAttribute('#webcam', 'aria-pressed'), 'false');
});

test('benchmark: pointer-move to painted heatmap over 100 strokes (built-in model)', async () => {
  // The compare grid would recompute in the pool between strokes and share
  // the two cores with the live Worker: measure the live path alone.
  await page.uncheck('#compare-auto');
  await page.click('#clear');
  await stats(() => (__lrpStats.live.length = 0));
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  let box;
  const at = (fx, fy) => [box.x + fx * box.width, box.y + fy * box.height];
  for (let k = 0; k < 100; k++) {
    if (k % 10 === 0) {
      await page.click('#clear');
      box = await page.locator('#pad').boundingBox(); // after any scrolling of the click
    }
    const x = 0.2 + 0.6 * rand();
    const y = 0.2 + 0.5 * rand();
    await page.mouse.move(...at(x, y));
    await page.mouse.down();
    for (let i = 1; i <= 4; i++) await page.mouse.move(...at(x + 0.04 * i * (rand() - 0.5), y + 0.06 * i));
    await page.mouse.up();
  }
  await settle();
  await page.waitForTimeout(50); // the last frame timestamps
  const live = await stats(() => __lrpStats.live.filter((r) => r.frame));
  assert.ok(live.length >= 100, `${live.length} live heatmaps`);
  const m = (f) => median(live.map(f));
  const result = {
    model: await stats(() => __lrpStats.last?.model),
    strokes: 100,
    heatmaps: live.length,
    medianMs: {
      moveToDrawn: m((r) => r.drawn - r.move),
      moveToNextFrame: m((r) => r.frame - r.move),
      eventToDrawn: m((r) => r.drawn - r.event),
      workerRoundTrip: m((r) => r.received - r.sent),
      inWorker: m((r) => r.worker),
      engine: m((r) => r.engine),
    },
  };
  fs.writeFileSync(path.join(artifacts, 'latency.json'), JSON.stringify(result, null, 2) + '\n');
  const t = result.medianMs;
  console.log(`# pointer-move handler → heatmap drawn: median ${t.moveToDrawn.toFixed(2)} ms; → next animation frame ${t.moveToNextFrame.toFixed(2)} ms; event timestamp → drawn ${t.eventToDrawn.toFixed(2)} ms (Worker round trip ${t.workerRoundTrip.toFixed(2)} ms, of which in the Worker ${t.inWorker.toFixed(2)} ms, in the engine ${t.engine.toFixed(2)} ms; ${live.length} heatmaps over 100 strokes, ${result.model})`);
  await page.check('#compare-auto');
});

test('a large model is explained on 2 Workers, the same to the bit as on one, all on this origin', async () => {
  // A synthetic ResNet-18 of width 32 at 128×128 (6 MB): its stage-1
  // convolutions have 9.4M multiply-adds each, above the engine's split
  // threshold. The compare grid stays off so that the timings are the live
  // path's alone.
  const from = requests.length;
  await page.uncheck('#compare-auto');
  const file = path.join(tmp, 'resnet-w32-128.safetensors');
  execFileSync(path.join(tmp, 'lrp'), ['synth', '-width', '32', '-size', '128', '-o', file], { stdio: 'ignore' });
  const model = fs.readFileSync(file);
  await dropFile('resnet-w32-128.safetensors', model);
  await page.waitForFunction(() => __lrpStats.split.state === 'ready', null, { timeout: 30_000 });
  assert.match(await page.locator('#model-info').innerText(), /resnet-w32-128/);
  assert.match(await page.locator('#split-status').innerText(), /2 Workers/);
  const loadMs = await stats(() => __lrpStats.split.loadMs);

  // A photo-sized input: rings and a bar, drawn on the pad by dropping it.
  const w = 128;
  const gray = Buffer.alloc(w * w);
  for (let y = 0; y < w; y++) {
    for (let x = 0; x < w; x++) gray[y * w + x] = 127 + 100 * Math.sin(Math.hypot(x - 50, y - 60) / 6) * (x > 90 && x < 100 ? -1 : 1);
  }
  let n = await stats(() => __lrpStats.explains);
  await dropFile('rings.png', png(gray, w, w), 'image/png');
  await settle((n, s = window.__lrpStats) => s.explains > n && s.last?.source === 'image' && s.last.model === 'resnet-w32-128.safetensors', n, 30_000);
  assert.equal(await stats(() => __lrpStats.last.workers), 2, 'the explanation ran on 2 Workers');
  const row = page.locator('#diag-stats div', { hasText: 'Workers' });
  assert.equal(await row.locator('dd').textContent(), '2 (split)');

  // More of the same for the timings: a change event on the method's
  // parameters explains the same input again.
  const times = [];
  for (let k = 0; k < 5; k++) {
    n = await stats(() => __lrpStats.explains);
    await page.dispatchEvent('#params', 'change');
    await settle((n, s = window.__lrpStats) => s.explains > n, n, 30_000);
    times.push(await stats(() => ({ workers: __lrpStats.last.workers, total: __lrpStats.last.timings.total, worker: __lrpStats.last.timings.worker })));
  }
  assert.deepEqual(times.map((t) => t.workers), [2, 2, 2, 2, 2]);
  const page2 = await stats(() => ({
    options: __lrpStats.last.options,
    input: Array.from(__lrpStats.last.input),
    relevance: Array.from(__lrpStats.last.relevance),
    heatmap: Array.from(__lrpStats.last.heatmap),
  }));

  // The same input and options explained by one engine alone (this
  // process's, the same lrp.wasm): the same numbers and pixels, to the bit.
  const lrp = await init();
  await lrp.loadModel(new Uint8Array(model));
  const one = [];
  let r;
  for (let k = 0; k < 3; k++) {
    r = await lrp.explain(Float32Array.from(page2.input), page2.options);
    one.push(r.timings.total);
  }
  const differ = (a, b) => a.length !== b.length ? `lengths ${a.length} and ${b.length}` : a.findIndex((v, i) => v !== b[i]);
  assert.equal(differ(page2.relevance, Array.from(r.relevance)), -1, 'first relevance value that differs');
  assert.equal(differ(page2.heatmap, Array.from(r.heatmap)), -1, 'first heatmap byte that differs');
  console.log(`# ${path.basename(file)}: partner Worker ready ${loadMs.toFixed(0)} ms after the model; engine time of a live explanation on 2 Workers median ${median(times.map((t) => t.total)).toFixed(1)} ms (in the Worker ${median(times.map((t) => t.worker)).toFixed(1)} ms), on one engine in Node ${median(one).toFixed(1)} ms`);

  // The partner Worker dies (it closes itself, which tells the page
  // nothing): the split in flight must not hang; it fails over to the live
  // Worker alone, with the same result.
  let partner = null;
  for (const w of page.workers()) if ((await w.evaluate(() => self.name)) === 'lrp-partner') partner = w;
  assert.ok(partner, 'a Worker named lrp-partner');
  await partner.evaluate(() => self.close());
  const errors = await stats(() => __lrpStats.errors);
  n = await stats(() => __lrpStats.explains);
  await page.dispatchEvent('#params', 'change');
  await settle((n, s = window.__lrpStats) => s.explains > n, n, 30_000);
  assert.equal(await stats(() => __lrpStats.split.state), 'failed');
  assert.match(await stats(() => __lrpStats.split.error), /second Worker stopped/);
  assert.equal(await stats(() => __lrpStats.last.workers), 1);
  assert.equal(await stats(() => __lrpStats.errors), errors, 'no error shown');
  assert.equal(differ(Array.from(await stats(() => __lrpStats.last.relevance)), page2.relevance), -1, 'the same relevance on one Worker');

  const foreign = offOrigin(requests.slice(from), origin);
  assert.deepEqual(foreign, [], 'requests to other origins');

  // Back to the built-in model: small, so the partner stops and one Worker explains.
  await page.click('#model-builtin');
  await page.waitForFunction(() => __lrpStats.split.state === 'off' && __lrpStats.modelReady, null, { timeout: 30_000 });
  await drawSeven();
  assert.equal(await stats(() => __lrpStats.last.model), 'mnist.safetensors');
  assert.equal(await stats(() => __lrpStats.last.workers), 1);
  await page.check('#compare-auto');
});

test('phone-sized and dark layouts render (screenshots)', async () => {
  await drawSeven();
  await page.setViewportSize({ width: 390, height: 844 });
  await page.emulateMedia({ colorScheme: 'dark' });
  await harvest();
  await page.reload();
  await page.waitForFunction(() => window.__lrpStats?.modelReady, null, { timeout: 30_000 });
  await drawSeven();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px on a phone`);
  await page.screenshot({ path: path.join(artifacts, 'phone-dark.png'), fullPage: true });
  await page.setViewportSize({ width: 1360, height: 900 });
  await page.emulateMedia({ colorScheme: 'light' });
});

test('after one visit the app reloads and explains offline', async () => {
  const controlled = await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    return !!navigator.serviceWorker.controller;
  });
  assert.ok(controlled, 'the service worker controls the page');
  await offline(async () => {
    await page.reload();
    await page.waitForFunction(() => window.__lrpStats?.ready, null, { timeout: 30_000 });
    assert.equal(await stats(() => __lrpStats.modelReady), true, 'the built-in model loads offline');
    await drawSeven();
    assert.equal(await stats(() => __lrpStats.last.predicted), 7);
    const caches = await page.evaluate(() => caches.keys());
    assert.equal(caches.filter((k) => k.startsWith('lrp-explainer-')).length, 1, `one versioned cache: ${caches}`);
    await page.evaluate(() => scrollTo(0, 0));
    await page.screenshot({ path: path.join(artifacts, 'offline.png') });
  });
});

test('/index.html, and offline any unknown page, get the app too', async () => {
  // lrp serve, like Go's file server and many hosts, redirects /index.html
  // to /: a cached redirect must not become the offline page. A page in a
  // subfolder lands on the app's own URL, where its relative URLs resolve.
  await harvest();
  await page.goto(`${origin}/index.html`);
  await page.waitForFunction(() => window.__lrpStats?.modelReady, null, { timeout: 30_000 });
  await offline(async () => {
    for (const [url, lands] of [['/index.html'], ['/no-such-page'], ['/no/such/page?x=1', '/']]) {
      await page.goto(`${origin}${url}`);
      assert.equal(new URL(page.url()).pathname, lands ?? url.split('?')[0]);
      await page.waitForFunction(() => window.__lrpStats?.ready, null, { timeout: 30_000 });
      assert.equal(await stats(() => __lrpStats.modelReady), true, `${url}: the built-in model loads offline`);
      await drawSeven();
      assert.equal(await stats(() => __lrpStats.last.predicted), 7, url);
      await harvest();
    }
  });
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => window.__lrpStats?.modelReady, null, { timeout: 30_000 });
});

test('every request was same-origin, with no console error or CSP violation in the whole run', async () => {
  const foreign = offOrigin(requests, origin);
  assert.deepEqual(foreign, [], 'requests to other origins');
  assert.ok(requests.some((u) => u.endsWith('/lrp.wasm')), 'the wasm was requested through the page');
  assert.deepEqual(consoleErrors, []);
  await harvest();
  assert.deepEqual(cspViolations, []);
});
