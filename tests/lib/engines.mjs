// Engines in worker_threads (engine-worker.mjs), driven from Node as a page
// drives its Workers.
import { MessageChannel, Worker } from 'node:worker_threads';

/**
 * startEngine starts one engine thread, its engine made by init(options)
 * (e.g. {simd: false}), and resolves with its client: call(method, args,
 * transfer), terminate(), startup.
 */
export async function startEngine(options) {
  const w = new Worker(new URL('./engine-worker.mjs', import.meta.url), { workerData: { options } });
  const calls = new Map();
  let next = 1;
  w.on('message', (m) => {
    const c = calls.get(m.id);
    if (!c) return;
    calls.delete(m.id);
    if (m.error !== undefined) c.reject(new Error(m.error));
    else c.resolve(m);
  });
  const failAll = (err) => {
    for (const c of calls.values()) c.reject(err);
    calls.clear();
  };
  w.on('error', failAll);
  w.on('exit', (code) => failAll(new Error(`the engine thread exited (${code})`)));
  const { startup } = await new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
  return {
    /** startup is the thread's init() of the engine, in ms. */
    startup,
    /** call resolves with {result, wall, wasm}: the engine method's result, its time in the thread, the thread's wasm memory. */
    call(method, args = [], transfer = []) {
      const id = next++;
      return new Promise((resolve, reject) => {
        calls.set(id, { resolve, reject });
        w.postMessage({ id, method, args }, transfer);
      });
    },
    terminate: () => w.terminate(),
  };
}

/** pairEngines connects two engines with a MessageChannel for explainSplit (a part 0, b part 1). */
export async function pairEngines(a, b) {
  const { port1, port2 } = new MessageChannel();
  await Promise.all([a.call('pair', [port1, 0], [port1]), b.call('pair', [port2, 1], [port2])]);
}

/** explainSplit runs split id on both engines and resolves with both replies. */
export function explainSplit(a, b, id, x, options) {
  return Promise.all([a.call('explainSplit', [id, x, options]), b.call('explainSplit', [id, x, options])]);
}
