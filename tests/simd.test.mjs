// The SIMD kernels (wasm/kernels/kernels.wat, web/kernels.wasm) against the
// pure-Go ones, each in its own instance of lrp.js (init() and
// init({simd: false})): every method gives the same relevance and logits,
// within 1e-6 of the largest |value|, on the fixture cnn and a small
// synthetic ResNet; the SIMD instance's products do go through the kernel,
// the other's never; init's options are checked; and in Chromium both
// kernels give Node's relevance, heatmap, mask and picture.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import { init } from '../web/lrp.js';
import { bytes, readCase, reference, relErr, root } from './lib/fixtures.mjs';
import { chromiumArgs, chromiumPath, serveStatic, stop } from './lib/page.mjs';

let simd;
let plain;
let dir;

before(async () => {
  [simd, plain] = await Promise.all([init(), init({ simd: false })]);
  dir = mkdtempSync(join(tmpdir(), 'lrp-simd-'));
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('init picks the SIMD kernel in Node 20, and the pure-Go one when asked', async () => {
  assert.equal(WebAssembly.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 8, 1, 6, 0, 65, 0, 253, 17, 11])), true);
  assert.equal(simd.kernels().simd, true);
  assert.equal(plain.kernels().simd, false);
  assert.notEqual(simd, plain);
  assert.equal(await init({ simd: true }), simd);
  assert.equal(await init({}), simd);
  assert.equal(await init({ simd: false }), plain);
  await assert.rejects(init({ simd: 'no' }), /^TypeError: lrp: init option simd must be a boolean, got string$/);
  await assert.rejects(init({ sims: false }), /^TypeError: lrp: unknown init option "sims"$/);
  await assert.rejects(init(null), /^TypeError: lrp: init options must be an object$/);
});

// compare explains x with every method in both instances and returns the
// worst relErr of relevance and logits; it fails on any above 1e-6.
async function compare(t, name, x) {
  let worst = 0;
  let equal = 0;
  const methods = simd.composites().map((c) => c.name);
  for (const composite of methods) {
    const [a, b] = await Promise.all([simd.explain(x, { composite }), plain.explain(x, { composite })]);
    const e = Math.max(relErr(a.relevance, b.relevance), relErr(a.logits, b.logits));
    assert.ok(e <= 1e-6, `${name}/${composite}: SIMD against pure Go ${e}`);
    assert.equal(a.predicted, b.predicted, `${name}/${composite}`);
    worst = Math.max(worst, e);
    if (a.relevance.every((v, i) => Object.is(v, b.relevance[i]))) equal++;
  }
  t.diagnostic(`${name}: ${methods.length} methods, worst ${worst.toExponential(2)} of the largest |value|, ${equal} equal to the bit`);
}

test('every method on the fixture cnn: SIMD and pure Go agree within 1e-6', async (t) => {
  const file = bytes(reference('cnn.onnx'));
  await Promise.all([simd.loadModel(file), plain.loadModel(file)]);
  const cases = readCase('cnn');
  for (const i of [0, 7]) await compare(t, `cnn input ${i}`, new Float32Array(cases.inputs[i]));
});

// The heatmap, its mask and the picture of the input are drawn on the SIMD
// kernels in one instance and in Go in the other (heatmap/simd_wasm.go,
// preprocess/simd_wasm.go): from the same relevance, every colormap, scale
// and sign gives the same bytes; the 28×28 picture too.
test('heatmap, mask and picture: SIMD and pure Go equal to the bit', async (t) => {
  const file = bytes(reference('cnn.onnx'));
  await Promise.all([simd.loadModel(file), plain.loadModel(file)]);
  const x = new Float32Array(readCase('cnn').inputs[5]);
  const [a, b] = await Promise.all([simd.explain(x), plain.explain(x)]);
  assert.deepEqual(a.picture, b.picture, 'the picture');
  let n = 0;
  for (const rel of [a.relevance, b.relevance, a.relevance.map((v, i) => (i % 3 ? v : -0)), new Float32Array(a.relevance.length)]) {
    for (const colormap of simd.colormaps()) {
      for (const symmetric of [true, false]) {
        for (const sign of ['all', 'positive', 'negative']) {
          const options = { colormap, symmetric, sign };
          const [p, q] = await Promise.all([simd.render(rel, options), plain.render(rel, options)]);
          assert.deepEqual(p.heatmap, q.heatmap, `heatmap ${JSON.stringify(options)}`);
          assert.deepEqual(p.mask, q.mask, `mask ${JSON.stringify(options)}`);
          assert.deepEqual(p.range, q.range, `range ${JSON.stringify(options)}`);
          n++;
        }
      }
    }
  }
  t.diagnostic(`${n} renderings equal to the bit`);
});

test('every method on a synthetic ResNet (width 16, 64×64): SIMD and pure Go agree within 1e-6', async (t) => {
  const file = join(dir, 'resnet.safetensors');
  execFileSync('go', ['run', './cmd/lrp', 'synth', '-o', file, '-width', '16', '-size', '64'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const model = bytes(file);
  const [info] = await Promise.all([simd.loadModel(model), plain.loadModel(model)]);
  let seed = 3;
  const x = new Float32Array(info.inputShape.reduce((a, b) => a * b)).map(() => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5);
  const calls = simd.kernels().calls;
  await compare(t, 'resnet 16×64²', x);
  assert.ok(simd.kernels().calls > calls + 100, `the SIMD instance called its kernel ${simd.kernels().calls - calls} times`);
  assert.equal(plain.kernels().calls, 0);
});

// The torchvision families of testdata/models and testdata/zennit/arch
// (Concat, gates, the new activations, ceil-mode pooling, unfolded
// BatchNorm, LayerNorm, channel shuffles): every method, SIMD against pure
// Go, on the first input of each.
test('every method on every torchvision family: SIMD and pure Go agree within 1e-6', async (t) => {
  const files = [join(root, 'testdata', 'zennit', 'arch', 'squeezenet'), join(root, 'testdata', 'zennit', 'arch', 'densenet')];
  for (const f of readdirSync(join(root, 'testdata', 'models')).filter((f) => f.endsWith('.onnx'))) files.push(join(root, 'testdata', 'models', f.slice(0, -5)));
  assert.ok(files.length >= 13, `${files.length} families`);
  for (const f of files) {
    const model = bytes(`${f}.onnx`);
    await Promise.all([simd.loadModel(model), plain.loadModel(model)]);
    const cases = JSON.parse(readFileSync(`${f}.cases.json`, 'utf8'));
    const b = Buffer.from(cases.inputs_b64[0], 'base64');
    await compare(t, basename(f), new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4));
  }
});

// In Chromium, lrp.js from a static server, on the SIMD kernels and on the
// pure-Go ones: the fixture cnn's relevance, heatmap, mask and picture
// under three methods equal Node's on the SIMD kernels to the bit.
test('in Chromium both kernels give the relevance Node gives', async (t) => {
  assert.ok(existsSync(chromiumPath), `${chromiumPath} is missing: apt-get install -y chromium`);
  const model = bytes(reference('cnn.onnx'));
  await simd.loadModel(model);
  const x = Array.from(readCase('cnn').inputs[3]);
  const methods = ['epsilon_gamma_box', 'epsilon_plus_flat', 'gradient'];
  const server = await serveStatic(join(root, 'web'));
  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  try {
    const page = await browser.newPage();
    await page.goto(`${server.url}version.js`); // any page of the origin, to import lrp.js from
    const got = await page.evaluate(
      async ({ b64, x, methods }) => {
        const { init } = await import('./lrp.js');
        const model = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const out = {};
        for (const simd of [true, false]) {
          const lrp = await init({ simd });
          await lrp.loadModel(model);
          const rel = [];
          const img = [];
          for (const composite of methods) {
            const r = await lrp.explain(Float32Array.from(x), { composite, colormap: 'coldnhot', sign: 'positive' });
            rel.push(Array.from(r.relevance));
            img.push([Array.from(r.heatmap), Array.from(r.mask), Array.from(r.picture)]);
          }
          out[simd ? 'simd' : 'go'] = { kernels: lrp.kernels(), rel, img };
        }
        return out;
      },
      { b64: Buffer.from(model).toString('base64'), x, methods },
    );
    assert.equal(got.simd.kernels.simd, true);
    assert.ok(got.simd.kernels.calls > 0, "the page's SIMD instance called its kernel");
    assert.deepEqual(got.go.kernels, { simd: false, calls: 0 });
    for (const [i, composite] of methods.entries()) {
      const r = await simd.explain(Float32Array.from(x), { composite, colormap: 'coldnhot', sign: 'positive' });
      const want = Array.from(r.relevance);
      assert.deepEqual(got.simd.rel[i], want, `${composite}: Chromium on the SIMD kernels against Node`);
      assert.deepEqual(got.go.rel[i], want, `${composite}: Chromium on the pure-Go kernels against Node`);
      const img = [Array.from(r.heatmap), Array.from(r.mask), Array.from(r.picture)];
      assert.deepEqual(got.simd.img[i], img, `${composite}: Chromium's heatmap, mask and picture on the SIMD kernels against Node`);
      assert.deepEqual(got.go.img[i], img, `${composite}: Chromium's heatmap, mask and picture in Go against Node`);
    }
    t.diagnostic(`Chromium ${browser.version()}: ${methods.length} methods, both kernels equal to Node's to the bit`);
  } finally {
    await browser.close();
    await stop(server);
  }
});
