// runtime.js — starting the engine for lrp.js: compiling lrp.wasm and
// kernels.wasm (from files under Node, by fetch in a browser), forwarding
// the engine's imports of the SIMD kernels to their instance, running the
// Go program, and keeping a dead runtime from taking its host down.

const isNode = typeof process !== 'undefined' && process.versions != null && process.versions.node != null;

// simdProbe is the smallest module with a SIMD instruction,
// (func (result v128) (i32x4.splat (i32.const 0))): a host validates it if
// it runs WebAssembly SIMD.
const simdProbe = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 8, 1, 6, 0, 65, 0, 253, 17, 11]);
let simdHost = null;

// simdSupported reports whether this host runs WebAssembly SIMD (tested once).
export function simdSupported() {
  if (simdHost === null) simdHost = WebAssembly.validate(simdProbe);
  return simdHost;
}

// boot compiles and instantiates the engine (and the SIMD kernels when
// simd), runs its Go program, which publishes the raw API, and resolves to
// {raw, go, instance, run, kernel}; onExit runs if the program exits.
export async function boot(onExit, simd) {
  await import('./wasm_exec.js'); // defines globalThis.Go
  if (typeof globalThis.Go !== 'function') {
    throw new Error('lrp: wasm_exec.js did not define globalThis.Go');
  }
  const go = new globalThis.Go();
  guardResume(go);
  const compile = isNode ? compileFile : compileURL;
  const engine = compile(new URL('./lrp.wasm', import.meta.url));
  const kernelModule = simd ? compile(new URL('./kernels.wasm', import.meta.url)) : null;
  kernelModule?.catch(() => {}); // awaited below, after the engine's own error if both fail

  // The engine imports the kernels (lrp/simd_wasm.go, steps_wasm.go),
  // which need the engine's memory: Go's imports are forwarders to the
  // kernels' instance made next, before Go starts, one per import of
  // module lrpsimd. Go calls them only when told to, by __lrpSimd
  // (wasm/simd.go). A call costs about 30 ns; Go makes one per packed
  // block of a product, per Winograd transform, and per array of an
  // elementwise step.
  const kernel = { exports: null, calls: 0 };
  go.importObject.lrpsimd = forwarders(await engine, kernel);
  const instance = await WebAssembly.instantiate(await engine, go.importObject);
  if (simd) {
    const k = await WebAssembly.instantiate(await kernelModule, { env: { mem: instance.exports.mem } });
    kernel.exports = k.exports;
  }

  delete globalThis.__lrp;
  // run() starts main, which publishes globalThis.__lrp and blocks; the
  // promise settles only if the Go program exits. The package's init
  // reads __lrpSimd first.
  globalThis.__lrpSimd = simd;
  const run = go.run(instance);
  delete globalThis.__lrpSimd;
  run.then(onExit, onExit);
  const raw = globalThis.__lrp;
  delete globalThis.__lrp;
  if (raw == null || go.exited) {
    throw new Error('lrp: the wasm module did not start (see the console for its output)');
  }
  return { raw, go, instance, run, kernel };
}

// forwarders returns the imports of module lrpsimd that the engine module
// asks for, each a function calling the kernel's export of that name in
// kernel.exports (set once the kernel's instance exists) and counting the
// call in kernel.calls.
function forwarders(engine, kernel) {
  const imports = {};
  for (const { module, name } of WebAssembly.Module.imports(engine)) {
    if (module !== 'lrpsimd') continue;
    let f = null;
    imports[name] = (...a) => {
      kernel.calls++;
      f ??= kernel.exports[name];
      return f(...a);
    };
  }
  return imports;
}

// guardResume keeps a dead runtime from taking its host down. wasm_exec.js
// runs Go's timers with setTimeout and re-enters Go through go._resume,
// which throws "Go program has already exited" once the runtime has died
// (of out-of-memory, say): from a timer that throw is uncaught, and in Node
// it ends the whole process before init() can start a fresh runtime. Here
// a resume after the exit cancels Go's timers and does nothing else (the
// timer callback retries while its timer is registered), and a trap inside
// one (the instance is unusable) counts as the exit, so that the calls in
// flight reject.
function guardResume(go) {
  const resume = go._resume.bind(go);
  go._resume = () => {
    if (go.exited) {
      for (const t of go._scheduledTimeouts.values()) clearTimeout(t);
      go._scheduledTimeouts.clear();
      return;
    }
    try {
      resume();
    } catch (err) {
      stop(go, err);
    }
  };
}

// stop counts a trap inside the runtime (the instance is unusable) as the
// Go program's exit, so that the calls in flight reject.
export function stop(go, err) {
  if (!go.exited) console.error('lrp: the wasm runtime stopped:', err);
  go.exited = true;
  go._resolveExitPromise();
}

async function compileFile(url) {
  const { readFile } = await import('node:fs/promises');
  let bytes;
  try {
    bytes = await readFile(url);
  } catch (err) {
    throw new Error(`lrp: reading ${url.pathname}: ${err.message}`);
  }
  return WebAssembly.compile(bytes);
}

async function compileURL(url) {
  const get = async () => {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`lrp: fetching ${url}: HTTP ${res.status}`);
    return res;
  };
  if (typeof WebAssembly.compileStreaming === 'function') {
    try {
      return await WebAssembly.compileStreaming(get());
    } catch (err) {
      // A server that does not send application/wasm makes streaming fail
      // with a TypeError; compile from the bytes instead.
      if (!(err instanceof TypeError)) throw err;
    }
  }
  return WebAssembly.compile(await (await get()).arrayBuffer());
}
