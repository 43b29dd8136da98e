// Browser tests of the torchvision families on the page (issue 19, point
// 5): a SqueezeNet 1.1 (Concat of the Fire modules' branches, ceil-mode
// max pooling) and a DenseNet (Concat of every earlier feature map of a
// block, BatchNorms that cannot be folded) load by drop, explain, list
// their concat layers in the per-layer rule editor, and the diagnostics
// show each Concat's branches with their channels and the relevance each
// receives (the layer's diagnostics `inputs`). Debian's Chromium driven by
// playwright-core against web/ served by `lrp serve`. Run from the
// repository root after scripts/build.sh:
//   node --test tests/families.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dropFile as dropFileOn, offOrigin, openApp, png, settle as settleOn } from './lib/page.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const artifacts = path.join(root, 'test-artifacts');

let app, origin, page, requests, consoleErrors;

const stats = (f, arg) => page.evaluate(f, arg);
const settle = (until, arg, timeout) => settleOn(page, until, arg, timeout);
const dropFile = (name, bytes, type) => dropFileOn(page, name, bytes, type);

before(async () => {
  app = await openApp('families');
  ({ origin, page, requests, consoleErrors } = app);
  await page.uncheck('#compare-auto'); // the grid would share the cores
});

after(() => app?.close());

// photo is a 64×64 RGB picture: a disc on a gradient, stripes at the right.
function photo() {
  const w = 64;
  const px = Buffer.alloc(3 * w * w);
  for (let y = 0; y < w; y++) {
    for (let x = 0; x < w; x++) {
      const disc = Math.hypot(x - 24, y - 30) < 14;
      const stripe = x > 44 && (y >> 2) % 2 === 0;
      const i = 3 * (y * w + x);
      px[i] = disc ? 220 : 4 * x;
      px[i + 1] = stripe ? 240 : 3 * y;
      px[i + 2] = disc ? 40 : 128;
    }
  }
  return png(px, w, w, 3);
}

// explainModel drops the model file (a path below the repository) and the
// photo, waits for the photo's explanation with the model, and returns
// the rows of the per-layer rule editor and of the conservation chain.
async function explainModel(file) {
  const name = path.basename(file);
  await dropFile(name, fs.readFileSync(path.join(root, file)));
  await page.waitForFunction((name) => document.getElementById('model-info').innerText.includes(name), name, { timeout: 30_000 });
  const n = await stats(() => __lrpStats.explains);
  await dropFile('photo.png', photo(), 'image/png');
  await settle((n, s = window.__lrpStats) => s.explains > n && s.last?.source !== 'draw', n, 60_000);
  assert.equal(await stats(() => __lrpStats.last.model), name);
  const editor = await page.locator('#rules tbody tr').evaluateAll((trs) => trs.map((tr) => ({
    index: Number(tr.cells[0].textContent), name: tr.cells[1].textContent, kind: tr.cells[2].textContent,
    rules: [...tr.querySelectorAll('select option')].map((o) => o.value).filter(Boolean),
  })));
  const chain = await page.locator('#chain tbody tr').evaluateAll((trs) => trs.map((tr) => ({
    type: tr.dataset.type, node: tr.dataset.node, add: tr.dataset.add, depth: Number(tr.dataset.depth),
    name: tr.cells[0].textContent, kind: tr.cells[1].textContent, rule: tr.cells[2].textContent,
    out: tr.cells[3].textContent, in: tr.cells[4].textContent,
  })));
  return { editor, chain };
}

const close = (a, b) => Math.abs(a - b) <= 2e-3 * Math.max(1e-3, Math.abs(a), Math.abs(b));

// checkConcats asserts that every Concat of the chain shows one branch per
// input ("branch k of N"), named by its channels, which together cover
// the Concat's channels in input order, and whose relevance adds up to
// the Concat's Σ R in; it returns the Concats' rows, each with its
// branches. A Concat of one input (DenseNet's first layer of a block
// concatenates the block's input alone) has no branches: the chain goes
// on to its input.
function checkConcats(editor, chain) {
  const concats = chain.filter((r) => r.type === 'layer' && r.kind === 'concat');
  for (const c of concats) {
    assert.equal(c.rule, 'pass', `${c.name}: the composites route a Concat with pass`);
    assert.ok(close(Number(c.in), Number(c.out)), `${c.name}: pass conserves, in ${c.in} out ${c.out}`);
    assert.ok(editor.some((l) => l.index === Number(c.node) && l.kind === 'concat'), `${c.name} is in the rule editor`);
    c.branches = chain
      .filter((r) => r.type === 'branch' && r.add === c.node)
      .map((b) => {
        const m = /branch (\d+) of (\d+) into .*?: channels? (\d+)(?:–(\d+))?/.exec(b.name);
        assert.ok(m, `${c.name}: a branch named by its channels: ${b.name}`);
        return { ...b, k: Number(m[1]), of: Number(m[2]), from: Number(m[3]), to: Number(m[4] ?? m[3]) };
      })
      .sort((a, b) => a.k - b.k);
    if (c.branches.length === 0) continue;
    const of = c.branches[0].of;
    assert.deepEqual(c.branches.map((b) => b.k), Array.from({ length: of }, (_, k) => k + 1), `${c.name}: one branch per input`);
    c.branches.forEach((b, k) => {
      assert.equal(b.from, k ? c.branches[k - 1].to + 1 : 0, `${c.name}: input ${k + 1}'s channels follow input ${k}'s`);
      assert.ok(b.to >= b.from);
      assert.ok(b.out !== '' && Number.isFinite(Number(b.out)), `${b.name}: Σ R shown, got "${b.out}"`);
    });
    const sum = c.branches.reduce((s, b) => s + Number(b.out), 0);
    assert.ok(close(sum, Number(c.in)), `${c.name}: its branches receive ${sum}, its Σ R in is ${c.in}`);
  }
  return concats;
}

test('a SqueezeNet 1.1 loads by drop, explains, lists its concat layers, and the diagnostics show each Concat’s branches', async () => {
  const { editor, chain } = await explainModel('testdata/zennit/arch/squeezenet.onnx');
  const concatLayers = editor.filter((l) => l.kind === 'concat');
  assert.equal(concatLayers.length, 8, 'the 8 Fire modules each end in a Concat');
  for (const l of concatLayers) assert.deepEqual(l.rules.toSorted(), ['gradient', 'pass'], `${l.name}: the rules of a Concat`);
  const pools = editor.filter((l) => l.kind === 'maxpool2d');
  assert.equal(pools.length, 3, 'three ceil-mode max poolings');

  const concats = checkConcats(editor, chain);
  assert.equal(concats.length, 8, 'every Concat is in the chain');
  // A Fire module's two expand branches, each a convolution and its ReLU,
  // leave the squeeze layer, which receives their sum.
  for (const c of concats) {
    assert.equal(c.branches.length, 2, `${c.name}: expand1x1 and expand3x3`);
    for (const b of c.branches) assert.match(b.name, /2 layers from .*expand/, b.name);
  }
  const joined = chain.filter((r) => / ← the sum of the branches of .*Concat/.test(r.name));
  assert.equal(joined.length, 8, "each Fire module's squeeze layer receives its Concat's branches");
  const start = chain.find((r) => r.type === 'start');
  const input = chain.find((r) => r.type === 'input');
  assert.ok(Number(start.out) !== 0 && Number.isFinite(Number(input.out)), 'relevance reaches the input');
  await page.locator('.diag-card').screenshot({ path: path.join(artifacts, 'diagnostics-squeezenet.png') });
});

test('a DenseNet shows its Concats’ branches, whose inputs other Concats read too, with the relevance each receives', async () => {
  const { editor, chain } = await explainModel('testdata/models/densenet.onnx');
  const kinds = new Set(editor.map((l) => l.kind));
  for (const k of ['concat', 'batchnorm2d', 'avgpool2d']) assert.ok(kinds.has(k), `a ${k} layer`);
  const bn = editor.find((l) => l.kind === 'batchnorm2d');
  assert.ok(bn.rules.includes('epsilon') && bn.rules.includes('pass'), `an unfolded BatchNorm takes ε and pass: ${bn.rules}`);
  const rowBn = chain.find((r) => r.type === 'layer' && r.kind === 'batchnorm2d');
  assert.equal(rowBn.rule, 'epsilon', 'the composites give an unfolded BatchNorm ε');
  // Each Concat of a dense block joins every earlier feature map of the
  // block, which the block's later Concats read too.
  const concats = checkConcats(editor, chain).filter((c) => c.branches.length);
  assert.ok(concats.length >= 4, `the Concats of four dense blocks: ${concats.length}`);
  assert.ok(concats.some((c) => c.branches.length >= 3), 'a Concat of three or more feature maps');
});

test('every request was same-origin, with no console error', async () => {
  assert.deepEqual(offOrigin(requests, origin), [], 'requests to other origins');
  assert.deepEqual(consoleErrors, []);
});
