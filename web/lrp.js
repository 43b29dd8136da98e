// lrp.js — the LRP engine in WebAssembly, one API for browser Workers and
// Node (docs/JS_API.md).
//
//   import { init } from './lrp.js';
//   const lrp = await init();
//   const info = await lrp.loadModel(bytes);
//   const r = await lrp.explain(x, { composite: 'epsilon_gamma_box' });
//
// lrp.wasm, wasm_exec.js (from the Go toolchain that built it), kernels.wasm
// (the SIMD kernels, wasm/kernels/kernels.wat), runtime.js (how they are
// started), args.js (how the arguments are read) and packed.js (how a
// result is read) sit next to this file. The module is loaded once per kernel choice, through a
// cached promise that is cleared if loading fails or the Go runtime exits,
// so the next init() tries again. All computation
// happens inside the wasm; this file only moves bytes and parses the JSON
// the wasm returns.

import * as args from './args.js';
import { unpack } from './packed.js';
import { boot, simdSupported, stop } from './runtime.js';

// The instances by kernel choice ('simd' or 'go'): Promises of API objects.
const ready = new Map();

/**
 * Loads the wasm and resolves to the API object of docs/JS_API.md.
 * options.simd chooses the matrix kernel: by default the SIMD kernel when
 * the host runs WebAssembly SIMD (every current browser, Node 20) and the
 * pure-Go one otherwise; false, the pure-Go one; true, the SIMD one or a
 * rejection. Both give the same results. Safe to call any number of times,
 * also concurrently: every call that picks the same kernel gets the same
 * object (each kernel choice is an instance of its own, with its own
 * memory). If loading fails the promise rejects and the next call starts
 * over.
 */
export function init(options) {
  let kernel;
  try {
    kernel = kernelOf(options);
  } catch (err) {
    return Promise.reject(err);
  }
  if (!ready.has(kernel)) {
    const reset = () => {
      if (ready.get(kernel) === p) ready.delete(kernel);
    };
    const simd = kernel === 'simd';
    const p = boot(reset, simd).then(({ raw, go, instance, run, kernel: k }) => api(raw, go, instance, run, simd, k)).catch((err) => {
      reset();
      throw err;
    });
    ready.set(kernel, p);
  }
  return ready.get(kernel);
}

// kernelOf checks init's options and returns the kernel they choose.
function kernelOf(options) {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new TypeError('lrp: init options must be an object');
  for (const k of Object.keys(options)) {
    if (k !== 'simd') throw new TypeError(`lrp: unknown init option ${JSON.stringify(k)}`);
  }
  const { simd } = options;
  if (simd !== undefined && typeof simd !== 'boolean') throw new TypeError(`lrp: init option simd must be a boolean, got ${typeof simd}`);
  if (simd === true && !simdSupported()) throw new Error('lrp: init({simd: true}): this host does not run WebAssembly SIMD');
  return simd !== false && simdSupported() ? 'simd' : 'go';
}

const f32 = (u8) => new Float32Array(u8.buffer, u8.byteOffset, u8.byteLength >> 2);
const utf8 = new TextDecoder();
const utf8Out = new TextEncoder();

function api(raw, go, instance, run, simd, kernel) {
  // call runs one method of the raw API, turning a synchronous throw (the
  // Go program has exited) into a rejection. A call still pending when the
  // program exits (a split waiting for its partner) rejects then.
  const exited = () => new Error('lrp: the wasm runtime has exited (see the console); call init() again');
  // (Each call races its own promise, not one shared by all: a promise
  // that never settles keeps every race run against it, and the race its
  // result.)
  const pending = new Set(); // the rejecters of the calls in flight
  const exit = () => {
    for (const reject of pending) reject(exited());
  };
  run.then(exit, exit);
  const call = async (name, ...args) => {
    if (go.exited) throw exited();
    const method = raw[name]; // called without a receiver: one JS value less for Go to hold
    let reject;
    const stopped = new Promise((_, r) => (reject = r));
    pending.add(reject);
    try {
      const result = await Promise.race([method(...args), stopped]);
      if (go.exited) throw exited();
      return result;
    } finally {
      pending.delete(reject);
    }
  };
  // now runs a method of the raw API that answers at once (explain and
  // render, wasm/call.go direct): it returns the address of the packed
  // result in linear memory, which the caller copies out (unpack) before
  // anything else can run, or an Error, thrown here.
  const now = (name, ...args) => {
    if (go.exited) throw exited();
    const at = raw[name](...args);
    if (typeof at === 'number') return new Uint8Array(instance.exports.mem.buffer, at);
    if (go.exited) throw exited();
    throw at instanceof Error ? at : new Error(`lrp: ${name} returned ${typeof at}`);
  };
  // direct runs explain for x, a Float32Array of at least one value, and
  // the options JSON text through the functions the wasm exports for it
  // (wasm/export.go): the options text goes into linear memory when it
  // changes, the input is copied in once Go has accepted its length, and
  // the result is read as now's.
  const exp = instance.exports;
  const text = { at: 0, cap: 0, bytes: 0, json: null }; // Go's buffer of the options JSON, and what it holds
  const direct = (x, json) => {
    if (go.exited) throw exited();
    try {
      if (json !== text.json) {
        const need = 3 * json.length; // UTF-8 bytes, at most
        if (need > text.cap) {
          text.json = null;
          const at = exp.lrpText(need) >>> 0;
          if (at === 0) throw failed();
          text.at = at;
          text.cap = need;
        }
        text.bytes = utf8Out.encodeInto(json, new Uint8Array(exp.mem.buffer, text.at, need)).written;
        text.json = json;
      }
      const at = exp.lrpInput(x.length, text.bytes) >>> 0;
      if (at === 0) throw failed();
      new Float32Array(exp.mem.buffer, at, x.length).set(x);
      const res = exp.lrpExplain() >>> 0;
      if (res === 0) throw failed();
      return new Uint8Array(exp.mem.buffer, res);
    } catch (err) {
      if (!(err instanceof WebAssembly.RuntimeError)) throw err;
      stop(go, err);
      throw exited();
    }
  };
  // failed is the error of the exported call that returned 0.
  const failed = () => {
    const at = exp.lrpError() >>> 0;
    const n = new DataView(exp.mem.buffer, at, 4).getUint32(0, true);
    return new Error(utf8.decode(new Uint8Array(exp.mem.buffer, at + 4, n)));
  };
  const composites = raw.composites;
  const rules = raw.rules;
  const colormaps = raw.colormaps;
  const result = (u8) => {
    const [m, a] = unpack(u8);
    return {
      logits: a.logits,
      probabilities: a.probabilities,
      predicted: m.predicted,
      target: m.target,
      top: m.top,
      input: a.input,
      relevance: a.relevance,
      heatmap: a.heatmap,
      picture: a.picture,
      mask: a.mask,
      width: m.width,
      height: m.height,
      range: m.range,
      diagnostics: m.diagnostics,
      timings: m.timings,
    };
  };

  // A split explanation (pair, explainSplit): the partner's messages on
  // the port are {id, rows} (its rows of one product, an ArrayBuffer
  // transferred) and {id, abort} (its part failed). Those of a split that
  // has not started here yet wait in early; those of a finished one are
  // dropped. The wasm gives the rows of each exchange as addresses in its
  // memory (see wasm/split.go): mine are copied out and posted, the
  // partner's are written into `into` and announced with receive.
  let link = null; // {port, part}
  let lastId = 0; // the id of the last split started here
  let active = false; // whether split lastId is running
  let early = [];
  let into = null; // {at, bytes}: where the partner's next rows go
  const deliver = (msg) => {
    let p;
    if (msg.abort !== undefined) {
      p = call('abortPart', String(msg.abort));
    } else if (!(msg.rows instanceof ArrayBuffer) || into === null || msg.rows.byteLength !== into.bytes) {
      const got = msg.rows instanceof ArrayBuffer ? `${msg.rows.byteLength} bytes of rows` : 'no rows';
      p = call('abortPart', `the partner sent ${got}, want ${into?.bytes ?? 'none'}: is it explaining the same model, input and options?`);
    } else {
      new Uint8Array(instance.exports.mem.buffer, into.at, into.bytes).set(new Uint8Array(msg.rows));
      const n = into.bytes;
      into = null;
      p = call('receive', n);
    }
    p.catch(() => {}); // the split has already ended: its own error tells why
  };
  const onPartner = (msg) => {
    if (msg == null || !Number.isInteger(msg.id)) return;
    if (msg.id > lastId) early.push(msg);
    else if (msg.id === lastId && active) deliver(msg);
  };

  return Object.freeze({
    version: raw.version,

    /**
     * Loads a .safetensors or .onnx model (Uint8Array or ArrayBuffer) and resolves to its info,
     * with timings {decode, warm} in milliseconds: reading the file into a model, and the
     * engine's warm-up (a throwaway explanation of a small model, the caches of a large one).
     * With options {warm: false} it resolves before the warm-up, which warm() then does; an
     * explanation before it keeps none of the Winograd transforms it computes (docs/JS_API.md).
     */
    async loadModel(bytes, options) {
      const b = args.bytesLike(bytes, 'model bytes');
      const warm = options?.warm === undefined ? true : options.warm;
      if (typeof warm !== 'boolean') throw new TypeError(`lrp: loadModel option warm must be a boolean, got ${typeof warm}`);
      return JSON.parse(await call('loadModel', b, warm));
    },

    /**
     * Warms the loaded model up as loadModel does (its caches are built ahead of the first
     * explanation), after a loadModel(bytes, {warm: false}); resolves to the milliseconds it took.
     */
    async warm() {
      return call('warm');
    },

    /**
     * Touches, for about ms milliseconds, the free memory that the model loaded last will use
     * (the system maps a page of memory when it is first written: about 1 ms per MB), so that
     * the first explanation finds it mapped; returns whether some is left. It returns false at
     * once when nothing is left or another call is running, and every other call ends it.
     * For a caller with time to spare between the load and the first input (the page's Worker).
     */
    prefault(ms = 20) {
      if (go.exited) throw exited();
      return raw.prefault(ms);
    },

    /**
     * Sets the loaded model's input normalization and class names:
     * {normalization: 'default'|'none'|'imagenet'|{mean, std}, labels:
     * 'default'|'imagenet'|'indices'|[names], labelsFile: text} (every key
     * optional; docs/JS_API.md). Resolves to the model's info; a refused
     * call changes nothing.
     */
    async configure(settings) {
      return JSON.parse(await call('configure', args.options(settings, 'settings')));
    },

    /** Explains input (Float32Array, or {rgba, width, height, mode}) with options. */
    async explain(input, options) {
      const x = args.input(input);
      const json = args.options(options);
      return result(x instanceof Float32Array && x.length > 0 ? direct(x, json) : now('explain', x, json));
    },

    /**
     * Connects this engine to another one, in another Worker or
     * worker_thread, for explainSplit: port is one end of a MessageChannel
     * whose other end goes to the other engine's pair, and part is 0 here
     * and 1 there (or the reverse).
     */
    pair(port, part) {
      if (part !== 0 && part !== 1) throw new Error(`lrp: part must be 0 or 1, got ${part}`);
      if (typeof port?.postMessage !== 'function') throw new Error('lrp: pair needs a MessagePort');
      if (link) link.port.onmessage = null;
      link = { port, part };
      port.onmessage = (e) => onPartner(e.data);
    },

    /**
     * Explains as explain does, together with the paired engine, which
     * must make the same call at the same time (same id, model, input and
     * options): each computes half of every large product and sends it to
     * the other (docs/SPEED.md). Both resolve with explain's result, to the
     * bit. ids are integers that increase from one split to the next. If
     * either part fails, both reject.
     */
    async explainSplit(id, input, options) {
      if (!link) throw new Error('lrp: explainSplit needs pair(port, part) first');
      if (active) throw new Error(`lrp: a split explanation (id ${lastId}) is already running`);
      if (!Number.isInteger(id) || id <= lastId) throw new Error(`lrp: split id ${id} must be an integer above the last one, ${lastId}`);
      lastId = id;
      active = true;
      const port = link.port;
      into = null;
      const send = (mine, mineBytes, theirs, theirsBytes) => {
        const rows = instance.exports.mem.buffer.slice(mine, mine + mineBytes);
        into = { at: theirs, bytes: theirsBytes };
        port.postMessage({ id, rows }, [rows]);
      };
      try {
        const pending = call('explainPart', args.input(input), args.options(options), link.part, send);
        const mine = early.filter((m) => m.id === id);
        early = early.filter((m) => m.id > id);
        for (const m of mine) deliver(m);
        return result(await pending);
      } catch (err) {
        port.postMessage({ id, abort: String(err?.message ?? err) });
        throw err;
      } finally {
        active = false;
      }
    },

    /**
     * Makes split id fail here with reason, as if the paired engine had
     * failed: for a partner that will never answer (its Worker died). A
     * split that has ended ignores it; one that has not started here yet
     * fails as soon as it starts.
     */
    abortSplit(id, reason) {
      onPartner({ id, abort: String(reason ?? 'aborted') });
    },

    /** Turns RGBA pixels into the model input: mode 'digit' or 'image' (default by model). */
    async preprocess(rgba, width, height, mode) {
      return f32(await call('preprocess', args.bytesLike(rgba, 'rgba'), args.scalar(width, 'width'), args.scalar(height, 'height'), args.scalar(mode, 'mode')));
    },

    /** Re-colours a relevance map without recomputing it: {heatmap, mask, width, height, range}. */
    async render(relevance, options) {
      const [m, a] = unpack(now('render', args.bytesLike(relevance, 'relevance'), args.options(options)));
      return { heatmap: a.heatmap, mask: a.mask, width: m.width, height: m.height, range: m.range };
    },

    /**
     * Region perturbation of input (as for explain) under each method of
     * options.methods: the target's curves most and least relevant patch
     * first, and their AOPC (docs/JS_API.md).
     */
    async evaluate(input, options) {
      return JSON.parse(await call('evaluate', args.input(input), args.options(options)));
    },

    /** The explanation methods: [{name, title, description, kind: 'lrp'|'baseline'}]. */
    composites() {
      return JSON.parse(composites);
    },

    /**
     * The LRP rules the per-layer `rules` option takes: [{name, title,
     * formula, description, kinds, params: [{name, label, default, min,
     * max}], constraint}] (docs/JS_API.md).
     */
    rules() {
      return JSON.parse(rules);
    },

    /** The heatmap colormap names, the default first. */
    colormaps() {
      return JSON.parse(colormaps);
    },

    /**
     * Diagnostics: wasm, the bytes of the module's linear memory (it only
     * grows); refs, how many JS values the Go side holds references to
     * (null if wasm_exec.js keeps no such table).
     */
    memory() {
      const refs = Array.isArray(go._values) && Array.isArray(go._idPool) ? go._values.length - go._idPool.length : null;
      return { wasm: instance.exports.mem.buffer.byteLength, refs };
    },

    /**
     * The matrix kernel of this instance: simd, whether its products run
     * on the SIMD kernel (kernels.wasm) rather than the pure-Go one; calls,
     * how many packed blocks the engine has sent to the SIMD kernel so far.
     */
    kernels() {
      return { simd, calls: kernel.calls };
    },

    /**
     * Ends the Go runtime as a fatal error would (for tests of recovery):
     * resolves once it has died; every later call rejects, and init()
     * starts a fresh runtime.
     */
    async crash() {
      if (go.exited) return;
      raw.crash();
      await run;
    },
  });
}
