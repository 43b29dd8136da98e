// Misuse of the wasm API: every bad call rejects with an Error whose message
// names the problem, and the runtime answers the next call correctly.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { init } from '../web/lrp.js';
import { bytes, readCase, reference } from './lib/fixtures.mjs';

let lrp;
let cases;
let x; // a valid input: fixture digit 3
let ref; // its epsilon_gamma_box relevance, computed before any misuse

before(async () => {
  lrp = await init();
  cases = readCase('cnn');
  x = new Float32Array(cases.inputs[3]);
});

// rejects awaits the call and checks the rejection: an Error with a package
// prefix and a message matching want.
async function rejects(call, want) {
  await assert.rejects(call, (err) => {
    assert.ok(err instanceof Error, `not an Error: ${err}`);
    assert.match(err.message, /^(lrp|model|preprocess|heatmap|eval): /, err.message);
    assert.match(err.message, want);
    return true;
  });
}

// alive checks that the runtime still explains digit 3 exactly as before.
async function alive() {
  const r = await lrp.explain(x, { composite: 'epsilon_gamma_box' });
  assert.equal(r.predicted, 3);
  if (ref) assert.deepEqual(Array.from(r.relevance), Array.from(ref));
}

const cnn = () => bytes(reference('cnn.onnx'));

test('explain, preprocess and render before loadModel', async () => {
  await rejects(lrp.explain(x, {}), /no model loaded: call loadModel first/);
  await rejects(lrp.preprocess(new Uint8ClampedArray(16), 2, 2, 'digit'), /no model loaded/);
  await rejects(lrp.render(x, {}), /no model loaded/);
  await rejects(lrp.warm(), /no model loaded/);
  await lrp.loadModel(cnn());
  ref = (await lrp.explain(x, { composite: 'epsilon_gamma_box' })).relevance;
  await alive();
});

test('garbage, truncated and wrongly typed model bytes', async () => {
  await rejects(lrp.loadModel(new TextEncoder().encode('definitely not a model')), /^model: invalid format at byte 0: neither a safetensors file/);
  await rejects(lrp.loadModel(new Uint8Array(0)), /empty/);
  await rejects(lrp.loadModel(cnn().subarray(0, 5000)), /^model: /);
  const st = new Uint8Array(64);
  st.set([40, 0, 0, 0, 0, 0, 0, 0]);
  st.set(new TextEncoder().encode('{"x": 1'), 8);
  await rejects(lrp.loadModel(st), /^model: invalid format/);
  await rejects(lrp.loadModel('cnn.onnx'), /model bytes must be bytes \(Uint8Array or ArrayBuffer\), got string/);
  await rejects(lrp.loadModel(undefined), /got undefined/);
  await rejects(lrp.loadModel([1, 2, 3]), /got Array/);
  // A failed load keeps the previous model.
  await alive();
  // ArrayBuffer and other views are accepted.
  const b = cnn();
  await lrp.loadModel(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  await alive();
});

test('wrong input length, NaN and Inf', async () => {
  await rejects(lrp.explain(x.subarray(0, 100), {}), /input has 100 values, model .* wants 784 \(shape \[1 28 28\]\)/);
  await rejects(lrp.explain(new Float32Array(785), {}), /input has 785 values/);
  await rejects(lrp.explain(new Float32Array(0), {}), /input has 0 values|buffer is empty or detached/);
  const nan = x.slice();
  nan[10] = NaN;
  await rejects(lrp.explain(nan, {}), /input value 10 is NaN/);
  const inf = x.slice();
  inf[20] = -Infinity;
  await rejects(lrp.explain(inf, {}), /input value 20 is -Inf/);
  await rejects(lrp.render(x.subarray(1), {}), /relevance has 783 values/);
  // A finite input that overflows float32 inside the network: explained,
  // with the non-finite logits reported (diagnostics.nan was false).
  for (const composite of ['gradient', 'epsilon_gamma_box']) {
    const r = await lrp.explain(new Float32Array(784).fill(3e38), { composite });
    assert.ok(r.logits.some((v) => !Number.isFinite(v)), `${composite}: the recipe should overflow, logits ${r.logits}`);
    assert.equal(r.diagnostics.nan, true, `${composite}: diagnostics.nan`);
  }
  await alive();
});

test('unknown composite, keys and values in options', async () => {
  await rejects(lrp.explain(x, { composite: 'epsilon_gama_box' }), /unknown composite "epsilon_gama_box" \(known: \[/);
  await rejects(lrp.explain(x, { compsite: 'epsilon' }), /unknown key "compsite"/);
  await rejects(lrp.explain(x, { start: 'soft' }), /unknown start "soft"/);
  await rejects(lrp.explain(x, { colormap: 'jet' }), /unknown colormap "jet"/);
  await rejects(lrp.explain(x, { target: 2.5 }), /target: got a JSON number 2.5, want an integer/);
  await rejects(lrp.explain(x, { symmetric: 'no' }), /symmetric: got a JSON string/);
  await rejects(lrp.explain(x, 'epsilon'), /options must be an object, got string/);
  await rejects(lrp.explain(x, [1]), /options must be an object, got an array/);
  await rejects(lrp.explain(x, { seed: 1n }), /^lrp: options\.seed is a bigint/);
  await rejects(lrp.explain(x, { rules: { 0: { rule: () => 'epsilon' } } }), /lrp: options\.rules\.0\.rule is a function/);
  const cyclic = {};
  cyclic.self = cyclic;
  await rejects(lrp.explain(x, cyclic), /lrp: options(\.self)+ nests deeper than 16 levels/);
  await alive();
});

// NaN and ±Infinity became null through JSON.stringify, and null means
// "the default": each is refused by the name of the option instead.
test('NaN and Infinity in any option are errors naming it', async () => {
  await rejects(lrp.explain(x, { target: NaN }), /lrp: options\.target is NaN: want a finite number/);
  await rejects(lrp.explain(x, { composite: 'gamma', params: { gamma: Infinity } }), /lrp: options\.params\.gamma is Infinity/);
  await rejects(lrp.explain(x, { rules: { 0: { rule: 'epsilon', epsilon: NaN } } }), /lrp: options\.rules\.0\.epsilon is NaN/);
  await rejects(lrp.explain(x, { composite: 'smoothgrad', noise: -Infinity }), /lrp: options\.noise is -Infinity/);
  await rejects(lrp.evaluate(x, { methods: ['epsilon'], seed: NaN }), /lrp: options\.seed is NaN/);
  await rejects(lrp.evaluate(x, { methods: [NaN] }), /lrp: options\.methods\[0\] is NaN/);
  await rejects(lrp.evaluate(x, { patch: 0 }), /patch 0: want 1 or more/);
  await rejects(lrp.evaluate(x, { patch: 29 }), /patch 29: want 1\.\.28/);
  await rejects(lrp.explain(x, { composite: 'smoothgrad', noise: 11 }), /noise 11: want a fraction of the input range in \(0, 10\]/);
  // A getter that answers differently the second time is read once.
  let reads = 0;
  const liar = { get target() { return reads++ === 0 ? 3 : NaN; } };
  const r = await lrp.explain(x, liar);
  assert.equal(r.target, 3);
  assert.equal(reads, 1);
  await alive();
});

test('bad rule parameters: α − β ≠ 1, ε < 0, misplaced rules', async () => {
  await rejects(lrp.explain(x, { composite: 'alpha2beta1', params: { alpha: 3, beta: 1 } }), /alphabeta needs α − β = 1/);
  await rejects(lrp.explain(x, { composite: 'epsilon', params: { epsilon: -0.1 } }), /epsilon must be ≥ 0/);
  await rejects(lrp.explain(x, { composite: 'gamma', params: { gamma: -1 } }), /gamma must be ≥ 0/);
  await rejects(lrp.explain(x, { composite: 'epsilon', params: { epsilon: 'big' } }), /params: got a JSON string/);
  await rejects(lrp.explain(x, { composite: 'epsilon', params: { delta: 1 } }), /unknown composite parameter "delta"/);
  await rejects(lrp.explain(x, { rules: { 0: { rule: 'alphabeta', alpha: 1.5, beta: 1 } } }), /α − β = 1/);
  await rejects(lrp.explain(x, { rules: { 0: { rule: 'epsilon', epsilon: -1 } } }), /epsilon must be ≥ 0/);
  await rejects(lrp.explain(x, { rules: { 1: { rule: 'epsilon' } } }), /node 1 .*applies to dense, conv2d, batchnorm2d and scale layers, not relu/);
  await rejects(lrp.explain(x, { rules: { 99: { rule: 'epsilon' } } }), /rule override for node 99: model has nodes 0..9/);
  await rejects(lrp.explain(x, { rules: { 0: { rule: 'epsilon', gamma: 1 } } }), /rule epsilon has no parameter "gamma"/);
  await rejects(lrp.explain(x, { composite: 'smoothgrad', params: { epsilon: 1 } }), /takes no rules or composite parameters/);
  await alive();
  // The same options, valid, work.
  const r = await lrp.explain(x, { composite: 'alpha2beta1', params: { alpha: 3, beta: 2 }, rules: { 9: { rule: 'epsilon', epsilon: 0.1 } } });
  assert.equal(r.diagnostics.layers.find((l) => l.node === 9).rule, 'epsilon');
});

test('target out of range', async () => {
  await rejects(lrp.explain(x, { target: 10 }), /target 10 out of range: model has classes 0..9/);
  await rejects(lrp.explain(x, { target: -2 }), /target -2/);
  const r = await lrp.explain(x, { target: 9 });
  assert.equal(r.target, 9);
  await alive();
});

test('detached and wrongly typed buffers', async () => {
  const detached = x.slice();
  structuredClone(detached.buffer, { transfer: [detached.buffer] });
  assert.equal(detached.buffer.byteLength, 0);
  await rejects(lrp.explain(detached, {}), /buffer is empty or detached/);
  await rejects(lrp.render(detached, {}), /buffer is empty or detached/);
  const model = cnn().slice();
  structuredClone(model.buffer, { transfer: [model.buffer] });
  await rejects(lrp.loadModel(model), /empty or detached/);
  await rejects(lrp.loadModel(model.buffer), /empty or detached/);
  const px = new Uint8ClampedArray(4 * 28 * 28);
  structuredClone(px.buffer, { transfer: [px.buffer] });
  await rejects(lrp.explain({ rgba: px, width: 28, height: 28 }, {}), /rgba has 0 bytes|detached/);

  await rejects(lrp.explain(Float64Array.from(x), {}), /input must be a Float32Array .*, got Float64Array/);
  await rejects(lrp.explain(Array.from(x), {}), /input must be a Float32Array .*, got Array/);
  await rejects(lrp.explain(new Uint8Array(784), {}), /input must be a Float32Array .*, got Uint8Array/);
  await rejects(lrp.explain(undefined, {}), /input must be a Float32Array .* or \{rgba, width, height, mode\}, got undefined/);
  await rejects(lrp.explain(null, {}), /got null/);
  await rejects(lrp.explain('digit', {}), /got string/);
  await rejects(lrp.explain({ rgba: Array(3136).fill(0), width: 28, height: 28 }, {}), /rgba must be a Uint8ClampedArray or Uint8Array .*got Array/);
  await rejects(lrp.explain({ rgba: new Float32Array(3136), width: 28, height: 28 }, {}), /rgba must be .*got Float32Array/);
  await rejects(lrp.explain({ rgba: new Uint8ClampedArray(3136), width: 28.5, height: 28 }, {}), /width must be an integer, got 28.5/);
  await rejects(lrp.explain({ rgba: new Uint8ClampedArray(3136), width: '28', height: 28 }, {}), /width must be an integer, got string/);
  await rejects(lrp.explain({ rgba: new Uint8ClampedArray(3136), width: 28 }, {}), /height must be an integer, got undefined/);
  await rejects(lrp.explain({ rgba: new Uint8ClampedArray(3136), width: 0, height: 28 }, {}), /width 0 out of range/);
  await rejects(lrp.explain({ rgba: new Uint8ClampedArray(3136), width: 1e9, height: 1 }, {}), /width 1000000000 out of range/);
  await rejects(lrp.explain({ rgba: new Uint8ClampedArray(100), width: 28, height: 28 }, {}), /rgba has 100 bytes, want 4·28·28 = 3136/);
  await rejects(lrp.explain({ rgba: new Uint8ClampedArray(3136), width: 28, height: 28, mode: 'sketch' }, {}), /unknown mode "sketch"/);
  await rejects(lrp.explain({ rgba: new Uint8ClampedArray(3136), width: 28, height: 28, mode: 7 }, {}), /input.mode must be a string, got number/);
  await rejects(lrp.preprocess(new Uint8ClampedArray(16), 2, 2, 5), /mode must be a string/);
  await rejects(lrp.render(new Float64Array(784), {}), /relevance must be a Float32Array, got Float64Array/);
  const throwing = {
    get rgba() {
      throw new Error('boom');
    },
    width: 28,
    height: 28,
  };
  await rejects(lrp.explain(throwing, {}), /reading the arguments threw: boom/);
  await alive();
  // Exceptions from Proxy traps and odd getters, of any type, are caught
  // inside the wasm as well.
  const trap = () => {
    throw 'trap string';
  };
  await rejects(lrp.explain(new Proxy(x, { get: trap, getPrototypeOf: trap, has: trap }), {}), /reading the arguments threw: trap string/);
  await rejects(lrp.loadModel(new Proxy(cnn(), { getPrototypeOf: trap })), /reading the arguments threw: trap string|got Uint8Array|must be bytes/);
  // A Proxy is not a typed array: its traps are never run.
  await rejects(lrp.explain({ rgba: new Proxy(new Uint8ClampedArray(3136), { getPrototypeOf: trap }), width: 28, height: 28 }, {}), /rgba must be a Uint8ClampedArray or Uint8Array .*got Object/);
  await rejects(lrp.explain(Object.create(Float32Array.prototype), {}), /input must be a Float32Array/);
  await alive();
});

// Typed arrays are read by their real size through the intrinsic getters,
// never through methods or getters a subclass overrides (issue 15): a
// subarray that throws (wasm_exec.js called it inside Go's copy, so the
// exception unwound the Go runtime: a bare "boom" and 48 KB leaked a call)
// and a byteLength that says 2³¹ (wasm memory grew to 2 GB for good) do
// not matter; BigInt is refused by name (it was "internal error: bad type
// flag").
test('JS objects that lie about themselves', async (t) => {
  class Boom extends Uint8ClampedArray {
    subarray() {
      throw new Error('boom');
    }
  }
  class Huge extends Float32Array {
    get byteLength() {
      return 2 ** 31;
    }
    get length() {
      throw new RangeError('odd length');
    }
  }
  class BoomBytes extends Uint8Array {
    subarray() {
      throw new Error('boom');
    }
    get byteLength() {
      return 2 ** 31;
    }
  }
  const rgba = new Boom(4 * 28 * 28);
  for (let i = 0; i < 784; i++) rgba.fill(Math.round(255 * x[i]), 4 * i, 4 * i + 3).fill(255, 4 * i + 3, 4 * i + 4);
  const plain = await lrp.explain({ rgba: Uint8ClampedArray.from(rgba), width: 28, height: 28, mode: 'digit' });
  const lied = new Huge(784);
  lied.set(x);
  let before;
  for (let i = 0; i < 350; i++) {
    if (i === 50) before = lrp.memory().wasm; // after the runtime's one-time growth
    const r = await lrp.explain({ rgba, width: 28, height: 28, mode: 'digit' });
    assert.deepEqual(Array.from(r.relevance), Array.from(plain.relevance));
    assert.deepEqual(Array.from((await lrp.explain(lied)).relevance), Array.from(ref));
  }
  const grew = lrp.memory().wasm - before;
  t.diagnostic(`wasm memory over 600 calls with lying arrays: ${grew} bytes`);
  assert.ok(grew <= 1 << 20, `wasm memory grew by ${grew} bytes over 600 calls (48 KB a call leaked before)`);
  await rejects(lrp.loadModel(new BoomBytes(16)), /^model: /); // read by its real 16 bytes
  await rejects(lrp.explain(5n), /lrp: input is a bigint/);
  await rejects(lrp.explain({ rgba, width: 28n, height: 28 }), /lrp: input\.width is a bigint/);
  await rejects(lrp.preprocess(rgba, 28, 28, Symbol('digit')), /lrp: mode is a symbol/);
  await rejects(lrp.loadModel(10n), /lrp: model bytes is a bigint/);
  await alive();
});

// A string argument longer than 8 Mi characters is refused before Go
// copies it (explain's options by either path, configure's settings), and
// wasm memory stays as it was.
test('huge options and settings strings', async () => {
  await alive();
  const before = lrp.memory().wasm;
  const huge = 'x'.repeat((8 << 20) + 1);
  const rgba = new Uint8ClampedArray(4 * 28 * 28).fill(255);
  await rejects(lrp.explain(x, { composite: huge }), /^lrp: options \(JSON\) has 8388\d{3} characters, more than the 8388608 allowed$/);
  await rejects(lrp.explain({ rgba, width: 28, height: 28, mode: 'digit' }, { composite: huge }), /^lrp: options \(JSON\) has 8388\d{3} characters, more than the 8388608 allowed$/);
  await rejects(lrp.configure({ labelsFile: huge }), /^lrp: settings \(JSON\) has 8388\d{3} characters, more than the 8388608 allowed$/);
  assert.equal(lrp.memory().wasm, before, 'wasm memory after the refused calls');
  await alive();
});

test('concurrent calls, including failing ones, each get their own answer', async () => {
  const sequential = [];
  for (let i = 0; i < cases.inputs.length; i++) {
    sequential.push(await lrp.explain(new Float32Array(cases.inputs[i]), { target: (i + 1) % 10 }));
  }
  const calls = [];
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < cases.inputs.length; i++) {
      calls.push(lrp.explain(new Float32Array(cases.inputs[i]), { target: (i + 1) % 10 }));
      if (i === 4) calls.push(lrp.explain(x, { target: 99 }).then(() => 'resolved', (e) => e));
    }
    calls.push(init().then((again) => (again === lrp ? 'same' : 'different')));
  }
  const results = await Promise.all(calls);
  let k = 0;
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < cases.inputs.length; i++) {
      const r = results[k++];
      assert.equal(r.target, (i + 1) % 10);
      assert.deepEqual(Array.from(r.relevance), Array.from(sequential[i].relevance));
      assert.deepEqual(Array.from(r.heatmap), Array.from(sequential[i].heatmap));
      if (i === 4) assert.match(results[k++].message, /target 99 out of range/);
    }
    assert.equal(results[k++], 'same');
  }
  // A load racing with explains: calls made before it use the old model,
  // calls after it the new one.
  const mlp = bytes(reference('mlp.onnx'));
  const [before, info, after] = await Promise.all([lrp.explain(x, {}), lrp.loadModel(mlp), lrp.explain(x, {})]);
  assert.equal(before.diagnostics.layers.length, 10);
  assert.equal(info.layers.length, after.diagnostics.layers.length);
  assert.notEqual(after.diagnostics.layers.length, 10);
  await lrp.loadModel(cnn());
  await alive();
});
