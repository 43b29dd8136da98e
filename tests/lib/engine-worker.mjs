// A worker_thread that owns one wasm engine (web/lrp.js), for Node tests
// and benchmarks of what a page does with Workers: it answers
// {id, method, args} with {id, result} or {id, error}, where method is one
// of the engine's (loadModel, explain, explainSplit, …) or pair, whose
// args are [port, part] (the port transferred with the message), or
// arrayBuffers (see below). Typed arrays in results are copied.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc'); // a context made after the flag has gc

const t0 = performance.now();
const { init } = await import('../../web/lrp.js');
const lrp = await init(workerData?.options); // the options of startEngine
const startup = performance.now() - t0;

parentPort.on('message', async ({ id, method, args = [] }) => {
  try {
    if (method === 'arrayBuffers') {
      // The bytes of ArrayBuffers this thread holds, after a collection
      // (V8 frees their memory in a task after it: a second one follows).
      gc();
      await new Promise((resolve) => setTimeout(resolve, 20));
      gc();
      parentPort.postMessage({ id, result: process.memoryUsage().arrayBuffers });
      return;
    }
    if (typeof lrp[method] !== 'function') throw new Error(`no engine method ${method}`);
    const t0 = performance.now();
    const result = await lrp[method](...args);
    parentPort.postMessage({ id, result, wall: performance.now() - t0, wasm: lrp.memory().wasm });
  } catch (err) {
    parentPort.postMessage({ id, error: String(err?.message ?? err) });
  }
});
parentPort.postMessage({ ready: true, startup }); // init(): import, read, compile, instantiate, start Go
