#!/usr/bin/env node
// Benchmarks the wasm build (run by hand after scripts/build.sh, not a
// timed test): module size, startup, model load, and the median time per
// explain for the fixture cnn (epsilon_gamma_box) and the built-in model,
// next to the native figures of `go test -bench` when asked, and the
// synthetic ResNet-18 at 224×224 (float16 file load, ε and
// epsilon_gamma_box, linear memory after).
//
//   node scripts/bench.mjs [--native] [--runs N] [--resnet-runs N] [--no-resnet]
//
// --native runs BenchmarkExplainCNN and BenchmarkExplainBuiltin of package
// app (the same code, compiled for this machine) and prints them alongside.
// The ResNet-18 file is written by `go run ./cmd/lrp synth` (Go needed).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = process.env.LRP_FIXTURES ?? join(root, '..', 'shared', 'fixtures');
const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || 500;
const resnetRuns = Number(args[args.indexOf('--resnet-runs') + 1]) || 5;
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

// Startup first, while nothing is compiled yet (V8 reuses a module compiled
// from the same bytes in the same process); compile alone in a fresh one.
const t0 = performance.now();
const { init } = await import('../web/lrp.js');
const lrp = await init();
const startup = performance.now() - t0;
const compile = Number(
  execFileSync(
    process.execPath,
    ['--input-type=module', '-e', `const b = (await import('node:fs')).readFileSync(${JSON.stringify(join(root, 'web', 'lrp.wasm'))}); const t = performance.now(); await WebAssembly.compile(b); console.log(performance.now() - t);`],
    { encoding: 'utf8' },
  ),
);
console.log(`startup          ${ms(startup)} (init(): import, read, compile, instantiate, start Go; compile alone ${ms(compile)})`);

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

// benchResNet times the synthetic ResNet-18: loading its float16 file
// (decode and cache), then each composite's first call and the median of
// resnetRuns more on one fixed random image.
async function benchResNet() {
  const dir = mkdtempSync(join(tmpdir(), 'lrp-bench-'));
  try {
    const file = join(dir, 'resnet18.safetensors');
    execFileSync('go', ['run', './cmd/lrp', 'synth', '-o', file], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    const bytes = readFileSync(file);
    const loads = [];
    let info;
    for (let i = 0; i < 3; i++) {
      const l0 = performance.now();
      info = await lrp.loadModel(bytes);
      loads.push(performance.now() - l0);
    }
    console.log(`resnet-18 load   ${info.name} (${info.format}, ${(bytes.length / 1e6).toFixed(1)} MB, ${info.params} params): median load ${ms(median(loads))} of 3`);
    let seed = 1;
    const x = new Float32Array(3 * 224 * 224).map(() => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32));
    for (const composite of ['epsilon', 'epsilon_gamma_box']) {
      const f0 = performance.now();
      await lrp.explain(x, { composite });
      const first = performance.now() - f0;
      const inner = [];
      for (let i = 0; i < resnetRuns; i++) inner.push((await lrp.explain(x, { composite })).timings.explain);
      console.log(`resnet-18 ${composite.padEnd(17)} first ${ms(first)}, median explain ${ms(median(inner))} of ${resnetRuns}`);
    }
    const mem = lrp.memory();
    console.log(`resnet-18 memory ${(mem.wasm / 2 ** 20).toFixed(0)} MiB of wasm linear memory after both`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await bench('fixture cnn', join(fixtures, 'cnn.onnx'), 'CNN');
await bench('built-in mnist', join(root, 'model', 'mnist.safetensors'), 'Builtin');
console.log(`(${runs} runs each after 50 warm-up calls; Node ${process.versions.node}, ${lrp.version})`);
if (!args.includes('--no-resnet')) await benchResNet();
