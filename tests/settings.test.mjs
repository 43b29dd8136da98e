// Browser tests of a model's settings in the page (issue 18, "ImageNet-
// ready"): a torchvision ResNet-18 export shows ImageNet's class names and
// mean/std as assumed, in the Model card; the normalization chosen there
// (none, ImageNet's, custom values) is what the model gets, checked
// against the hand computation (p/255 − mean[c]) / std[c]; class names come
// from the menu or from a names file dropped next to the model, and a bad
// one shows an error and changes nothing; and the settings reach every
// Worker that holds the model — the pool's (those that open the model
// after the change and those that hold it already) and the partner of a
// split explanation — checked against this process's engine, configured
// alike. Debian's Chromium driven by playwright-core against web/ served
// by `lrp serve`. Run from the repository root after scripts/build.sh:
//   node --test tests/settings.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { init } from '../web/lrp.js';
import { dropFile as dropFileOn, offOrigin, openApp, png, settle as settleOn } from './lib/page.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const artifacts = path.join(root, 'test-artifacts');
const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const resnet = fs.readFileSync(path.join(root, 'model/testdata/onnx/resnet18_narrow.onnx'));
const imagenet = fs.readFileSync(path.join(root, 'model/imagenet_classes.txt'), 'utf8').split('\n').filter(Boolean);
const mean = [0.485, 0.456, 0.406];
const std = [0.229, 0.224, 0.225];

let app, tmp, origin, page, requests, consoleErrors;

const stats = (f, arg) => page.evaluate(f, arg);
const settle = (until, arg, timeout = 60_000) => settleOn(page, until, arg, timeout);
const dropFile = (name, bytes, type) => dropFileOn(page, name, bytes, type);

// photo is a w×w RGB PNG of one colour, rgb.
const photo = (w, rgb) => png(Buffer.alloc(3 * w * w).map((_, i) => rgb[i % 3]), w, w, 3);

// configure makes change in the Model card with act() and waits for the
// explanation of the new settings (the page explains again once the live
// Worker has them).
async function configure(act) {
  const c = await stats(() => __lrpStats.configured ?? 0);
  await act();
  await settle((c, s = window.__lrpStats) => (s.configured ?? 0) > c, c);
}

// worst is the largest |input[i] − want(c)| over the model input on
// screen, c the channel of value i.
async function worst(want) {
  const input = await stats(() => Array.from(__lrpStats.last.input));
  const plane = input.length / 3;
  let w = 0;
  input.forEach((v, i) => (w = Math.max(w, Math.abs(v - want(Math.floor(i / plane))))));
  return w;
}

// classList is the class names of the Prediction card.
const classList = () => page.locator('#top .label').allTextContents();

// normChoice is the checked normalization of the Model card.
const normChoice = () => page.locator('input[name="norm"]:checked').getAttribute('value');

const chooseNorm = (value) => page.locator(`#norm label:has(input[value="${value}"])`).click();

before(async () => {
  app = await openApp('settings');
  ({ tmp, origin, page, requests, consoleErrors } = app);
});

after(() => app?.close());

// synth writes a synthetic ResNet of width w at size s×s, with no
// normalization in its file (lrp convert -mean none), and returns its path.
function synth(w, s) {
  const made = path.join(tmp, `synth-w${w}-${s}.safetensors`);
  const file = path.join(tmp, `resnet-w${w}-${s}-raw.safetensors`);
  execFileSync(path.join(tmp, 'lrp'), ['synth', '-width', String(w), '-size', String(s), '-dtype', 'F32', '-o', made], { stdio: 'ignore' });
  execFileSync(path.join(tmp, 'lrp'), ['convert', made, '-mean', 'none', '-dtype', 'F32', '-o', file], { stdio: 'ignore' });
  return file;
}

// openModel drops a model file on the page and waits until it is loaded,
// with the compare grid off (it would share the cores).
async function openModel(name, bytes) {
  await dropFile(name, bytes);
  await page.waitForFunction((name) => document.getElementById('model-info').innerText.includes(name), name, { timeout: 60_000 });
  await page.uncheck('#compare-auto');
}

test('a torchvision ResNet-18 shows ImageNet names and mean/std as assumed, and the normalization chosen is what the model gets', async () => {
  await openModel('resnet18_narrow.onnx', resnet);
  const assumed = page.locator('#labels-assumed');
  assert.equal(await assumed.isVisible(), true, 'the names are said to be assumed');
  assert.match(await assumed.innerText(), /ImageNet class names assumed — change/);
  assert.equal(await page.inputValue('#labels-choice'), 'default');
  assert.match(await page.locator('#labels-choice option:checked').textContent(), /ImageNet/);
  assert.deepEqual(await page.locator('#labels-choice option').evaluateAll((os) => os.map((o) => o.value)), ['default', 'indices']);
  assert.equal(await page.locator('#norm').isVisible(), true, 'a choice of normalization');
  assert.equal(await normChoice(), 'imagenet');
  assert.match(await page.locator('#norm-note').innerText(), /assumed/);
  const facts = await page.locator('#model-info').innerText();
  assert.match(facts, /Normalization\s+\(x − mean\) \/ std, mean 0\.485, 0\.456, 0\.406, std 0\.229, 0\.224, 0\.225 — ImageNet’s, assumed/);
  assert.match(facts, /Class names\s+ImageNet’s, assumed/);

  // A photo of one colour: the model gets (p/255 − mean[c]) / std[c].
  const rgb = [51, 153, 204];
  let n = await stats(() => __lrpStats.explains);
  await dropFile('blue.png', photo(224, rgb), 'image/png');
  await settle((n, s = window.__lrpStats) => s.explains > n && s.last?.model === 'resnet18_narrow.onnx' && s.last.source === 'image', n);
  const names = await classList();
  assert.ok(names.length >= 3, `classes shown: ${names}`);
  for (const c of names) assert.ok(imagenet.includes(c), `${c} is an ImageNet class name`);
  const imagenetInput = await worst((c) => (rgb[c] / 255 - mean[c]) / std[c]);
  assert.ok(imagenetInput < 1e-5, `model input against (p/255 − mean[c]) / std[c]: worst ${imagenetInput}`);
  const before = await stats(() => Array.from(__lrpStats.last.input.slice(0, 3)));

  // None: the pixels as they are.
  await configure(() => chooseNorm('none'));
  assert.equal(await normChoice(), 'none');
  assert.match(await page.locator('#model-info').innerText(), /Normalization\s+none \(set here\)/);
  const raw = await worst((c) => rgb[c] / 255);
  assert.ok(raw < 1e-6, `model input against p/255: worst ${raw}`);
  assert.notDeepEqual(await stats(() => Array.from(__lrpStats.last.input.slice(0, 3))), before, 'the input changed');
  assert.equal(await page.locator('#model-error').isHidden(), true);

  // Custom values, one mean and one std per channel.
  await chooseNorm('custom');
  assert.equal(await page.locator('#norm-custom').isVisible(), true);
  const custom = { mean: [0.5, 0.25, 0], std: [0.5, 0.25, 2] };
  for (const what of ['mean', 'std']) {
    for (let c = 0; c < 3; c++) await page.fill(`#norm-values input[data-what="${what}"][data-channel="${c}"]`, String(custom[what][c]));
  }
  await configure(() => page.click('#norm-apply'));
  assert.equal(await normChoice(), 'custom');
  const set = await worst((c) => (rgb[c] / 255 - custom.mean[c]) / custom.std[c]);
  assert.ok(set < 1e-5, `model input against custom values: worst ${set}`);
  assert.match(await page.locator('#model-info').innerText(), /mean 0\.5, 0\.25, 0, std 0\.5, 0\.25, 2 — set here/);

  // A bad value is refused, shown, and changes nothing.
  const configured = await stats(() => __lrpStats.configured);
  await page.fill('#norm-values input[data-what="std"][data-channel="1"]', '0');
  await page.click('#norm-apply');
  await page.locator('#model-error').waitFor({ state: 'visible' });
  assert.match(await page.locator('#model-error').textContent(), /^app: settings: .*std/);
  assert.equal(await stats(() => __lrpStats.configured), configured);
  assert.ok((await worst((c) => (rgb[c] / 255 - custom.mean[c]) / custom.std[c])) < 1e-5, 'the same input');

  await configure(() => chooseNorm('imagenet'));
  assert.ok((await worst((c) => (rgb[c] / 255 - mean[c]) / std[c])) < 1e-5, 'ImageNet’s again');
  assert.equal(await page.locator('#model-error').isHidden(), true, 'the error went with the next change');
  await page.locator('.model-card').screenshot({ path: path.join(artifacts, 'model-settings.png') });
});

test('class names: indices from the menu, a names file dropped next to the model, and a bad one changes nothing', async () => {
  await configure(() => page.selectOption('#labels-choice', 'indices'));
  for (const c of await classList()) assert.match(c, /^\d+$/);
  assert.equal(await page.locator('#labels-assumed').isHidden(), true);

  // A text file, one name per line.
  const lines = Array.from({ length: 1000 }, (_, i) => `class ${i}`);
  await configure(() => dropFile('names.txt', Buffer.from(lines.join('\n') + '\n'), 'text/plain'));
  const shown = await classList();
  const top = await stats(() => __lrpStats.last.top.map((t) => t.index)); // the first three
  assert.deepEqual(shown.slice(0, top.length), top.map((i) => `class ${i}`));
  for (const c of shown) assert.match(c, /^class \d+$/);
  assert.equal(await page.inputValue('#labels-choice'), 'custom');
  assert.match(await page.locator('#labels-choice option:checked').textContent(), /names\.txt/);
  assert.match(await page.locator('#model-info').innerText(), /Class names\s+from names\.txt/);

  // A JSON file, through the file input.
  const json = JSON.stringify(Object.fromEntries(lines.map((_, i) => [String(i), [`n${i}`, `json ${i}`]])));
  await configure(() => page.setInputFiles('#labels-file', { name: 'classes.json', mimeType: 'application/json', buffer: Buffer.from(json) }));
  for (const c of await classList()) assert.match(c, /^json \d+$/);

  // Three names for 1,000 classes: refused, shown, nothing changes.
  const configured = await stats(() => __lrpStats.configured);
  const info = await page.locator('#model-info').innerText();
  const list = await classList();
  await dropFile('bad.txt', Buffer.from('cat\ndog\nbird\n'), 'text/plain');
  await page.locator('#model-error').waitFor({ state: 'visible' });
  assert.match(await page.locator('#model-error').textContent(), /^bad\.txt: app: labels: .*1000/);
  await page.waitForTimeout(300);
  assert.equal(await stats(() => __lrpStats.configured), configured, 'not configured');
  assert.equal(await page.locator('#model-info').innerText(), info, 'the Model card is the same');
  assert.deepEqual(await classList(), list, 'the class list is the same');
  assert.match(await page.locator('#labels-choice option:checked').textContent(), /classes\.json/);

  // Back to ImageNet's.
  await configure(() => page.selectOption('#labels-choice', 'default'));
  for (const c of await classList()) assert.ok(imagenet.includes(c), `${c} is an ImageNet class name`);
  assert.equal(await page.locator('#labels-assumed').isVisible(), true);
  assert.equal(await page.locator('#model-error').isHidden(), true);
});

test('the Model card with its settings has no WCAG 2 A/AA violation (axe-core), light and dark', async () => {
  await chooseNorm('custom');
  await page.evaluate(axeSource);
  const found = [];
  for (const colorScheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme });
    found.push(...(await page.evaluate(async (scheme) => {
      const a = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] }, resultTypes: ['violations'] });
      const b = await window.axe.run(document, { runOnly: { type: 'rule', values: ['label-content-name-mismatch'] }, resultTypes: ['violations'] });
      return [...a.violations, ...b.violations].flatMap((v) => v.nodes.map((n) => `${scheme}: ${v.id}: ${n.target.join(' ')}: ${n.failureSummary.replace(/\s+/g, ' ')}`));
    }, colorScheme)));
  }
  await page.emulateMedia({ colorScheme: 'light' });
  assert.deepEqual(found, []);
  await configure(() => chooseNorm('imagenet'));
});

// explainIn explains input (a Float32Array of the page's model input) with
// options in this process's engine, on file configured with settings.
async function explainIn(file, settings, input, options) {
  const lrp = await init();
  await lrp.loadModel(new Uint8Array(fs.readFileSync(file)));
  if (settings) await lrp.configure(settings);
  return { lrp, r: await lrp.explain(Float32Array.from(input), options) };
}

test('the pool’s Workers get the settings: those that open the model after the change and those that hold it', async () => {
  const file = synth(4, 32);
  await openModel(path.basename(file), fs.readFileSync(file));
  assert.equal(await page.locator('#norm').isVisible(), true);
  assert.equal(await normChoice(), 'none', 'a 32×32 model gets no ImageNet normalization');
  const w = 32;
  const px = Buffer.alloc(3 * w * w).map((_, i) => (i * 37 + (i >> 5) * 11) & 255);
  // ImageNet's before the pool's Workers open the model.
  await configure(() => chooseNorm('imagenet'));
  let n = await stats(() => __lrpStats.explains);
  await dropFile('noise.png', png(px, w, w, 3), 'image/png');
  await settle((n, s = window.__lrpStats) => s.explains > n && s.last.source === 'image' && s.last.model.startsWith('resnet-w4'), n);

  // compareWith runs the compare grid and checks its EpsilonGammaBox cell
  // (zᴮ's bounds follow the normalization) against this process's engine
  // with settings, and not with other.
  const compareWith = async (settings, other) => {
    const runs = await stats(() => __lrpStats.compareRuns);
    await page.click('#compare-run');
    await page.waitForFunction((runs) => __lrpStats.compareRuns > runs, runs, { timeout: 60_000 });
    const { input, options } = await stats(() => ({ input: Array.from(__lrpStats.last.input), options: __lrpStats.last.options }));
    const cell = await stats(() => __lrpStats.compare.sums.epsilon_gamma_box);
    const opts = { start: options.start, target: options.target, composite: 'epsilon_gamma_box' };
    const { r } = await explainIn(file, settings, input, opts);
    assert.equal(cell, r.diagnostics.inputSum, `Σ R of the compare cell against the engine with ${JSON.stringify(settings)}`);
    const { r: o } = await explainIn(file, other, input, opts);
    assert.notEqual(cell, o.diagnostics.inputSum, 'other settings give another Σ R (the test can fail)');
    return { input, options };
  };
  await compareWith({ normalization: 'imagenet' }, { normalization: 'none' });

  // None, with the pool's Workers holding the model already.
  await configure(() => chooseNorm('none'));
  const { input, options } = await compareWith({ normalization: 'none' }, { normalization: 'imagenet' });

  // The evaluation runs on the pool too: ROAD of EpsilonGammaBox as this
  // process's engine computes it with the same settings.
  const evaluations = await stats(() => __lrpStats.evaluations ?? 0);
  await page.click('#evaluate-run');
  await page.waitForFunction((n) => (__lrpStats.evaluations ?? 0) > n, evaluations, { timeout: 120_000 });
  const ev = await stats(() => __lrpStats.evaluation);
  const { lrp } = await explainIn(file, { normalization: 'none' }, input, options);
  const want = await lrp.evaluate(Float32Array.from(input), { ...ev.options, methods: ['epsilon_gamma_box'] });
  const got = ev.methods.find((m) => m.method === 'epsilon_gamma_box');
  assert.equal(got.combined, want.methods[0].combined);
  assert.equal(got.aopcMorf, want.methods[0].aopcMorf);
});

test('both Workers of a split explanation get the settings: the same to the bit as one engine configured alike', async () => {
  // 3×128×128 at width 32: its products are large enough to be split.
  const file = synth(32, 128);
  await openModel(path.basename(file), fs.readFileSync(file));
  await page.waitForFunction(() => __lrpStats.split.state === 'ready', null, { timeout: 60_000 });
  const w = 128;
  const gray = Buffer.alloc(3 * w * w).map((_, i) => 127 + 100 * Math.sin(((i / 3) | 0) / 50));
  let n = await stats(() => __lrpStats.explains);
  await dropFile('waves.png', png(gray, w, w, 3), 'image/png');
  await settle((n, s = window.__lrpStats) => s.explains > n && s.last.source === 'image' && s.last.workers === 2, n);

  for (const [choice, settings] of [['imagenet', { normalization: 'imagenet' }], ['none', { normalization: 'none' }]]) {
    await configure(() => chooseNorm(choice));
    // The partner gets the settings in the background; explain again once
    // the split is ready.
    await page.waitForFunction(() => __lrpStats.split.state === 'ready', null, { timeout: 60_000 });
    n = await stats(() => __lrpStats.explains);
    await page.dispatchEvent('#params', 'change');
    await settle((n, s = window.__lrpStats) => s.explains > n, n);
    const last = await stats(() => ({ workers: __lrpStats.last.workers, input: Array.from(__lrpStats.last.input), relevance: Array.from(__lrpStats.last.relevance), options: __lrpStats.last.options }));
    assert.equal(last.workers, 2, `${choice}: explained on 2 Workers`);
    const { r } = await explainIn(file, settings, last.input, last.options);
    const differ = Array.from(r.relevance).findIndex((v, i) => v !== last.relevance[i]);
    assert.equal(differ, -1, `${choice}: the first relevance value that differs from one engine's`);
  }
});

test('every request was same-origin, with no console error', async () => {
  assert.deepEqual(offOrigin(requests, origin), [], 'requests to other origins');
  assert.deepEqual(consoleErrors, []);
});
