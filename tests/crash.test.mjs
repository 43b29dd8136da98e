// The runtime's death must not take its host down (issue 15): a Go runtime
// that dies with a timer pending in wasm_exec.js used to throw "Go program
// has already exited" from that timer, uncaught, and end the Node process
// before init() could start a fresh runtime. The death runs in a child
// process, so that the test sees whether the process survives it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { root } from './lib/fixtures.mjs';

const child = `
import { init } from './web/lrp.js';
import { bytes, readCase, reference } from './tests/lib/fixtures.mjs';
const x = new Float32Array(readCase('cnn').inputs[3]);
const model = bytes(reference('cnn.onnx'));
const lrp = await init();
await lrp.loadModel(model);
const before = await lrp.explain(x);
const inFlight = lrp.explain(x).then(() => 'resolved', (e) => e.message);
await lrp.crash();
const pending = await inFlight;
const later = await lrp.explain(x).then(() => 'resolved', (e) => e.message);
await new Promise((r) => setTimeout(r, 300)); // the dead runtime's timer fires here
const again = await init();
await again.loadModel(model);
const after = await again.explain(x);
const same = after.predicted === before.predicted && after.relevance.every((v, i) => v === before.relevance[i]);
console.log(JSON.stringify({ pending, later, fresh: again !== lrp, same }));
`;

test('the process survives a runtime death, and init() starts a working one', () => {
  // execFileSync throws if the child exits non-zero (an uncaught error).
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', child], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const got = JSON.parse(out.trim().split('\n').at(-1));
  assert.match(got.later, /^lrp: the wasm runtime has exited/);
  assert.ok(got.pending === 'resolved' || /^lrp: the wasm runtime has exited/.test(got.pending), got.pending);
  assert.equal(got.fresh, true, 'init() after the death returns a new runtime');
  assert.equal(got.same, true, 'the new runtime explains as the old one did');
});
