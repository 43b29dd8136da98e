// worker.js owns one instance of the wasm engine and one model. The page
// posts {id, method, args}; the worker answers {id, result} or {id, error},
// plus {id, progress} while it reads a model. Messages are handled one at a
// time, in order, so a model is never swapped under a running explanation.
// Typed arrays in results are transferred, never copied.
//
// A worker can be paired with a second one (pair, then explainSplit on
// both with the same id) to compute one explanation together: lrp.js
// exchanges the halves over the pair's MessagePort by itself, outside this
// queue. Two methods skip the queue (urgent): ping, which tells the page
// that this worker is alive while a split keeps it busy, and abortSplit,
// which ends a split whose partner will never answer (its worker died).
import { init } from './lrp.js';

// Models larger than this are refused before they are read: the engine
// runs in 32-bit wasm memory and needs room for activations too.
const maxModelBytes = 1 << 30;

// A model file up to this size is read in one piece (File.arrayBuffer:
// a ResNet-18's 22 MB in about 50 ms, against 95 ms in chunks), without
// the progress of a larger one, read in chunks.
const wholeRead = 64 << 20;

let engine = null;
let model = null; // {name, info}
// The engine's kernels: the pure-Go ones when this script's URL says
// ?simd=0 (pool.js, for a page opened with ?simd=0), else init's choice
// (WebAssembly SIMD where the browser has it).
const kernels = new URL(self.location.href).searchParams.get('simd') === '0' ? { simd: false } : {};

const methods = {
  // open reads a model from {url} | {file} | {bytes} (with a name) and
  // loads it in the engine. It answers before the engine warms up (a
  // throwaway explanation of a small model, the caches of a large one: see
  // loadModel in wasm/main.go), which waits until the Worker has been idle
  // for warmDelay ms (see warmLater): the page shows the model meanwhile,
  // and an input given at once is explained without waiting for the
  // warm-up. If the engine rejects the file, the previous model stays
  // loaded, so the page keeps working. settings, if given, are the page's
  // configure settings for this model (a Worker that opens the model after
  // the page changed them gets them with it).
  async open({ source, settings }, progress) {
    engine ??= await init(kernels);
    const name = source.name || source.file?.name || (source.url ? source.url.split('/').pop() : 'model');
    const bytes = await readModel(source, progress);
    progress({ phase: 'parse', loaded: bytes.byteLength, total: bytes.byteLength });
    let info;
    try {
      info = await engine.loadModel(bytes, { warm: false }); // a rejected file leaves the previous model loaded
    } catch (err) {
      throw rejection(name, err);
    }
    model = { name, info };
    warmPending = true;
    coldPending = true;
    coldDone = false;
    faultPending = true;
    if (settings) model.info = info = await engine.configure(settings);
    return {
      name,
      size: bytes.byteLength,
      info,
      composites: engine.composites(),
      rules: engine.rules(),
      colormaps: engine.colormaps(),
      version: engine.version,
    };
  },

  // configure changes the model's normalization and class names (the
  // engine's configure: on an error nothing changes) and returns its info.
  async configure({ settings }) {
    model.info = await engine.configure(settings);
    return model.info;
  },

  // explain runs the engine; the result carries the model input as the
  // model saw it (`picture`) and the heatmap's opacity over it (`mask`),
  // both drawn by the engine. `workers` is 1 here and 2 for explainSplit;
  // `simd` whether the engine ran on the SIMD kernels.
  async explain({ input, options }) {
    return { ...(await engine.explain(input, options)), workers: 1, simd: engine.kernels().simd };
  },

  // pair connects this worker's engine to a partner's through port, one
  // end of a MessageChannel whose other end the partner got with the other
  // part (0 or 1).
  async pair({ port, part }) {
    engine ??= await init(kernels);
    engine.pair(port, part);
  },

  // explainSplit is explain computed together with the paired worker,
  // which must get the same call (same id, input and options) and model.
  async explainSplit({ id, input, options }) {
    return { ...(await engine.explainSplit(id, input, options)), workers: 2, simd: engine.kernels().simd };
  },

  // render recolours a relevance map: {heatmap, mask, width, height, range}.
  render({ relevance, options }) {
    return engine.render(relevance, options);
  },

  // colorbar returns 256 RGBA samples of a colormap from low to high, drawn
  // by the engine itself (a ramp in the model's input shape rendered with
  // symmetric scaling), so the bar matches the heatmap exactly.
  async colorbar({ colormap }) {
    const shape = model.info.inputShape;
    const channels = shape.length === 3 ? shape[0] : 1;
    const n = shape.reduce((a, b) => a * b, 1) / channels;
    const ramp = new Float32Array(n * channels);
    for (let c = 0; c < channels; c++) {
      for (let i = 0; i < n; i++) ramp[c * n + i] = (2 * i) / (n - 1) - 1;
    }
    const { heatmap } = await engine.render(ramp, { colormap, symmetric: true, sign: 'all' });
    const bar = new Uint8ClampedArray(256 * 4);
    for (let k = 0; k < 256; k++) {
      const i = Math.round((k / 255) * (n - 1));
      bar.set(heatmap.subarray(4 * i, 4 * i + 4), 4 * k);
    }
    return { rgba: bar };
  },

  // call forwards any other engine call (preprocess, evaluate, …) as is.
  call({ method, args = [] }) {
    if (typeof engine?.[method] !== 'function') throw new Error(`lrp: the engine has no method ${method}`);
    return engine[method](...args);
  },
};

// abortSplit makes split id fail here (engine.abortSplit), so that a split
// whose partner died rejects instead of waiting forever.
function abortSplit({ id, reason }) {
  engine?.abortSplit(id, reason);
}

// settled answers once the model opened last needs nothing more before
// its first explanation: its warm-up is done (or failed), or an
// explanation has come (see warmLater). It is not queued.
function settled(id) {
  if (isSettled()) self.postMessage({ id, result: null });
  else settling.push(id);
}
let warming = false;
let settling = []; // the ids of the settled calls waiting

const isSettled = () => !coldPending || (!warmPending && !warming);

function settle() {
  if (!isSettled()) return;
  for (const id of settling) self.postMessage({ id, result: null });
  settling = [];
}

const urgent = { abortSplit, ping() {} };

async function readModel(source, progress) {
  if (source.bytes) return new Uint8Array(source.bytes);
  if (source.file && source.file.size <= wholeRead) return new Uint8Array(await source.file.arrayBuffer());
  let body, total;
  if (source.file) {
    total = source.file.size;
    if (total > maxModelBytes) throw tooLarge(total);
    body = source.file.stream();
  } else {
    const res = await fetch(source.url);
    if (!res.ok) throw new Error(`model: could not load ${source.url} (HTTP ${res.status})`);
    total = Number(res.headers.get('content-length')) || 0;
    body = res.body;
  }
  const chunks = [];
  let loaded = 0;
  let reported = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    if (loaded > maxModelBytes) throw tooLarge(loaded);
    if (loaded - reported >= 1 << 20) {
      progress({ phase: 'read', loaded, total });
      reported = loaded;
    }
  }
  const bytes = new Uint8Array(loaded);
  let off = 0;
  for (const c of chunks) {
    bytes.set(c, off);
    off += c.byteLength;
  }
  return bytes;
}

function tooLarge(n) {
  return new Error(`model: the file has ${(n / 2 ** 20).toFixed(0)} MB; the page loads models up to ${maxModelBytes / 2 ** 20} MB`);
}

// rejection names the file in the engine's message ("model: …" or "lrp: …").
function rejection(name, err) {
  const msg = String(err?.message ?? err);
  return new Error(`${name}: ${/^(model|lrp|preprocess):/.test(msg) ? msg : 'model: ' + msg}`);
}

// transferables lists the buffers behind the typed arrays of a result (two
// levels deep) that the result owns: its views cover at least half of the
// buffer. A small view into a large buffer (wasm memory, say) is copied by
// postMessage instead, and its buffer stays where it is.
function transferables(result) {
  const covered = new Map();
  const walk = (v, depth) => {
    if (ArrayBuffer.isView(v)) covered.set(v.buffer, (covered.get(v.buffer) ?? 0) + v.byteLength);
    else if (v && typeof v === 'object' && depth < 2) for (const x of Object.values(v)) walk(x, depth + 1);
  };
  walk(result, 0);
  return [...covered].filter(([buf, n]) => 2 * n >= buf.byteLength).map(([buf]) => buf);
}

let queue = Promise.resolve();
let waiting = 0; // messages received and not yet answered

// A model just opened is warmed up (engine.warm) once the Worker has had
// no message for warmDelay ms (the warm-up of a ResNet-18 takes 0.5–0.9 s
// in a fresh tab, most of it the first touch of its memory, and an
// explanation asked for meanwhile would wait for all of it). So a photo
// given as soon as the model shows is explained at once, and a model left
// idle is warm by the time an input comes. An explanation that comes
// first is a cold one (it keeps none of the Winograd transforms it
// computes, and so writes some 280 MB less fresh memory: see
// app.Session.WarmLater), and the warm-up follows it as soon as the
// Worker is idle, without waiting warmDelay: an input given meanwhile
// would build the same caches itself. A second explanation before the
// warm-up builds what it needs itself, and the warm-up is dropped.
const warmDelay = 400;
let warmPending = false;
let coldPending = false; // no explanation since the model was opened
let coldDone = false; // the cold explanation came, and the warm-up not yet
let warmTimer = 0;

// Until then, and from the moment open answers, the Worker touches the
// memory that the model's first explanation will use (engine.prefault), a
// few milliseconds at a time, yielding to messages in between: the first
// write to a page of memory costs about 1 ms per MB, a third of a
// ResNet-18's first explanation, and the page has some hundreds of
// milliseconds to spare here (showing the model, the user choosing an
// input). A message stops it; it goes on after a message that does not
// use the memory (the colour bar, say), not after an explanation.
let faultPending = false;
const light = { colorbar: true, render: true, pair: true }; // the methods after which it goes on
const yielder = new MessageChannel();
yielder.port1.onmessage = () => {
  if (!faultPending || waiting > 0) return;
  faultPending = engine.prefault(10);
  if (!faultPending) warmLater(); // the warm-up's wait starts when the touching is done
  if (faultPending) yielder.port2.postMessage(0);
};

function warmLater() {
  clearTimeout(warmTimer);
  if (faultPending && waiting === 0) yielder.port2.postMessage(0);
  if (faultPending || !warmPending || waiting > 0) return;
  warmTimer = setTimeout(() => {
    if (!warmPending || waiting > 0) return;
    queue = queue.then(async () => {
      if (!warmPending || waiting > 0) return;
      warmPending = false;
      coldDone = false;
      faultPending = false; // the warm-up touches the memory itself
      warming = true;
      await engine.warm().catch(() => {}); // a failed warm-up: the next call meets the same error
      warming = false;
      settle();
    });
  }, coldDone ? 0 : warmDelay);
}

self.onmessage = (e) => {
  const { id, method, args } = e.data;
  if (method === 'settled') {
    settled(id);
    return;
  }
  if (Object.hasOwn(urgent, method)) {
    urgent[method](args ?? {});
    self.postMessage({ id, result: null });
    return;
  }
  const received = performance.now();
  waiting++;
  clearTimeout(warmTimer);
  if (method === 'explain' || method === 'explainSplit') {
    if (coldPending) {
      coldPending = false; // a cold one: the warm-up follows
      coldDone = true;
    } else {
      warmPending = false; // it builds what it needs
      coldDone = false;
    }
    settle();
  }
  if (!Object.hasOwn(light, method)) faultPending = false;
  queue = queue.then(async () => {
    try {
      const f = methods[method];
      if (!f) throw new Error(`lrp: unknown worker method ${method}`);
      if (!model && method !== 'open' && method !== 'call' && method !== 'pair') throw new Error('lrp: no model is loaded');
      const started = performance.now();
      const result = await f(args ?? {}, (p) => self.postMessage({ id, progress: p }));
      // The worker's share of a round trip: waiting behind earlier
      // messages, and the whole call including the JS around the engine.
      if (result?.timings) Object.assign(result.timings, { queued: started - received, worker: performance.now() - started });
      self.postMessage({ id, result }, transferables(result));
    } catch (err) {
      self.postMessage({ id, error: { name: err?.name ?? 'Error', message: String(err?.message ?? err) } });
    }
    waiting--;
    warmLater();
  });
};
