// The wasm build against the native engine and Zennit: every fixture model
// loaded, every fixture config explained in wasm, relevance equal to the
// native engine's to 1e-6 of max|R| and to Zennit's to 1e-5; the built-in
// model classifies the MNIST test digits of the fixtures.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { init } from '../web/lrp.js';
import { builtin, bytes, nativeReference, readCase, relErr, rgbaOf, root } from './lib/fixtures.mjs';

let lrp;
let native;

before(async () => {
  native = nativeReference();
  lrp = await init();
});

test('init is idempotent and lists the API', async () => {
  const [a, b] = await Promise.all([init(), init()]);
  assert.equal(a, lrp);
  assert.equal(b, lrp);
  assert.match(lrp.version, /^\d+\.\d+\.\d+/);
  const names = lrp.composites().map((c) => c.name);
  for (const n of ['epsilon_gamma_box', 'epsilon_plus_flat', 'montavon', 'gradient', 'smoothgrad']) assert.ok(names.includes(n), n);
  assert.equal(lrp.composites().find((c) => c.name === 'epsilon_gamma_box').kind, 'lrp');
  assert.equal(lrp.composites().find((c) => c.name === 'smoothgrad').kind, 'baseline');
  assert.deepEqual(lrp.colormaps().slice(0, 2), ['bwr', 'seismic']);
});

test('the package name resolves to the same module', async () => {
  const pkg = await import('@lrpwasm/lrp');
  assert.equal(await pkg.init(), lrp);
});

// In a fresh Node process: init() without lrp.wasm next to the module
// rejects, then without kernels.wasm (the SIMD kernel that Node 20 runs),
// and succeeds once both files are there (the cached promise was reset);
// two concurrent calls share one load.
test('init rejects without the wasm, then recovers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lrp-init-'));
  try {
    copyFileSync(join(root, 'web', 'lrp.js'), join(dir, 'lrp.mjs'));
    for (const f of ['args.js', 'packed.js', 'runtime.js']) copyFileSync(join(root, 'web', f), join(dir, f));
    copyFileSync(join(root, 'web', 'wasm_exec.js'), join(dir, 'wasm_exec.js'));
    const script = `
      import { copyFileSync } from 'node:fs';
      import { init } from ${JSON.stringify(join(dir, 'lrp.mjs'))};
      const first = await init().then(() => 'resolved', (e) => e.message);
      copyFileSync(${JSON.stringify(join(root, 'web', 'lrp.wasm'))}, ${JSON.stringify(join(dir, 'lrp.wasm'))});
      const second = await init().then(() => 'resolved', (e) => e.message);
      copyFileSync(${JSON.stringify(join(root, 'web', 'kernels.wasm'))}, ${JSON.stringify(join(dir, 'kernels.wasm'))});
      const [a, b] = await Promise.all([init(), init()]);
      console.log(JSON.stringify({ first, second, same: a === b, version: a.version, simd: a.kernels().simd }));`;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
    assert.match(out.first, /^lrp: reading .*lrp\.wasm: ENOENT/);
    assert.match(out.second, /^lrp: reading .*kernels\.wasm: ENOENT/);
    assert.equal(out.same, true);
    assert.equal(out.version, lrp.version);
    assert.equal(out.simd, true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every fixture config in wasm matches native (1e-6) and Zennit (1e-5)', async (t) => {
  const own = native.models.filter((m) => m.configs.some((c) => c.reference));
  assert.deepEqual(own.map((m) => m.name).sort(), ['cnn', 'cnn_bn', 'mlp']);
  for (const m of own) {
    const cases = readCase(m.name);
    const info = await lrp.loadModel(bytes(m.file));
    assert.equal(info.format, 'onnx');
    assert.deepEqual(info.inputShape, cases.input_shape);
    assert.equal(info.classes, 10);
    assert.equal(info.digit, true);
    // How long the load's parts took, in milliseconds.
    for (const k of ['decode', 'warm']) assert.ok(info.timings[k] >= 0, `${m.name}: timings.${k} = ${info.timings[k]}`);
    const n = info.inputShape.reduce((a, b) => a * b);
    for (const c of m.configs) {
      let worstNative = 0;
      let worstZennit = 0;
      for (let i = 0; i < cases.inputs.length; i++) {
        const r = await lrp.explain(new Float32Array(cases.inputs[i]), JSON.parse(c.options[i]));
        assert.equal(r.predicted, cases.predicted[i], `${m.name}/${c.config} input ${i}`);
        assert.equal(r.target, cases.predicted[i]);
        assert.ok(relErr(r.logits, c.logits[i]) <= 1e-6, `${m.name}/${c.config} logits`);
        worstNative = Math.max(worstNative, relErr(r.relevance, c.relevance.subarray(i * n, (i + 1) * n)));
        worstZennit = Math.max(worstZennit, relErr(r.relevance, cases.configs[c.config][c.reference][i]));
      }
      t.diagnostic(`${m.name.padEnd(7)} ${c.config.padEnd(30)} native ${worstNative.toExponential(2)}  zennit ${worstZennit.toExponential(2)} (${c.reference})`);
      assert.ok(worstNative <= 1e-6, `${m.name}/${c.config}: wasm vs native ${worstNative}`);
      assert.ok(worstZennit <= 1e-5, `${m.name}/${c.config}: wasm vs Zennit ${worstZennit}`);
    }
  }
});

test('loadModel(bytes, {warm: false}) leaves the warm-up to warm(): the same results', async () => {
  const file = bytes(native.models.find((m) => m.name === 'cnn').file);
  const x = new Float32Array(readCase('cnn').inputs[5]);
  await lrp.loadModel(file);
  const want = await lrp.explain(x, { composite: 'epsilon_gamma_box' });
  for (const warm of [1, 'no', null]) {
    await assert.rejects(lrp.loadModel(file, { warm }), /^TypeError: lrp: loadModel option warm must be a boolean/);
  }
  const info = await lrp.loadModel(file, { warm: false });
  assert.deepEqual(info.inputShape, [1, 28, 28]);
  const ms = await lrp.warm();
  assert.ok(typeof ms === 'number' && ms >= 0, `warm() resolved to ${ms}`);
  assert.equal(await lrp.warm().then((v) => typeof v), 'number', 'a second warm() is harmless');
  const got = await lrp.explain(x, { composite: 'epsilon_gamma_box' });
  assert.deepEqual(Array.from(got.relevance), Array.from(want.relevance));
  // Without warm() the first explanation builds what it needs itself.
  await lrp.loadModel(file, { warm: false });
  assert.deepEqual(Array.from((await lrp.explain(x, { composite: 'epsilon_gamma_box' })).relevance), Array.from(want.relevance));
});

test('prefault touches the free memory in steps without growing it, and changes no result', async () => {
  // A synthetic ResNet of width 32 at 128×128: its load leaves more than
  // prefault's minimum free (the fixture cnn leaves too little: nothing to do).
  const cnn = bytes(native.models.find((m) => m.name === 'cnn').file);
  await lrp.loadModel(cnn, { warm: false });
  assert.equal(lrp.prefault(5), false, 'a small model leaves nothing to touch');
  const dir = mkdtempSync(join(tmpdir(), 'lrp-prefault-'));
  const path = join(dir, 'synth.safetensors');
  execFileSync('go', ['run', './cmd/lrp', 'synth', '-width', '32', '-size', '128', '-o', path], { cwd: root, stdio: 'ignore' });
  const file = bytes(path);
  rmSync(dir, { recursive: true });
  const x = new Float32Array(3 * 128 * 128).map((_, i) => Math.sin(i));
  await lrp.loadModel(file);
  const want = (await lrp.explain(x, {})).relevance;
  await lrp.loadModel(file, { warm: false });
  const before = lrp.memory().wasm;
  let steps = 0;
  while (lrp.prefault(0.001)) assert.ok(++steps < 100000, 'prefault never ends');
  assert.ok(steps > 0, 'the load left memory to touch');
  assert.equal(lrp.prefault(5), false, 'nothing left after the last step');
  assert.equal(lrp.memory().wasm, before, 'prefault grew memory');
  // The first explanation after loadModel(…, {warm: false}) is a cold one
  // (it keeps no Winograd transform: app.Session.WarmLater); the second
  // builds them. Both give the warm results to the bit.
  // An explanation may grow memory by a few pages of the runtime's own
  // (its collector's work buffers, a goroutine's stack: 256 KiB seen once
  // in four runs); prefault's chunks left held would grow it by tens of MB.
  const grew = (what) => assert.ok(lrp.memory().wasm - before <= 1 << 20, `${what} grew memory by ${lrp.memory().wasm - before} bytes`);
  assert.deepEqual(Array.from((await lrp.explain(x, {})).relevance), Array.from(want));
  grew('the explanation after it');
  assert.deepEqual(Array.from((await lrp.explain(x, {})).relevance), Array.from(want), 'the explanation after the cold one');
  // Any other call ends it (the chunks are collected before it runs).
  await lrp.loadModel(file, { warm: false });
  assert.equal(lrp.prefault(0.001), true, 'a fresh load leaves memory to touch');
  assert.deepEqual(Array.from((await lrp.explain(x, {})).relevance), Array.from(want));
  grew('an explanation after a cut prefault');
});

test('result shape, render and preprocess agree with explain', async () => {
  const cases = readCase('cnn');
  const info = await lrp.loadModel(bytes(native.models.find((m) => m.name === 'cnn').file));
  assert.equal(info.layers.length, 10);
  assert.deepEqual(info.layers[0], { index: 0, name: info.layers[0].name, kind: 'conv2d', inputs: [-1], outShape: [8, 28, 28] });
  const x = new Float32Array(cases.inputs[7]);
  const r = await lrp.explain(x, { composite: 'epsilon_gamma_box', colormap: 'coldnhot', symmetric: false });
  assert.ok(r.logits instanceof Float32Array && r.logits.length === 10);
  assert.ok(r.probabilities instanceof Float32Array);
  assert.ok(r.relevance instanceof Float32Array && r.relevance.length === 784);
  assert.ok(r.heatmap instanceof Uint8ClampedArray && r.heatmap.length === 4 * 28 * 28);
  // The picture is the input in [0, 1] as gray bytes; the mask peaks at 255.
  assert.ok(r.picture instanceof Uint8ClampedArray && r.picture.length === 4 * 28 * 28);
  assert.deepEqual(Array.from(r.picture.filter((_, i) => i % 4 === 0)), Array.from(x, (v) => Math.round(255 * v)));
  assert.ok(r.mask instanceof Uint8ClampedArray && r.mask.length === 28 * 28);
  assert.equal(Math.max(...r.mask), 255);
  assert.deepEqual(Array.from(r.input), Array.from(x));
  assert.equal(r.width, 28);
  assert.equal(r.height, 28);
  assert.equal(r.top.length, 10);
  assert.equal(r.top[0].index, 7);
  assert.equal(r.top[0].label, '7');
  assert.ok(Math.abs(r.top.reduce((s, c) => s + c.probability, 0) - 1) < 1e-5);
  assert.equal(r.diagnostics.layers.length, 10);
  assert.equal(typeof r.diagnostics.positiveShare, 'number');
  assert.equal(r.diagnostics.nan, false);
  for (const k of ['preprocess', 'explain', 'render', 'total']) assert.equal(typeof r.timings[k], 'number');

  const again = await lrp.render(r.relevance, { colormap: 'coldnhot', symmetric: false });
  assert.deepEqual(again.range, r.range);
  assert.deepEqual(Buffer.from(again.heatmap), Buffer.from(r.heatmap));
  assert.deepEqual(Buffer.from(again.mask), Buffer.from(r.mask));
  const positive = await lrp.render(r.relevance, { sign: 'positive' });
  assert.deepEqual(Buffer.from(positive.mask), Buffer.from((await lrp.explain(x, { sign: 'positive' })).mask));
  assert.notDeepEqual(Buffer.from(positive.mask), Buffer.from(r.mask));

  const px = rgbaOf(x);
  const pre = await lrp.preprocess(px, 28, 28, 'digit');
  assert.ok(pre instanceof Float32Array && pre.length === 784);
  const fromPixels = await lrp.explain({ rgba: px, width: 28, height: 28 }, {});
  assert.deepEqual(Array.from(fromPixels.input), Array.from(pre));
  assert.equal(fromPixels.predicted, 7);
});

// rules() is the engine's rule registry: every rule the per-layer option
// takes, with its parameters and ranges. Each rule that applies to a conv
// layer, with its defaults, is accepted on the cnn's first layer, and a
// parameter outside its range is refused with the range's reason.
test('rules() lists every rule, and explain takes each with its defaults', async () => {
  const rules = lrp.rules();
  const names = rules.map((r) => r.name);
  for (const n of ['epsilon', 'lrp0', 'gamma', 'zplus', 'alphabeta', 'zbox', 'wsquare', 'flat', 'pass', 'norm', 'gradient']) assert.ok(names.includes(n), n);
  const gamma = rules.find((r) => r.name === 'gamma');
  assert.deepEqual(gamma.kinds, ['dense', 'conv2d']);
  const g = gamma.params.find((p) => p.name === 'gamma');
  assert.equal(g.default, 0.25);
  assert.equal(g.min, 0);
  assert.equal(g.max, null);
  assert.equal(rules.find((r) => r.name === 'alphabeta').constraint, 'alpha - beta = 1');
  assert.equal(rules.find((r) => r.name === 'zbox').params.find((p) => p.name === 'low').default, null);

  await lrp.loadModel(bytes(native.models.find((m) => m.name === 'cnn').file));
  const x = new Float32Array(readCase('cnn').inputs[7]);
  const base = await lrp.explain(x, { composite: 'epsilon_gamma_box' });
  for (const r of rules.filter((r) => r.kinds.includes('conv2d'))) {
    const params = Object.fromEntries(r.params.filter((p) => p.default !== null).map((p) => [p.name, p.default]));
    const got = await lrp.explain(x, { composite: 'epsilon_gamma_box', rules: { 0: { rule: r.name, ...params } } });
    assert.equal(got.relevance.length, base.relevance.length, r.name);
    assert.ok(got.relevance.every(Number.isFinite), r.name);
  }
  await assert.rejects(lrp.explain(x, { rules: { 0: { rule: 'gamma', gamma: -1 } } }), /gamma/);
});

// An ONNX export without constant folding keeps Conv → BatchNormalization;
// loadModel folds it once and says so.
test('loadModel reports the BatchNorm it folds', async () => {
  const info = await lrp.loadModel(bytes(join(root, 'model', 'testdata', 'onnx', 'conv_bn.onnx')));
  assert.equal(info.foldedBatchNorm, 1);
  assert.deepEqual(info.layers.map((l) => l.kind), ['conv2d', 'relu', 'flatten', 'dense']);
});

test('the fixture digits drawn as pixels are classified after MNIST preprocessing', async () => {
  const cases = readCase('cnn');
  await lrp.loadModel(bytes(native.models.find((m) => m.name === 'cnn').file));
  let right = 0;
  for (let i = 0; i < cases.inputs.length; i++) {
    const r = await lrp.explain({ rgba: rgbaOf(cases.inputs[i]), width: 28, height: 28, mode: 'digit' });
    if (r.predicted === cases.labels[i]) right++;
  }
  assert.ok(right >= 9, `${right}/10 right`);
});

test('built-in model classifies the MNIST test digits', async (t) => {
  const cases = readCase('cnn');
  const info = await lrp.loadModel(bytes(builtin));
  assert.equal(info.format, 'safetensors');
  assert.equal(info.digit, true);
  const ref = native.models.find((m) => m.file === builtin || m.file.endsWith('mnist.safetensors'));
  const c = ref.configs[0];
  const n = 784;
  let worst = 0;
  for (let i = 0; i < cases.inputs.length; i++) {
    const r = await lrp.explain(new Float32Array(cases.inputs[i]), { composite: 'epsilon_gamma_box' });
    assert.equal(r.predicted, cases.labels[i], `digit ${i}: predicted ${r.predicted}, label ${cases.labels[i]}`);
    worst = Math.max(worst, relErr(r.relevance, c.relevance.subarray(i * n, (i + 1) * n)));
  }
  t.diagnostic(`built-in ${info.name}: 10/10 right, wasm vs native ${worst.toExponential(2)}`);
  assert.ok(worst <= 1e-6, `wasm vs native ${worst}`);
});
