// packed.js — a result of lrp.js's explain, render and explainSplit as the
// wasm packs it (app.Result.Pack, app.Rendered.Pack), read into the
// object the API returns: its meta (strings as JSON text, numbers as
// float64) and its arrays, each copied into a buffer of its own.

const utf8 = new TextDecoder();

// unpack reads a result packed by the wasm (app.Result.Pack) at the start
// of u8, a view of linear memory that runs on past it (explain, render)
// or a Uint8Array of its own (explainSplit): a header of six uint32 (meta
// length M, classes K, input values N, heatmap bytes H, picture bytes P,
// mask bytes A), the meta (the JSON text of the strings, then float64
// numbers: readMeta), then logits and probabilities (K float32 each),
// input and relevance (N float32 each), the RGBA heatmap, the RGBA picture
// and the mask. Every array gets a buffer of its own, so one can be
// transferred without the others.
export function unpack(u8) {
  const dv = new DataView(u8.buffer, u8.byteOffset);
  const [m, k, n, h, p, a] = [0, 4, 8, 12, 16, 20].map((o) => dv.getUint32(o, true));
  const meta = readMeta(u8, dv);
  let off = 24 + ((m + 3) & ~3);
  const take = (View, bytes) => {
    const v = new View(bytes / View.BYTES_PER_ELEMENT);
    v.set(new View(u8.buffer, u8.byteOffset + off, v.length));
    off += bytes;
    return v;
  };
  const arrays = {
    logits: take(Float32Array, 4 * k),
    probabilities: take(Float32Array, 4 * k),
    input: take(Float32Array, 4 * n),
    relevance: take(Float32Array, 4 * n),
    heatmap: take(Uint8ClampedArray, h),
    picture: take(Uint8ClampedArray, p),
    mask: take(Uint8ClampedArray, a),
  };
  return [meta, arrays];
}

// The strings of the last result (its JSON text, a copy, and what it
// parses to): the same from call to call of a model and composite.
let lastText = new Uint8Array(0);
let lastStrings = null;

// readMeta reads the meta of a packed result (app.Result.appendStrings,
// appendNumbers; app.Rendered.Pack's has width, height and range alone)
// into the object whose JSON app.Result.AppendMeta writes, its fields in
// that order: a float that JSON writes as null (NaN, ±Infinity) is null.
function readMeta(u8, dv) {
  const t = dv.getUint32(24, true);
  const count = dv.getUint32(28, true);
  let at = 32 + ((t + 7) & ~7);
  const end = at + 8 * count;
  const next = () => {
    const v = dv.getFloat64(at, true);
    at += 8;
    return v;
  };
  const num = () => {
    const v = next();
    return Number.isFinite(v) ? v : null;
  };
  const width = next();
  const height = next();
  const range = [num(), num()];
  if (at === end) return { width, height, range };
  const text = u8.subarray(32, 32 + t);
  if (!sameBytes(text, lastText)) {
    lastStrings = JSON.parse(utf8.decode(text));
    lastText = text.slice();
  }
  const [labels, names] = lastStrings;
  const predicted = next();
  const target = next();
  const top = new Array(next());
  for (let i = 0; i < top.length; i++) {
    const index = next();
    top[i] = { index, label: labels[index], probability: num(), logit: num() };
  }
  const startSum = num();
  const inputSum = num();
  const positiveShare = num();
  const output = num();
  const nan = next() === 1;
  const consistent = next() === 1;
  const layers = new Array(next());
  for (let i = 0; i < layers.length; i++) {
    const [name, kind, rule] = names[i];
    const node = next();
    const out = num();
    const inn = num();
    const inputs = new Array(next());
    for (let j = 0; j < inputs.length; j++) inputs[j] = num();
    layers[i] = { node, name, kind, rule, out, in: inn, inputs, absorbed: num(), nan: next() === 1 };
  }
  const diagnostics = { startSum, inputSum, positiveShare, output, nan, consistent, layers };
  const timings = { preprocess: num(), explain: num(), render: num(), total: num() };
  return { predicted, target, top, width, height, range, diagnostics, timings };
}

function sameBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
