// One engine of the batch benchmark of scripts/bench.mjs (--pool N): a
// worker_thread with its own wasm instance (web/lrp.js init()), which
// loads the model file named in workerData.file, reports its startup, load
// time (resolved, and until its thread is idle) and linear memory, then
// answers {id, x, composite} messages with the explain's wall and engine
// times and its memory after, until told to stop.
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

const t0 = performance.now();
const { init } = await import('../web/lrp.js');
const lrp = await init();
const startup = performance.now() - t0;
const bytes = readFileSync(workerData.file);
const l0 = performance.now();
const info = await lrp.loadModel(bytes);
const load = performance.now() - l0;
// The Go runtime keeps running after loadModel resolves (its background
// work after the load's collections, slow in a fresh instance's first
// tier of code) and holds the event loop meanwhile: idle is the load until
// the thread is free for the next message.
await new Promise((resolve) => setImmediate(resolve));
const idle = performance.now() - l0;
parentPort.postMessage({ ready: true, startup, load, idle, info, wasm: lrp.memory().wasm });

parentPort.on('message', async (m) => {
  if (m.stop) {
    parentPort.close();
    return;
  }
  const s = performance.now();
  const r = await lrp.explain(m.x, { composite: m.composite });
  const wall = performance.now() - s;
  parentPort.postMessage({ id: m.id, wall, engine: r.timings.explain, predicted: r.predicted, wasm: lrp.memory().wasm });
});
