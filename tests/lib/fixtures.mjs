// Shared helpers of the Node tests of the wasm build: paths, the Zennit
// reference sets (testdata/zennit, the one place Node reads them from), the
// native reference (tests/nativeref) and the comparison measure.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const fixtures = join(root, 'testdata', 'zennit');
export const builtin = join(root, 'model', 'mnist.safetensors');

/**
 * The path of a file of the reference sets (e.g. 'cnn.onnx'). A missing
 * reference throws: it is a failure, never a skip.
 */
export function reference(name) {
  const p = join(fixtures, name);
  if (!existsSync(p)) throw new Error(`reference file missing: ${p}`);
  return p;
}

/** Reads NAME.cases.json: {inputs, labels, predicted, configs, ...}. */
export function readCase(name) {
  return JSON.parse(readFileSync(reference(`${name}.cases.json`), 'utf8'));
}

/** The bytes of a file as a Uint8Array. */
export function bytes(path) {
  const b = readFileSync(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * Runs the native engine over every fixture and the built-in model and returns its index (see tests/nativeref/main.go) with the
 * relevance maps as Float32Arrays.
 */
export function nativeReference() {
  const out = mkdtempSync(join(tmpdir(), 'lrp-native-'));
  const args = ['run', './tests/nativeref', '-fixtures', fixtures, '-out', out, '-model', builtin, '-cases', 'cnn'];
  execFileSync('go', args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
  for (const m of index.models) {
    for (const c of m.configs) {
      const b = readFileSync(join(out, c.native));
      c.relevance = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
    }
  }
  return index;
}

/** max|got − want| / max|want|; NaN anywhere or a length mismatch is Infinity. */
export function relErr(got, want) {
  if (got.length !== want.length) return Infinity;
  let d = 0;
  let m = 0;
  for (let i = 0; i < got.length; i++) {
    const g = got[i];
    const w = want[i];
    if (Number.isNaN(g) || Number.isNaN(w)) return Infinity;
    d = Math.max(d, Math.abs(g - w));
    m = Math.max(m, Math.abs(w));
  }
  if (m === 0) return d === 0 ? 0 : Infinity;
  return d / m;
}

/** An RGBA canvas (Uint8ClampedArray) of a 28×28 [0,1] image: white ink on black. */
export function rgbaOf(x, size = 28) {
  const px = new Uint8ClampedArray(4 * size * size);
  for (let i = 0; i < size * size; i++) {
    const v = Math.round(255 * x[i]);
    px.set([v, v, v, 255], 4 * i);
  }
  return px;
}
