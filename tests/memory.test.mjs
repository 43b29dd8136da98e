// Memory stays flat: 1000 consecutive explains of the fixture cnn in one
// instance; the wasm memory after them is at most 1.05× what it was after
// the first 50 (buffers reused), and the JS values the Go side references
// do not pile up (no leaked js.Func or js.Value per call).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { init } from '../web/lrp.js';
import { bytes, readCase, reference, rgbaOf } from './lib/fixtures.mjs';

test('1000 explains keep wasm memory within 1.05× of the first 50', async (t) => {
  const lrp = await init();
  await lrp.loadModel(bytes(reference('cnn.onnx')));
  const inputs = readCase('cnn').inputs.map((x) => new Float32Array(x));
  const pixels = readCase('cnn').inputs.map((x) => rgbaOf(x));
  // Every call shape the page makes: model input, pixels, re-rendering,
  // and a rejected call now and then.
  const explain = async (i) => {
    const x = inputs[i % inputs.length];
    if (i % 10 === 3) return lrp.explain({ rgba: pixels[i % pixels.length], width: 28, height: 28 }, { composite: 'epsilon_gamma_box' });
    if (i % 10 === 7) return lrp.render(x, { colormap: 'coldnhot' });
    if (i % 50 === 11) return lrp.explain(x, { target: 42 }).catch((e) => e);
    return lrp.explain(x, { composite: 'epsilon_gamma_box', target: i % 10 });
  };
  for (let i = 0; i < 50; i++) await explain(i);
  const first = lrp.memory();
  const samples = [];
  for (let i = 50; i < 1000; i++) {
    await explain(i);
    if (i % 100 === 99) samples.push(lrp.memory());
  }
  const last = lrp.memory();
  t.diagnostic(`after 50: ${first.wasm} bytes, ${first.refs} refs; after 1000: ${last.wasm} bytes (${(last.wasm / first.wasm).toFixed(3)}×), ${last.refs} refs`);
  t.diagnostic(`wasm bytes every 100: ${samples.map((s) => s.wasm).join(' ')}`);
  t.diagnostic(`refs every 100: ${samples.map((s) => s.refs).join(' ')}`);
  assert.ok(last.wasm <= 1.05 * first.wasm, `wasm memory grew from ${first.wasm} to ${last.wasm}`);
  // A leak of one js.Func or js.Value per call would leave ≥ 950 more refs.
  if (first.refs !== null) assert.ok(last.refs < first.refs + 500, `refs grew from ${first.refs} to ${last.refs}`);
});
