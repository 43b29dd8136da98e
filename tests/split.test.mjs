// One explanation split over two wasm engines in two worker_threads
// (lrp.js pair and explainSplit), as a page splits it over two Workers:
// the result equals explain's to the bit, a part that fails takes the
// other down with its error and leaves both engines working, and misuse
// is refused without stopping the runtime.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import { explainSplit, pairEngines, startEngine } from './lib/engines.mjs';
import { root } from './lib/fixtures.mjs';

let dir, a, b, info, x;
let nextId = 1;

// A ResNet-18 of width 32 at 128×128: its larger products are split
// (2²² multiply-adds and up), its smaller ones are not.
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lrp-split-'));
  const file = join(dir, 'resnet.safetensors');
  execFileSync('go', ['run', './cmd/lrp', 'synth', '-width', '32', '-size', '128', '-o', file], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const bytes = readFileSync(file);
  [a, b] = await Promise.all([startEngine(), startEngine()]);
  [{ result: info }] = await Promise.all([a.call('loadModel', [bytes]), b.call('loadModel', [bytes])]);
  await pairEngines(a, b);
  let seed = 7;
  x = new Float32Array(info.inputShape.reduce((p, q) => p * q, 1)).map(() => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5) * 4);
});

after(async () => {
  await Promise.all([a?.terminate(), b?.terminate()]);
  rmSync(dir, { recursive: true, force: true });
});

// differing counts the values of got whose bits differ from want's, and
// their largest difference.
function differing(got, want) {
  assert.equal(got.length, want.length);
  const g = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const w = new Uint32Array(want.buffer, want.byteOffset, want.length);
  let n = 0;
  let worst = 0;
  for (let i = 0; i < g.length; i++) {
    if (g[i] !== w[i]) {
      n++;
      worst = Math.max(worst, Math.abs(got[i] - want[i]));
    }
  }
  return [n, worst];
}

for (const composite of ['epsilon_gamma_box', 'epsilon', 'epsilon_plus_flat', 'gradient']) {
  test(`${composite}: the split explanation equals explain to the bit`, async () => {
    const { result: want, wall: alone } = await a.call('explain', [x, { composite }]);
    const t0 = performance.now();
    const [r0, r1] = await explainSplit(a, b, nextId++, x, { composite });
    const split = performance.now() - t0;
    for (const [part, { result: got }] of [r0, r1].entries()) {
      const [nr, wr] = differing(got.relevance, want.relevance);
      const [nl, wl] = differing(got.logits, want.logits);
      assert.equal(nr + nl, 0, `part ${part}: ${nr} relevance values differ (max ${wr}), ${nl} logits (max ${wl})`);
      assert.deepEqual(got.heatmap, want.heatmap, `part ${part}: heatmap`);
      assert.equal(got.target, want.target);
    }
    console.log(`# ${composite}: ${info.name}, split ${split.toFixed(0)} ms, alone ${alone.toFixed(0)} ms; max difference 0 over ${want.relevance.length} values`);
  });
}

// Go holds every JS value it is given or makes (a call's input and
// result, 2 MB for a 3×224×224 model) until one of its collections, which a
// large model's calls alone would seldom start; the wasm counts those
// bytes and collects at 64 MiB (collectJS in wasm/memory.go), and the rows
// of a split cross as addresses in linear memory, not as JS arrays. Over
// 64 calls of each kind (128 MB handed over), a thread must hold less than
// 64 + 32 MiB more ArrayBuffers than before.
test('many explanations, plain and split, keep JS memory bounded', async () => {
  const file = join(dir, 'resnet-w8.safetensors');
  execFileSync('go', ['run', './cmd/lrp', 'synth', '-width', '8', '-size', '224', '-o', file], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const bytes = readFileSync(file);
  const [c, d] = await Promise.all([startEngine(), startEngine()]);
  try {
    const [{ result: info8 }] = await Promise.all([c.call('loadModel', [bytes]), d.call('loadModel', [bytes])]);
    assert.ok(info8.splitProducts > 0);
    await pairEngines(c, d);
    const x8 = new Float32Array(3 * 224 * 224).fill(0.5);
    const held = async () => (await Promise.all([c.call('arrayBuffers'), d.call('arrayBuffers')])).map((r) => r.result);
    const o = { composite: 'epsilon' };
    for (const [kind, run] of [
      ['plain', () => Promise.all([c.call('explain', [x8, o]), d.call('explain', [x8, o])])],
      ['split', (i) => explainSplit(c, d, i + 1, x8, o)],
    ]) {
      const before = await held();
      for (let i = 0; i < 64; i++) await run(i);
      const grown = (await held()).map((v, i) => v - before[i]);
      console.log(`# ${kind}: 64 explanations, ArrayBuffers held ${grown.map((g) => (g / 2 ** 20).toFixed(1)).join(' and ')} MiB more`);
      for (const g of grown) assert.ok(g < (64 + 32) * 2 ** 20, `${kind}: ${g} bytes of ArrayBuffers more after 64 explanations`);
    }
  } finally {
    await Promise.all([c.terminate(), d.terminate()]);
  }
});

test('a part that fails rejects both, and both engines go on working', async () => {
  // Part 0 gets an input of the wrong size: it fails before its first
  // exchange and tells part 1, which is waiting for it.
  const id = nextId++;
  const [r0, r1] = await Promise.allSettled([
    a.call('explainSplit', [id, x.subarray(1), {}]),
    b.call('explainSplit', [id, x, {}]),
  ]);
  assert.equal(r0.status, 'rejected');
  assert.match(r0.reason.message, /^lrp: input has \d+ values/);
  assert.equal(r1.status, 'rejected');
  assert.match(r1.reason.message, /^lrp: split explanation: the partner failed: lrp: input has \d+ values/);

  // Both still explain, alone and together.
  const { result: want } = await b.call('explain', [x, {}]);
  const [s0] = await explainSplit(a, b, nextId++, x, {});
  assert.equal(differing(s0.result.relevance, want.relevance)[0], 0);
});

test('a split waits for its partner, and refuses other calls meanwhile', async () => {
  const id = nextId++;
  const pending = a.call('explainSplit', [id, x, {}]);
  // The engine holds its model for the split: another call is refused,
  // not queued behind a partner that may never come, and the split goes on.
  await assert.rejects(a.call('explain', [x, {}]), /^Error: lrp: busy: a split explanation \(explainPart\) is running/);
  await assert.rejects(a.call('explainSplit', [id + 1, x, {}]), new RegExp(`^Error: lrp: a split explanation \\(id ${id}\\) is already running`));
  // The partner comes late: part 0's first rows wait in its port.
  await new Promise((resolve) => setTimeout(resolve, 100));
  const [r0, r1] = await Promise.all([pending, b.call('explainSplit', [id, x, {}])]);
  assert.equal(differing(r0.result.relevance, r1.result.relevance)[0], 0);
  const { result: want } = await a.call('explain', [x, {}]);
  assert.equal(differing(r0.result.relevance, want.relevance)[0], 0);
});

test('abortSplit ends a split whose partner will never answer', async () => {
  const id = nextId++;
  const pending = a.call('explainSplit', [id, x, {}]);
  await a.call('abortSplit', [id, 'its Worker stopped']);
  await assert.rejects(pending, /^Error: lrp: split explanation: the partner failed: its Worker stopped$/);
  // An abort that arrives before its split starts fails it when it does.
  await a.call('abortSplit', [nextId, 'gone early']);
  await assert.rejects(a.call('explainSplit', [nextId++, x, {}]), /the partner failed: gone early$/);
  // b never saw those splits; the next one pairs up as usual.
  const [r0, r1] = await explainSplit(a, b, nextId++, x, {});
  assert.equal(differing(r0.result.relevance, r1.result.relevance)[0], 0);
});

test('explainSplit refuses bad arguments', async () => {
  await assert.rejects(a.call('explainSplit', [nextId - 1, x, {}]), /^Error: lrp: split id \d+ must be an integer above the last one/);
  await assert.rejects(a.call('explainSplit', [1.5, x, {}]), /must be an integer above the last one/);
  await assert.rejects(a.call('pair', [null, 0]), /^Error: lrp: pair needs a MessagePort/);
  const solo = await startEngine();
  try {
    await assert.rejects(solo.call('explainSplit', [1, x, {}]), /^Error: lrp: explainSplit needs pair\(port, part\) first/);
    const { port1 } = new MessageChannel();
    await assert.rejects(solo.call('pair', [port1, 2], [port1]), /^Error: lrp: part must be 0 or 1, got 2/);
  } finally {
    await solo.terminate();
  }
});
