// args.js — the arguments of lrp.js's calls, read once and by their real
// size before they cross into the wasm.
//
// A value a caller passes may be built to lie: a Uint8Array subclass whose
// subarray throws (wasm_exec.js calls it while Go copies the bytes, and an
// exception there unwinds through the Go runtime and leaks its stack), a
// byteLength getter that says 2³¹ (Go would size its buffer by it), a getter
// that answers differently the second time, a BigInt (wasm_exec.js cannot
// hand one to Go: "bad type flag"). So every typed array is replaced by a
// fresh view of the same memory, built from the intrinsic getters that read
// the object's internal slots; every object is read once into a plain copy;
// and a value JSON or Go cannot take is refused by its name here.

const TypedArrayProto = Object.getPrototypeOf(Uint8Array.prototype);
const getter = (proto, key) => Object.getOwnPropertyDescriptor(proto, key).get;
const viewTag = getter(TypedArrayProto, Symbol.toStringTag); // undefined for a non-view
const viewBuffer = getter(TypedArrayProto, 'buffer');
const viewOffset = getter(TypedArrayProto, 'byteOffset');
const viewLength = getter(TypedArrayProto, 'length');
const bufferLength = getter(ArrayBuffer.prototype, 'byteLength'); // throws for a non-ArrayBuffer

// The view constructors as this module found them, by their tag.
const views = Object.freeze({
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array,
});

const isArrayBuffer = (v) => {
  try {
    bufferLength.call(v);
    return true;
  } catch {
    return false;
  }
};

/** scalar returns v, or refuses by name a type that cannot cross to Go. */
export function scalar(v, what) {
  const t = typeof v;
  if (t === 'bigint' || t === 'symbol' || t === 'function') {
    throw new Error(`lrp: ${what} is a ${t}: want ${t === 'bigint' ? 'a Number' : 'data'}`);
  }
  return v;
}

/**
 * bytesLike returns v as Go may read it: a typed array as a fresh view of
 * the same type over the same bytes (an empty one if its buffer is
 * detached), an ArrayBuffer as a fresh Uint8Array over it, any other
 * object as an empty array or object (Go names its type from that: the
 * object's own properties and a Proxy's traps are never run), and
 * anything else as it is, for Go to name.
 */
export function bytesLike(v, what) {
  scalar(v, what);
  if (typeof v !== 'object' || v === null) return v;
  const tag = viewTag.call(v);
  if (tag !== undefined) {
    const buffer = viewBuffer.call(v);
    const length = viewLength.call(v); // 0 when detached
    return length === 0 ? new views[tag](0) : new views[tag](buffer, viewOffset.call(v), length);
  }
  if (isArrayBuffer(v)) {
    return bufferLength.call(v) === 0 ? new Uint8Array(0) : new Uint8Array(v);
  }
  return Array.isArray(v) ? [] : {};
}

/**
 * input returns explain's and evaluate's input as Go may read it: a typed
 * array through bytesLike, or {rgba, width, height, mode} read once into a
 * plain object. An exception thrown by reading it becomes an lrp: error.
 */
export function input(v) {
  scalar(v, 'input');
  if (typeof v !== 'object' || v === null || viewTag.call(v) !== undefined || isArrayBuffer(v) || Array.isArray(v)) {
    return bytesLike(v, 'input');
  }
  let rgba, width, height, mode;
  try {
    ({ rgba, width, height, mode } = v);
  } catch (err) {
    throw new Error(`lrp: reading the arguments threw: ${err?.message ?? err}`);
  }
  if (rgba === undefined) return {};
  return {
    rgba: bytesLike(rgba, 'input.rgba'),
    width: scalar(width, 'input.width'),
    height: scalar(height, 'input.height'),
    mode: scalar(mode, 'input.mode'),
  };
}

/**
 * options returns the JSON text of an options object ('' for none),
 * reading each property once, or throws an error naming the first value
 * JSON cannot carry faithfully (see plainJSON).
 */
export function options(v, what = 'options') {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'object' || Array.isArray(v)) {
    throw new Error(`lrp: ${what} must be an object, got ${Array.isArray(v) ? 'an array' : typeof v}`);
  }
  let plain;
  try {
    plain = plainJSON(v, what, 0);
  } catch (err) {
    throw new Error(err.message.startsWith('lrp: ') ? err.message : `lrp: ${what}: ${err.message}`);
  }
  return JSON.stringify(plain);
}

// plainJSON copies v into plain JSON values and throws an error naming the
// path of the first value JSON cannot carry faithfully: NaN and ±Infinity
// (JSON.stringify would turn them into null, which means "the default"),
// BigInt, functions, symbols, and nesting deeper than 16 levels (a cycle
// included).
function plainJSON(v, path, depth) {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      if (!Number.isFinite(v)) throw new Error(`lrp: ${path} is ${v}: want a finite number`);
      return v;
    case 'undefined':
      return undefined;
    case 'object':
      break;
    default:
      throw new Error(`lrp: ${path} is a ${typeof v}: want a number, string, boolean, array or object`);
  }
  if (v === null) return null;
  if (depth >= 16) throw new Error(`lrp: ${path} nests deeper than 16 levels`);
  if (Array.isArray(v)) return Array.from(v, (x, i) => plainJSON(x, `${path}[${i}]`, depth + 1) ?? null);
  const out = {};
  for (const k of Object.keys(v)) {
    const x = plainJSON(v[k], `${path}.${k}`, depth + 1);
    if (x !== undefined) out[k] = x;
  }
  return out;
}
