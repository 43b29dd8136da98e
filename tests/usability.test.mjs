// Browser tests of the page as people use it (issue 18): on a phone with
// touch, at 1280×800, a photo on the digit model, the exports with their
// context, the keyboard focus, the heatmaps' text alternative, and an
// axe-core scan (WCAG 2 A and AA) of the main views. Debian's Chromium,
// headless, through playwright-core, against web/ on a static file server
// (tests/lib/page.mjs); each test in a fresh browser context. Run from the
// repository root after scripts/build.sh:
//   node --test tests/usability.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { chromiumArgs, chromiumPath, drawSeven, png, serveStatic, settle, stop } from './lib/page.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const web = path.join(root, 'web');
const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let browser, server;

before(async () => {
  assert.ok(fs.existsSync(chromiumPath), `${chromiumPath} is missing: apt-get install -y chromium`);
  for (const f of ['lrp.wasm', 'wasm_exec.js', 'version.js', 'models/mnist.safetensors']) {
    assert.ok(fs.existsSync(path.join(web, f)), `web/${f} is missing: run scripts/build.sh`);
  }
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [...chromiumArgs, '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
  });
  server = await serveStatic(web);
});

after(async () => {
  await browser?.close();
  if (server) await stop(server);
});

// open runs fn(page) on the app, loaded with its built-in model, in a new
// context with the given options, and checks that the page logged no error.
async function open(options, fn) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true, ...options });
  await context.grantPermissions(['camera'], { origin: server.url.replace(/\/$/, '') });
  const errors = [];
  try {
    const page = await context.newPage();
    page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    await page.goto(server.url);
    await page.waitForFunction(() => window.__lrpStats?.modelReady, null, { timeout: 60_000 });
    await fn(page, context);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
}

// box returns the bounding box of the element matching selector, in CSS
// pixels of the viewport, and whether all of it is inside the viewport.
async function box(page, selector) {
  return page.locator(selector).first().evaluate((e) => {
    const r = e.getBoundingClientRect();
    const inside = r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight;
    return { x: r.left, y: r.top, right: r.right, bottom: r.bottom, inside };
  });
}

const seven = [
  [[0.22, 0.2], [0.5, 0.2], [0.76, 0.2]],
  [[0.76, 0.2], [0.62, 0.5], [0.46, 0.84]],
];

// touch sends one touch point of a finger to the page: type is touchStart,
// touchMove or touchEnd, at (fx, fy), fractions of the pad's box b.
function touch(cdp, type, b, fx, fy) {
  const points = type === 'touchEnd' ? [] : [{ x: b.x + fx * (b.right - b.x), y: b.y + fy * (b.bottom - b.y) }];
  return cdp.send('Input.dispatchTouchEvent', { type, touchPoints: points });
}

test('on a 390×844 touch screen the heatmap follows the finger beside the pad, and the prediction shows without scrolling', async () => {
  await open({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 }, async (page, context) => {
    await page.evaluate(() => {
      window.__pointerTypes = new Set();
      document.getElementById('pad').addEventListener('pointerdown', (e) => window.__pointerTypes.add(e.pointerType));
    });
    const cdp = await context.newCDPSession(page);
    const pad = await box(page, '#pad');
    assert.ok(pad.inside, `the pad is on screen: ${JSON.stringify(pad)}`);
    for (const [k, stroke] of seven.entries()) {
      const live = await page.evaluate(() => __lrpStats.live.length);
      await touch(cdp, 'touchStart', pad, ...stroke[0]);
      for (let i = 1; i < stroke.length; i++) {
        const [[ax, ay], [bx, by]] = [stroke[i - 1], stroke[i]];
        for (let s = 1; s <= 6; s++) await touch(cdp, 'touchMove', pad, ax + ((bx - ax) * s) / 6, ay + ((by - ay) * s) / 6);
      }
      // While the finger is down: a heatmap of a move is drawn, and the
      // pad and the heatmap are both on screen.
      await page.waitForFunction((n) => window.__lrpStats.live.length > n, live, { timeout: 20_000 });
      const during = { pad: await box(page, '#pad'), heatmap: await box(page, '#heatmap'), scrollY: await page.evaluate(() => scrollY) };
      assert.ok(during.pad.inside, `stroke ${k + 1}: the pad is on screen while drawing: ${JSON.stringify(during)}`);
      assert.ok(during.heatmap.inside, `stroke ${k + 1}: the heatmap is on screen while drawing: ${JSON.stringify(during)}`);
      assert.equal(during.scrollY, 0, 'the page did not scroll');
      await touch(cdp, 'touchEnd', pad);
    }
    await settle(page, (_, s = window.__lrpStats) => s.last?.source === 'draw');
    assert.deepEqual(await page.evaluate(() => [...window.__pointerTypes]), ['touch'], 'drawn by touch');
    assert.equal(await page.evaluate(() => __lrpStats.last.predicted), 7);
    const top = await box(page, '#top li');
    assert.ok(top.inside, `the top prediction is on screen without scrolling: ${JSON.stringify(top)}`);
    assert.equal(await page.locator('#top li').first().locator('.label').textContent(), '7');
    assert.equal(await page.evaluate(() => scrollY), 0);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
  });
});

test('at 1280×800 the method menu sits beside the heatmap, above the fold, and switching methods needs no scrolling', async () => {
  await open({}, async (page) => {
    await drawSeven(page);
    await page.evaluate(() => scrollTo(0, 0));
    const heatmap = await box(page, '#heatmap');
    const composite = await box(page, '#composite');
    assert.ok(heatmap.inside, `the heatmap is on screen: ${JSON.stringify(heatmap)}`);
    assert.ok(composite.inside, `the method menu is on screen: ${JSON.stringify(composite)}`);
    assert.ok((await box(page, '#start')).inside, 'the start relevance is on screen');
    assert.ok((await box(page, '#top li')).inside, 'the top prediction is on screen');
    assert.ok(composite.x >= heatmap.right, `the method menu is right of the heatmap: ${JSON.stringify({ heatmap, composite })}`);
    const before = await page.evaluate(() => __lrpStats.last.heatmap.join());
    await page.selectOption('#composite', 'gradient');
    await settle(page, (_, s = window.__lrpStats) => s.last?.composite === 'gradient');
    assert.notEqual(await page.evaluate(() => __lrpStats.last.heatmap.join()), before, 'the heatmap changed');
    assert.equal(await page.evaluate(() => scrollY), 0, 'the page did not scroll');
  });
});

// ball is a colourful photo-like image, nothing like a digit: a red ball
// with a highlight on a blue-green gradient, w×h RGB.
function ball(w = 120, h = 90) {
  const px = Buffer.alloc(3 * w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = 3 * (y * w + x);
      const d = Math.hypot(x - 0.55 * w, y - 0.5 * h) / (0.3 * h);
      const lit = Math.max(0, 1 - Math.hypot(x - 0.5 * w, y - 0.4 * h) / (0.15 * h));
      if (d < 1) px.set([200 + 55 * lit, 40 + 200 * lit, 30 + 200 * lit], i);
      else px.set([20, 90 + (100 * y) / h, 160 + (80 * x) / w], i);
    }
  }
  return png(px, w, h, 3);
}

test('a photo on the digit model says what the model reads and how to explain photos; the webcam offers the digit preprocessing', async () => {
  await open({}, async (page) => {
    const notice = page.locator('#image-notice');
    assert.equal(await notice.isHidden(), true, 'no notice before a photo');
    let n = await page.evaluate(() => __lrpStats.explains);
    await page.setInputFiles('#image-file', { name: 'ball.png', mimeType: 'image/png', buffer: ball() });
    await settle(page, (n, s = window.__lrpStats) => s.explains > n && s.last?.source === 'image', n);
    assert.equal(await notice.isVisible(), true, 'the notice shows');
    const text = await page.locator('#image-notice-text').textContent();
    assert.match(text, /built-in model reads handwritten digits/);
    assert.match(text, /28×28/);
    assert.match(text, /A photo is read as if it were a digit/);
    assert.match(text, /image classifier/);
    assert.match(text, /ONNX or safetensors/);
    const prep = page.getByRole('checkbox', { name: /^Digit preprocessing: find the digit/ });
    assert.equal(await prep.isVisible(), true, 'the digit preprocessing is a visible, labelled choice');
    assert.equal(await prep.isChecked(), true);

    // Unticked, the photo is the model input whole: the input changes.
    const digit = await page.evaluate(() => Array.from(__lrpStats.last.input));
    n = await page.evaluate(() => __lrpStats.explains);
    await prep.uncheck();
    await settle(page, (n, s = window.__lrpStats) => s.explains > n, n);
    const whole = await page.evaluate(() => Array.from(__lrpStats.last.input));
    assert.notDeepEqual(whole, digit, 'without digit preprocessing the model input differs');
    n = await page.evaluate(() => __lrpStats.explains);
    await prep.check();
    await settle(page, (n, s = window.__lrpStats) => s.explains > n, n);
    assert.deepEqual(await page.evaluate(() => Array.from(__lrpStats.last.input)), digit, 'ticked again: the digit preprocessing');

    // A drawing is a digit: no notice.
    await drawSeven(page);
    assert.equal(await notice.isHidden(), true, 'no notice for a drawing');

    // The webcam: the same notice, for its frames, with the choice.
    n = await page.evaluate(() => __lrpStats.explains);
    await page.click('#webcam');
    await page.waitForFunction((n) => __lrpStats.explains > n && __lrpStats.last.source === 'webcam', n, { timeout: 20_000 });
    assert.equal(await notice.isVisible(), true, 'the notice shows for the webcam');
    assert.match(await page.locator('#image-notice-text').textContent(), /A webcam frame is read as if it were a digit/);
    assert.equal(await prep.isVisible(), true, 'the webcam offers the digit preprocessing');
    await page.click('#webcam');
    await settle(page);
  });
});

// chunks reads the chunks of a PNG file: [{type, data}], checking each CRC.
function chunks(buf) {
  assert.deepEqual([...buf.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG signature');
  const out = [];
  for (let at = 8; at < buf.length; ) {
    const len = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    const data = buf.subarray(at + 8, at + 8 + len);
    assert.equal(buf.readUInt32BE(at + 8 + len), zlib.crc32(buf.subarray(at + 4, at + 8 + len)), `the CRC of ${type}`);
    out.push({ type, data });
    at += 12 + len;
  }
  return out;
}

// readPNG returns a downloaded PNG's size, its text chunks (keyword → text)
// and the order of its chunk types.
function readPNG(buf) {
  const cs = chunks(buf);
  const ihdr = cs.find((c) => c.type === 'IHDR').data;
  const text = {};
  for (const c of cs.filter((c) => c.type === 'tEXt')) {
    const nul = c.data.indexOf(0);
    text[c.data.toString('latin1', 0, nul)] = c.data.toString('latin1', nul + 1);
  }
  return { width: ihdr.readUInt32BE(0), height: ihdr.readUInt32BE(4), text, types: cs.map((c) => c.type) };
}

async function download(page, id) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(id)]);
  return { name: dl.suggestedFilename(), bytes: fs.readFileSync(await dl.path()) };
}

test('a PNG export carries the colorbar and a caption under the heatmap, its settings in text chunks, and a name that tells start and rules', async () => {
  await open({}, async (page) => {
    await drawSeven(page);
    const heat = await download(page, '#export-heatmap');
    assert.equal(heat.name, 'lrp-mnist-epsilon_gamma_box-onehot-class7.heatmap.png');
    const png1 = readPNG(heat.bytes);
    assert.equal(png1.types.at(-1), 'IEND');
    assert.ok(png1.width >= 560, `width ${png1.width}`);
    assert.ok(png1.height >= 560 + 100, `the colorbar and caption make the image taller than the 560×560 heatmap: ${png1.width}×${png1.height}`);
    const desc = png1.text.Description;
    assert.ok(desc, `a Description: ${Object.keys(png1.text)}`);
    for (const line of ['Model: mnist.safetensors', 'Class: 7 (predicted)', 'Method: EpsilonGammaBox', 'Start relevance: One-hot', 'Per-layer rules: no']) {
      assert.ok(desc.split('\n').includes(line), `caption line ${JSON.stringify(line)} in ${JSON.stringify(desc)}`);
    }
    assert.match(png1.text.Title, /^Relevance for 7 by EpsilonGammaBox: /);
    const settings = JSON.parse(png1.text['lrp:settings']);
    assert.equal(settings.model, 'mnist.safetensors');
    assert.equal(settings.target, 7);
    assert.deepEqual({ composite: settings.settings.composite, start: settings.settings.start }, { composite: 'epsilon_gamma_box', start: 'onehot' });

    // The colorbar is drawn under the heatmap: a row below it that is blue
    // at a quarter of the width and red at three quarters (bwr).
    const bar = await page.evaluate(async (b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const img = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
      const c = new OffscreenCanvas(img.width, img.height);
      const ctx = c.getContext('2d');
      ctx.drawImage(img, 0, 0);
      const px = (x, y) => ctx.getImageData(x, y, 1, 1).data;
      for (let y = 560; y < img.height; y++) {
        const [r1, , b1] = px(Math.round(img.width / 4), y);
        const [r2, , b2] = px(Math.round((3 * img.width) / 4), y);
        if (b1 > r1 + 60 && r2 > b2 + 60) return y;
      }
      return -1;
    }, heat.bytes.toString('base64'));
    assert.ok(bar > 560, `a colorbar row under the heatmap (row ${bar})`);

    // Another start relevance and a per-layer rule: other names, and the caption says so.
    await page.selectOption('#start', 'logit');
    await settle(page, (_, s = window.__lrpStats) => s.last?.start === 'logit');
    await page.locator('#rules-details summary').click();
    const first = page.locator('#rules select[data-node]').first();
    const node = Number(await first.getAttribute('data-node'));
    await first.selectOption('epsilon');
    await settle(page, (node, s = window.__lrpStats) => s.last?.options.rules?.[node]?.rule === 'epsilon', node);
    const over = await download(page, '#export-overlay');
    assert.equal(over.name, 'lrp-mnist-epsilon_gamma_box-logit-rules-class7.overlay.png');
    const png2 = readPNG(over.bytes);
    assert.ok(png2.text.Description.includes('Start relevance: Logit of the class'), png2.text.Description);
    assert.ok(png2.text.Description.includes('Per-layer rules: yes, 1 layer overridden'), png2.text.Description);
    assert.equal(JSON.parse(png2.text['lrp:settings']).settings.rules[node].rule, 'epsilon');
    assert.equal((await download(page, '#export-json')).name, 'lrp-mnist-epsilon_gamma_box-logit-rules-class7.json');

    // Without the context: the heatmap alone, its settings still in the file.
    await page.uncheck('#export-context');
    const bare = readPNG((await download(page, '#export-heatmap')).bytes);
    assert.deepEqual([bare.width, bare.height], [560, 560]);
    assert.equal(JSON.parse(bare.text['lrp:settings']).settings.start, 'logit');
  });
});

test('keyboard: tabbing to "Upload image…" rings it and nothing else', async () => {
  await open({}, async (page) => {
    const rings = () => page.evaluate(() =>
      ['label[for="image-file"]', '#webcam', 'label[for="model-file"]', '#model-builtin']
        .filter((s) => { const e = document.querySelector(s); return e && getComputedStyle(e).outlineStyle !== 'none'; }));
    await page.focus('#clear');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'image-file');
    assert.deepEqual(await rings(), ['label[for="image-file"]']);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'webcam');
    assert.deepEqual(await rings(), ['#webcam']);
  });
});

test('the heatmaps are images whose text says the class, the method and where the relevance is', async () => {
  await open({}, async (page) => {
    await drawSeven(page);
    const label = () => page.locator('#heatmap').getAttribute('aria-label');
    assert.equal(await page.locator('#heatmap').getAttribute('role'), 'img');
    assert.equal(await page.locator('#overlay').getAttribute('role'), 'img');
    // The ninth of the picture (3×3) with the most positive relevance,
    // computed here from the relevance on screen.
    const region = async () => {
      const { relevance, width, height } = await page.evaluate(() => ({ relevance: Array.from(__lrpStats.last.relevance), width: __lrpStats.last.width, height: __lrpStats.last.height }));
      const cells = Array(9).fill(0);
      relevance.forEach((v, i) => {
        if (v > 0) cells[3 * Math.floor((3 * Math.floor(i / width)) / height) + Math.floor((3 * (i % width)) / width)] += v;
      });
      const k = cells.indexOf(Math.max(...cells));
      const names = ['in the upper left', 'at the top', 'in the upper right', 'on the left', 'in the centre', 'on the right', 'in the lower left', 'at the bottom', 'in the lower right'];
      return { name: names[k], share: Math.round((100 * cells[k]) / cells.reduce((a, b) => a + b)) };
    };
    let want = await region();
    assert.ok((await label()).startsWith(`Relevance for 7 by EpsilonGammaBox: for the class mostly ${want.name} (${want.share} % of it)`), await label());
    assert.match(await page.locator('#overlay').getAttribute('aria-label'), /^Relevance for 7 by EpsilonGammaBox: .*over the input$/);
    await page.selectOption('#composite', 'gradient');
    await settle(page, (_, s = window.__lrpStats) => s.last?.composite === 'gradient');
    want = await region();
    assert.ok((await label()).startsWith(`Relevance for 7 by Gradient: for the class mostly ${want.name} (${want.share} % of it)`), await label());
  });
});

// axe scans the page with axe-core for WCAG 2.0 A and AA rules, and for
// names that do not contain the visible text (WCAG 2.5.3, an axe
// experimental rule), and returns one line per violating element.
async function axe(page, view) {
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(axeSource);
  const results = await page.evaluate(async () => {
    const a = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] }, resultTypes: ['violations'] });
    const b = await window.axe.run(document, { runOnly: { type: 'rule', values: ['label-content-name-mismatch'] }, resultTypes: ['violations'] });
    return [...a.violations, ...b.violations].flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}: ${n.failureSummary.replace(/\s+/g, ' ')}`));
  });
  return results.map((r) => `${view}: ${r}`);
}

test('axe-core finds no WCAG 2 A/AA violation on the main views, light and dark, wide and phone', async () => {
  const found = [];
  await open({}, async (page) => {
    found.push(...(await axe(page, 'initial')));
    await drawSeven(page);
    found.push(...(await axe(page, 'drawn')));
    await page.locator('#rules-details summary').click();
    await page.click('#compare-run');
    await page.waitForFunction(() => [...document.querySelectorAll('#compare-grid .cell')].every((c) => c.dataset.state === 'done'), null, { timeout: 60_000 });
    await page.locator('#top button[data-index="1"]').click();
    await settle(page, (_, s = window.__lrpStats) => s.last?.target === 1);
    found.push(...(await axe(page, 'rules and compare open, class 1 explained')));
    await page.setInputFiles('#image-file', { name: 'ball.png', mimeType: 'image/png', buffer: ball() });
    await settle(page, (_, s = window.__lrpStats) => s.last?.source === 'image');
    found.push(...(await axe(page, 'a photo')));
  });
  await open({ colorScheme: 'dark' }, async (page) => {
    found.push(...(await axe(page, 'dark initial')));
    await drawSeven(page);
    await page.locator('#rules-details summary').click();
    await page.click('#compare-run');
    await page.waitForFunction(() => [...document.querySelectorAll('#compare-grid .cell')].every((c) => c.dataset.state === 'done'), null, { timeout: 60_000 });
    found.push(...(await axe(page, 'dark drawn')));
  });
  await open({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true }, async (page) => {
    await drawSeven(page);
    found.push(...(await axe(page, 'phone drawn')));
  });
  assert.deepEqual(found, []);
});
