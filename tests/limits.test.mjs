// The memory limit (docs/JS_API.md): a model, an explanation or an input
// that would need more than it is refused with an `lrp:` error before the
// wasm copies or allocates it, so the module's linear memory, which never
// shrinks, has not grown after the refusal.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { init } from '../web/lrp.js';
import { bytes, readCase, reference } from './lib/fixtures.mjs';

let lrp;

before(async () => {
  lrp = await init();
  await lrp.loadModel(bytes(reference('cnn.onnx'))); // the runtime's own one-time growth
});

/** The float16 bits of v (truncated; v is 0 or of a normal magnitude). */
function f16(v) {
  const u = new Uint32Array(new Float32Array([v]).buffer)[0];
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  return exp <= 0 ? (u >>> 16) & 0x8000 : ((u >>> 16) & 0x8000) | (exp << 10) | ((u & 0x7fffff) >>> 13);
}

/**
 * The safetensors file of the model of issue 15 (docs: model/README.md):
 * input [3, size, size], a 3×3 conv 3→ch with padding 1, global average
 * pooling, flatten, dense ch→10, float16 weights of small values.
 */
function recipe(ch, size) {
  const tensors = [
    ['conv.weight', [ch, 3, 3, 3]],
    ['conv.bias', [ch]],
    ['fc.weight', [10, ch]],
    ['fc.bias', [10]],
  ];
  const graph = {
    version: 1,
    name: `recipe${ch}`,
    input: { shape: [3, size, size], low: 0, high: 1 },
    nodes: [
      { name: 'conv', op: 'conv2d', inputs: ['input'], in_channels: 3, out_channels: ch, kernel: [3, 3], stride: [1, 1], dilation: [1, 1], padding: [1, 1, 1, 1], groups: 1, weight: 'conv.weight', bias: 'conv.bias' },
      { name: 'gap', op: 'global_avgpool2d', inputs: ['conv'] },
      { name: 'flat', op: 'flatten', inputs: ['gap'] },
      { name: 'fc', op: 'dense', inputs: ['flat'], in_features: ch, out_features: 10, weight: 'fc.weight', bias: 'fc.bias' },
    ],
  };
  const header = { __metadata__: { 'lrp.graph': JSON.stringify(graph) } };
  let off = 0;
  for (const [name, shape] of tensors) {
    const n = 2 * shape.reduce((a, b) => a * b, 1);
    header[name] = { dtype: 'F16', shape, data_offsets: [off, off + n] };
    off += n;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + off);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  for (let i = 0; i < off / 2; i++) dv.setUint16(8 + json.length + 2 * i, f16(((i % 7) - 3) / 10), true);
  return out;
}

// refused awaits the call, checks that it rejects with an error matching
// want, and that the wasm memory did not grow.
async function refused(call, want) {
  const before = lrp.memory().wasm;
  await assert.rejects(call, (err) => {
    assert.ok(err instanceof Error, `not an Error: ${err}`);
    assert.match(err.message, want);
    return true;
  });
  assert.equal(lrp.memory().wasm, before, 'wasm memory grew across the refused call');
}

test('the issue 15 recipe (an 8 KB file) and its 64-channel variant are refused at load', async () => {
  for (const ch of [92, 64]) {
    const file = recipe(ch, 1024);
    assert.ok(file.length < 9000, `${file.length} bytes`);
    await refused(lrp.loadModel(file), new RegExp(`^lrp: model recipe${ch} needs \\d+ MiB to explain with epsilon_gamma_box .*more than the 1536 MiB allowed$`));
  }
  // The model loaded before stays loaded.
  const r = await lrp.explain(new Float32Array(readCase('cnn').inputs[3]), {});
  assert.equal(r.predicted, 3);
});

test('inputs too large or not for the model are refused before they are copied', async () => {
  // 24000² RGBA is 2.1 GiB: more than the limit on its own.
  const side = 24000;
  const huge = new Uint8Array(4 * side * side);
  await refused(lrp.loadModel(huge), /^lrp: a model file of 2198 MiB is larger than the 1536 MiB a session may hold/);
  await refused(lrp.explain({ rgba: huge, width: side, height: side }, {}), /^lrp: model .*the call's input and scratch \d+ MiB\), more than the 1536 MiB allowed$/);
  await refused(lrp.evaluate({ rgba: huge, width: side, height: side }, {}), /^lrp: model .*, more than the 1536 MiB allowed$/);
  await refused(lrp.preprocess(huge, side, side, 'digit'), /^lrp: model .*, more than the 1536 MiB allowed$/);
  // A 200 MB image with a mode the model cannot take, and a Float32Array of
  // the wrong length.
  const big = huge.subarray(0, 4 * 7100 * 7100);
  await refused(lrp.explain({ rgba: big, width: 7100, height: 7100, mode: 'warp' }, {}), /^preprocess: unknown mode "warp"/);
  await refused(lrp.explain(new Float32Array(3 << 20), {}), /^lrp: input has 3145728 values, model .* wants 784/);
});

test('a composite that would not fit is refused per call; the session goes on', async (t) => {
  // At 576², the default explanation takes about 1 GiB, alpha2beta1 1.5 GiB.
  const info = await lrp.loadModel(recipe(92, 576));
  const x = new Float32Array(3 * 576 * 576).fill(0.5);
  const first = await lrp.explain(x, {});
  t.diagnostic(`loaded and explained in ${(info.timings.decode + info.timings.warm + first.timings.total).toFixed(0)} ms, wasm ${(lrp.memory().wasm / 2 ** 20).toFixed(0)} MiB`);
  await refused(lrp.explain(x, { composite: 'alpha2beta1' }), /^lrp: model recipe92: explaining with alpha2beta1 needs \d+ MiB .*more than the 1536 MiB allowed$/);
  const again = await lrp.explain(x, {});
  assert.deepEqual(Array.from(again.relevance.subarray(0, 1000)), Array.from(first.relevance.subarray(0, 1000)));
  await lrp.loadModel(bytes(reference('cnn.onnx')));
});
