// evaluate() of the wasm API (issue 7): region perturbation of one input
// under several methods. The curves have one point per removed patch plus
// the unperturbed input, LRP beats the random order on MoRF AOPC, the
// result is reproducible, and misuse rejects without harming the runtime.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { init } from '../web/lrp.js';
import { bytes, readCase, reference } from './lib/fixtures.mjs';

let lrp;
let cases;
const methods = ['epsilon_gamma_box', 'gradient', 'random'];

before(async () => {
  lrp = await init();
  cases = readCase('cnn');
});

test('evaluate before loadModel rejects', async () => {
  await assert.rejects(lrp.evaluate(new Float32Array(784), { methods }), /^Error: lrp: no model loaded/);
});

test('curves of 50 points; epsilon_gamma_box beats random on MoRF AOPC', async () => {
  await lrp.loadModel(bytes(reference('cnn.onnx')));
  const i = 3;
  const r = await lrp.evaluate(new Float32Array(cases.inputs[i]), { methods, seed: 1 });
  assert.equal(r.target, cases.predicted[i]);
  assert.equal(r.patch, 4);
  assert.equal(r.patches, 49);
  assert.equal(r.steps, 49);
  assert.equal(r.fill, 'uniform');
  assert.ok(r.ms > 0);
  assert.deepEqual(r.methods.map((m) => m.method), methods);
  const logit = cases.logits[i][r.target];
  for (const m of r.methods) {
    for (const k of ['morf', 'lerf', 'morfProb', 'lerfProb']) {
      assert.equal(m[k].length, 50, `${m.method}.${k}`);
      assert.ok(m[k].every(Number.isFinite), `${m.method}.${k} finite`);
    }
    // Every curve starts at the unperturbed input and ends with every patch replaced.
    assert.ok(Math.abs(m.morf[0] - logit) < 1e-4 * Math.abs(logit), `${m.method} starts at f(x): ${m.morf[0]} vs ${logit}`);
    assert.equal(m.lerf[0], m.morf[0]);
    const aopc = m.morf.reduce((s, v) => s + (m.morf[0] - v), 0) / m.morf.length;
    assert.ok(Math.abs(aopc - m.aopcMorf) < 1e-6 * Math.abs(logit), `${m.method} AOPC = 1/(L+1) Σ (f(x⁰) − f(xᵏ))`);
  }
  const by = Object.fromEntries(r.methods.map((m) => [m.method, m]));
  console.log(`# digit ${i}: MoRF AOPC ${methods.map((m) => `${m} ${by[m].aopcMorf.toFixed(3)}`).join(', ')} (${r.ms.toFixed(0)} ms)`);
  assert.ok(by.epsilon_gamma_box.aopcMorf > by.random.aopcMorf, 'epsilon_gamma_box MoRF AOPC > random');
  assert.ok(by.epsilon_gamma_box.aopcMorf > by.epsilon_gamma_box.aopcLerf, 'epsilon_gamma_box MoRF AOPC > its LeRF AOPC');

  // The same call again gives the same numbers (seeded order and fill).
  const again = await lrp.evaluate(new Float32Array(cases.inputs[i]), { methods, seed: 1 });
  assert.deepEqual({ ...again, ms: 0 }, { ...r, ms: 0 });
});

test('options: steps, patch, fill, target and pixels as input', async () => {
  const x = new Float32Array(cases.inputs[7]);
  const r = await lrp.evaluate(x, { methods: ['epsilon'], steps: 10, patch: 7, fill: 'zero', target: 1 });
  assert.equal(r.target, 1);
  assert.equal(r.patches, 16);
  assert.equal(r.steps, 10);
  assert.equal(r.fill, 'zero');
  assert.equal(r.methods[0].morf.length, 11);
  // With every patch set to zero, both orders end at the same input.
  const z = (await lrp.evaluate(x, { methods: ['gradient'], fill: 'zero' })).methods[0];
  assert.equal(z.morf.at(-1), z.lerf.at(-1));

  // {rgba, width, height, mode} is preprocessed first, as for explain.
  const rgba = new Uint8ClampedArray(28 * 28 * 4);
  for (let p = 0; p < 784; p++) rgba.fill(Math.round(255 * cases.inputs[7][p]), 4 * p, 4 * p + 3), (rgba[4 * p + 3] = 255);
  const e = await lrp.explain({ rgba, width: 28, height: 28, mode: 'digit' }, {});
  const q = await lrp.evaluate({ rgba, width: 28, height: 28, mode: 'digit' }, { methods: ['random'] });
  assert.equal(q.target, e.predicted);
  assert.ok(Math.abs(q.methods[0].morf[0] - e.logits[e.predicted]) < 1e-4 * Math.abs(e.logits[e.predicted]));
});

test('misuse rejects with a clear message and the runtime stays alive', async () => {
  const x = new Float32Array(cases.inputs[3]);
  const bad = [
    [{ methods: ['no_such_method'] }, /^eval: options: unknown method "no_such_method"/],
    [{ methods: ['epsilon'], colour: 'red' }, /^eval: options: .*unknown field "colour"/],
    [{ fill: 'blur' }, /^eval: options: unknown fill "blur"/],
    [{ patch: -1 }, /^eval: options: patch -1/],
    [{ target: 10 }, /^eval: target 10 out of range/],
    [{ start: 'nowhere' }, /start/],
    [{ methods: 'epsilon' }, /^eval: options: /],
    [[1, 2], /^lrp: options must be an object, got an array/],
  ];
  for (const [o, want] of bad) {
    await assert.rejects(lrp.evaluate(x, o), (err) => {
      assert.ok(err instanceof Error);
      assert.match(err.message, want);
      return true;
    }, JSON.stringify(o));
  }
  await assert.rejects(lrp.evaluate([1, 2, 3], {}), /^Error: lrp: input must be a Float32Array \(the model input\) or \{rgba, width, height, mode\}, got Array/);
  await assert.rejects(lrp.evaluate(new Float32Array(10), {}), /input/);
  await assert.rejects(lrp.evaluate({ rgba: new Uint8Array(3), width: 2, height: 2 }, {}), /rgba has 3 bytes/);

  const r = await lrp.evaluate(x, { methods: ['epsilon_gamma_box', 'random'] });
  assert.equal(r.target, 3);
  assert.equal((await lrp.explain(x, {})).predicted, 3);
});
