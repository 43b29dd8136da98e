#!/usr/bin/env node
// Benchmarks the wasm build (run by hand after scripts/build.sh, not a
// timed test): module size, startup, model load, and the median time per
// explain for the fixture cnn (epsilon_gamma_box) and the built-in model,
// next to the native figures of `go test -bench` when asked.
//
//   node scripts/bench.mjs [--native] [--runs N]
//
// --native runs BenchmarkExplainCNN and BenchmarkExplainBuiltin of package
// app (the same code, compiled for this machine) and prints them alongside.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = process.env.LRP_FIXTURES ?? join(root, '..', 'shared', 'fixtures');
const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || 500;
const wantNative = args.includes('--native');

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const quantile = (v, q) => [...v].sort((a, b) => a - b)[Math.min(v.length - 1, Math.floor(q * v.length))];
const ms = (v) => `${v.toFixed(3)} ms`;

const wasm = readFileSync(join(root, 'web', 'lrp.wasm'));
const gz = gzipSync(wasm, { level: 9 }).length;
const br = brotliCompressSync(wasm, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
console.log(`lrp.wasm         ${(wasm.length / 1e6).toFixed(2)} MB raw, ${(gz / 1e6).toFixed(2)} MB gzip -9, ${(br / 1e6).toFixed(2)} MB brotli 11`);

const compileStart = performance.now();
await WebAssembly.compile(wasm);
const compile = performance.now() - compileStart;

const t0 = performance.now();
const { init } = await import('../web/lrp.js');
const lrp = await init();
const startup = performance.now() - t0;
console.log(`startup          ${ms(startup)} (init(): read, compile, instantiate, start Go; compile alone ${ms(compile)})`);

let native = {};
if (wantNative) {
  const out = execFileSync('go', ['test', '-run', '^$', '-bench', '^BenchmarkExplain', '-benchtime', '2s', './app'], { cwd: root, encoding: 'utf8' });
  for (const m of out.matchAll(/^BenchmarkExplain(\w+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns\/op/gm)) native[m[1]] = Number(m[2]) / 1e6;
}

const cases = JSON.parse(readFileSync(join(fixtures, 'cnn.cases.json'), 'utf8'));
const inputs = cases.inputs.map((x) => new Float32Array(x));

async function bench(label, file, nativeKey) {
  if (!existsSync(file)) {
    console.log(`${label.padEnd(16)} skipped: ${file} does not exist`);
    return;
  }
  const bytes = readFileSync(file);
  const l0 = performance.now();
  const info = await lrp.loadModel(bytes);
  const load = performance.now() - l0;
  const opts = { composite: 'epsilon_gamma_box' };
  const f0 = performance.now();
  await lrp.explain(inputs[0], opts);
  const first = performance.now() - f0;
  for (let i = 0; i < 50; i++) await lrp.explain(inputs[i % inputs.length], opts);
  const wall = [];
  const inner = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    const r = await lrp.explain(inputs[i % inputs.length], opts);
    wall.push(performance.now() - s);
    inner.push(r.timings.explain);
  }
  const nat = native[nativeKey];
  console.log(
    `${label.padEnd(16)} ${info.name} (${info.format}, ${info.params} params): load ${ms(load)}, first explain ${ms(first)}; ` +
      `median explain call ${ms(median(wall))} (p90 ${ms(quantile(wall, 0.9))}), engine alone ${ms(median(inner))}` +
      (nat !== undefined ? `; native ${ms(nat)} (wasm/native ${(median(inner) / nat).toFixed(2)}×)` : ''),
  );
}

await bench('fixture cnn', join(fixtures, 'cnn.onnx'), 'CNN');
await bench('built-in mnist', join(root, 'model', 'mnist.safetensors'), 'Builtin');
console.log(`(${runs} runs each after 50 warm-up calls; Node ${process.versions.node}, ${lrp.version})`);
