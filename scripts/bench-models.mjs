#!/usr/bin/env node
// Times model files in the wasm build (run by hand after scripts/build.sh,
// not a timed test): for each file, a fresh engine (a worker_thread with
// its own instance, tests/lib/engines.mjs) loads it, then explains one
// input with a composite, --runs times. It prints, per file, the load's
// wall time (decode and warm-up as info.timings reports them), the first
// and the median explain, the largest difference of the engine's logits
// from the case file's (NAME.cases.json beside the file, when there is
// one: its first input is explained; otherwise seeded random values in
// the model's bounds), and the wasm memory after.
//
//   node scripts/bench-models.mjs [--runs N] [--composite C] FILE.onnx|DIR …
//
// A DIR stands for its *.onnx files, in name order. A file the engine
// refuses prints its error and the next file runs.
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { startEngine } from '../tests/lib/engines.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  if (i < 0) return def;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const runs = Number(opt('--runs', 3));
const composite = opt('--composite', 'epsilon_gamma_box');
const files = args.flatMap((a) =>
  statSync(a).isDirectory()
    ? readdirSync(a).filter((f) => f.endsWith('.onnx')).sort().map((f) => join(a, f))
    : [a],
);
if (files.length === 0) throw new Error('bench-models: no files (usage: node scripts/bench-models.mjs [--runs N] [--composite C] FILE|DIR …)');

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// caseOf returns the first input and its logits of the case file beside
// path, or null.
function caseOf(path) {
  const p = path.replace(/\.onnx$/, '.cases.json');
  if (!existsSync(p)) return null;
  const c = JSON.parse(readFileSync(p, 'utf8'));
  const b = Buffer.from(c.inputs_b64[0], 'base64');
  const x = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
  return { x, logits: c.logits[0] };
}

// randomInput returns seeded values between the model's bounds.
function randomInput(info) {
  const n = info.inputShape.reduce((a, b) => a * b, 1);
  const { low, high } = info.bounds;
  const per = n / low.length;
  const x = new Float32Array(n);
  let s = 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    const c = Math.floor(i / per);
    x[i] = low[c] + (high[c] - low[c]) * (s / 2 ** 32);
  }
  return x;
}

console.log(`composite ${composite}, ${runs} explains per model; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
console.log('| file | params | MB | load ms (decode, warm) | first explain ms | median explain ms | logits max diff / max |logit| | wasm MiB |');
console.log('| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |');
for (const path of files) {
  const bytes = readFileSync(path);
  const engine = await startEngine();
  try {
    const load = await engine.call('loadModel', [bytes]);
    const info = load.result;
    const c = caseOf(path);
    const x = c ? c.x : randomInput(info);
    const times = [];
    let res;
    for (let i = 0; i < runs; i++) {
      const r = await engine.call('explain', [x.slice(), { composite }]);
      times.push(r.wall);
      res = r;
    }
    let diff = '';
    if (c) {
      let d = 0;
      let m = 0;
      c.logits.forEach((v, i) => {
        d = Math.max(d, Math.abs(res.result.logits[i] - v));
        m = Math.max(m, Math.abs(v));
      });
      diff = (d / m).toExponential(1);
    }
    const t = info.timings;
    console.log(
      `| ${basename(path)} | ${info.params.toLocaleString('en-US')} | ${(bytes.length / 1e6).toFixed(1)} | ${load.wall.toFixed(0)} (${t.decode.toFixed(0)}, ${t.warm.toFixed(0)}) | ` +
        `${times[0].toFixed(0)} | ${median(times).toFixed(0)} | ${diff} | ${(res.wasm / 2 ** 20).toFixed(0)} |`,
    );
  } catch (err) {
    console.log(`| ${basename(path)} | refused: ${err.message} |`);
  } finally {
    await engine.terminate();
  }
}
