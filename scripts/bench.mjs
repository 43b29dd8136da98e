#!/usr/bin/env node
// Benchmarks the wasm build (run by hand after scripts/build.sh, not a
// timed test): module size, startup, model load, and the median time per
// explain for the fixture cnn (epsilon_gamma_box) and the built-in model,
// next to the native figures of `go test -bench` when asked, and the
// synthetic ResNet-18 at 224×224 (float16 file load, ε and
// epsilon_gamma_box, linear memory after).
//
//   node scripts/bench.mjs [--native] [--runs N] [--resnet-runs N] [--no-resnet]
//   node scripts/bench.mjs --pool N [--batch B] [--model FILE] [--composite C]
//   node scripts/bench.mjs --split [--runs N] [--model FILE] [--composite C]
//
// --native runs BenchmarkExplainCNN and BenchmarkExplainBuiltin of package
// app (the same code, compiled for this machine) and prints them alongside.
// The ResNet-18 file is written by `go run ./cmd/lrp synth` (Go needed).
//
// --pool N is the batch mode instead (see benchPool): N worker_threads,
// each with its own wasm instance that loads the model (default the
// synthetic ResNet-18, or --model FILE), one warm-up explain per worker,
// then B images (default 8; seeded random pixels in the model's range,
// normalized as the model asks) handed to whichever worker is free;
// it prints the wall time per image over the batch and each worker's memory.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { explainSplit, pairEngines, startEngine } from '../tests/lib/engines.mjs';
import { reference } from '../tests/lib/fixtures.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(name) ? args[args.indexOf(name) + 1] : def);
const runs = Number(opt('--runs')) || 500;
const resnetRuns = Number(opt('--resnet-runs')) || 5;
const wantNative = args.includes('--native');

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const quantile = (v, q) => [...v].sort((a, b) => a - b)[Math.min(v.length - 1, Math.floor(q * v.length))];
const ms = (v) => `${v.toFixed(3)} ms`;
const mib = (b) => `${(b / 2 ** 20).toFixed(0)} MiB`;
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

const wasm = readFileSync(join(root, 'web', 'lrp.wasm'));
const gz = gzipSync(wasm, { level: 9 }).length;
const br = brotliCompressSync(wasm, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
console.log(`lrp.wasm         ${(wasm.length / 1e6).toFixed(2)} MB raw, ${(gz / 1e6).toFixed(2)} MB gzip -9, ${(br / 1e6).toFixed(2)} MB brotli 11`);

if (args.includes('--split')) {
  await benchSplit(Number(opt('--runs')) || 7, opt('--model'), opt('--composite', 'epsilon_gamma_box'));
  process.exit(0);
}

if (args.includes('--pool')) {
  await benchPool(Number(opt('--pool')) || 2, Number(opt('--batch')) || 8, opt('--model'), opt('--composite', 'epsilon_gamma_box'));
  process.exit(0);
}

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

const cases = JSON.parse(readFileSync(reference('cnn.cases.json'), 'utf8'));
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

// synthResNet writes the synthetic ResNet-18 (float16) into a new
// temporary directory and returns its path and a function removing it.
function synthResNet() {
  const dir = mkdtempSync(join(tmpdir(), 'lrp-bench-'));
  const file = join(dir, 'resnet18.safetensors');
  try {
    execFileSync('go', ['run', './cmd/lrp', 'synth', '-o', file], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return [file, () => rmSync(dir, { recursive: true, force: true })];
}

// randomInput is a seeded random image in the model's input space: pixels
// uniform in info.pixelRange, normalized by info.mean and info.std when the
// model has them (channel-major, C×H×W).
function randomInput(info, seed) {
  const [lo, hi] = info.pixelRange;
  const shape = info.inputShape;
  const c = shape.length >= 3 ? shape[shape.length - 3] : 1;
  const n = shape.reduce((a, b) => a * b, 1);
  const plane = n / c;
  const x = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    let v = lo + (hi - lo) * (s / 2 ** 32);
    if (info.mean) {
      const ch = Math.floor(i / plane);
      v = (v - info.mean[ch]) / info.std[ch];
    }
    x[i] = v;
  }
  return x;
}

// benchPool is the batch mode: `pool` worker_threads (tests/lib/engines.mjs),
// each its own wasm instance with its own copy of the model, started and
// loaded together; one warm-up explain each (all at once, timed apart:
// the engine's tier-up and the composite's cached modified weights); then
// `batch` images, each sent to the next free worker, timed from the first
// send to the last result. The linear memory a worker reports last is its
// peak (wasm memory never shrinks).
async function benchPool(pool, batch, model, composite) {
  const [file, cleanup] = model ? [model, () => {}] : synthResNet();
  const workers = [];
  try {
    console.log(`pool ${pool} × batch ${batch}, ${composite}, ${file}; Node ${process.versions.node}; loadavg before ${loadavg()}`);
    const s0 = performance.now();
    const bytes = readFileSync(file);
    const started = await Promise.all(
      Array.from({ length: pool }, async () => {
        const e = await startEngine();
        workers.push(e);
        const l0 = performance.now();
        const { result: info, wall: load } = await e.call('loadModel', [bytes]);
        // Answered once the thread is free: the Go runtime keeps running
        // after loadModel resolves (its work after the load's collections).
        const { result: mem } = await e.call('memory');
        return { info, startup: e.startup, load, idle: performance.now() - l0, wasm: mem.wasm };
      }),
    );
    const up = performance.now() - s0;
    const info = started[0].info;
    for (const [i, r] of started.entries()) {
      console.log(`worker ${i}         startup ${ms(r.startup)}, load ${ms(r.load)}, until idle ${ms(r.idle)} (decode + fold, ${info.name}, ${info.dtype}, ${info.params} params), wasm memory after load ${mib(r.wasm)}`);
    }
    console.log(`pool ready       ${ms(up)} (all workers started and loaded)`);

    // run sends one explain to engine w and resolves with its reply.
    const run = async (w, x) => {
      const r = await w.call('explain', [x, { composite }], [x.buffer]);
      return { wall: r.wall, engine: r.result.timings.explain, predicted: r.result.predicted, wasm: r.wasm };
    };

    const w0 = performance.now();
    const warm = await Promise.all(workers.map((w, i) => run(w, randomInput(info, 1000 + i))));
    const warmWall = performance.now() - w0;
    console.log(`warm-up          ${warm.map((r) => ms(r.wall)).join(', ')} (one explain per worker, together: ${ms(warmWall)}); loadavg ${loadavg()}`);

    const inputs = Array.from({ length: batch }, (_, i) => randomInput(info, i + 1));
    const results = new Array(batch);
    const perWorker = workers.map(() => ({ n: 0, wasm: 0 }));
    let next = 0;
    const b0 = performance.now();
    await Promise.all(
      workers.map(async (w, wi) => {
        while (next < batch) {
          const i = next++;
          const r = await run(w, inputs[i]);
          results[i] = r;
          perWorker[wi].n++;
          perWorker[wi].wasm = r.wasm;
        }
      }),
    );
    const wall = performance.now() - b0;
    const engine = results.map((r) => r.engine);
    console.log(
      `batch            ${ms(wall)} for ${batch} images: ${ms(wall / batch)} per image over the batch; ` +
        `explain per call median ${ms(median(results.map((r) => r.wall)))} (engine ${ms(median(engine))}, min ${ms(Math.min(...engine))}, max ${ms(Math.max(...engine))}); loadavg ${loadavg()}`,
    );
    for (const [i, p] of perWorker.entries()) {
      console.log(`worker ${i} memory  ${p.n} images; peak wasm linear memory ${mib(p.wasm)}`);
    }
    console.log(`process          peak RSS ${mib(process.resourceUsage().maxRSS * 1024)} (all workers and the main thread)`);
    console.log(`predicted        ${results.map((r) => r.predicted).join(' ')}`);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
    cleanup();
  }
}

// benchSplit times one explanation split over two engines (lrp.js
// explainSplit), each in its own worker_thread as a page's Workers are,
// against one of them alone, on the same image: `runs` of each after one
// warm-up call of each, interleaved (alone, split, alone, …) so that a slow
// stretch of the machine hits both. The model is the synthetic ResNet-18
// unless --model names a file. Both results are checked equal to the bit.
async function benchSplit(runs, model, composite) {
  const [file, cleanup] = model ? [model, () => {}] : synthResNet();
  const engines = [];
  try {
    const bytes = readFileSync(file);
    engines.push(...(await Promise.all([startEngine(), startEngine()])));
    const [a, b] = engines;
    const loaded = await Promise.all(engines.map((e) => e.call('loadModel', [bytes])));
    const info = loaded[0].result;
    await pairEngines(a, b);
    const x = randomInput(info, 1);
    const alone = [];
    const split = [];
    const engine = [];
    let id = 1;
    let want;
    for (let i = 0; i <= runs; i++) {
      const one = await a.call('explain', [x, { composite }]);
      const s0 = performance.now();
      const [r0, r1] = await explainSplit(a, b, id++, x, { composite });
      const wall = performance.now() - s0;
      want = one.result.relevance;
      for (const r of [r0, r1]) {
        if (!r.result.relevance.every((v, j) => Object.is(v, want[j]))) throw new Error('the split relevance differs from explain');
      }
      if (i === 0) continue; // the warm-up: caches of the composite, tier-up
      alone.push(one.wall);
      split.push(wall);
      engine.push(r0.result.timings.explain);
    }
    console.log(`split            ${info.name} (${info.params} params), ${composite}, ${runs} runs of each after one warm-up, interleaved; loadavg ${loadavg()}`);
    console.log(`one engine       median ${ms(median(alone))} per explain (${alone.map((t) => t.toFixed(0)).join(', ')})`);
    console.log(
      `two engines      median ${ms(median(split))} per explain (${split.map((t) => t.toFixed(0)).join(', ')}; engine ${ms(median(engine))}): ` +
        `${(median(split) / median(alone)).toFixed(2)} of one engine's time, relevance equal to the bit`,
    );
    console.log(`memory           ${mib(loaded[0].wasm)} + ${mib(loaded[1].wasm)} of wasm linear memory after the loads`);
  } finally {
    await Promise.all(engines.map((e) => e.terminate()));
    cleanup();
  }
}

// benchResNet times the synthetic ResNet-18: loading its float16 file
// (decode and cache), then each composite's first call and the median of
// resnetRuns more on one fixed random image.
async function benchResNet() {
  const [file, cleanup] = synthResNet();
  try {
    const bytes = readFileSync(file);
    const loads = [];
    const decode = [];
    const warm = [];
    let info;
    for (let i = 0; i < 3; i++) {
      const l0 = performance.now();
      info = await lrp.loadModel(bytes);
      loads.push(performance.now() - l0);
      decode.push(info.timings.decode);
      warm.push(info.timings.warm);
    }
    const each = (v) => v.map((t) => t.toFixed(0)).join(', ');
    console.log(
      `resnet-18 load   ${info.name} (${info.format}, ${(bytes.length / 1e6).toFixed(1)} MB, ${info.params} params): median load ${ms(median(loads))} of 3 ` +
        `(${each(loads)} ms: the first into memory this instance has not used yet)`,
    );
    console.log(
      `resnet-18 parts  float16 decode (parse, decode, fold, buffers) median ${ms(median(decode))} (${each(decode)}; ${(bytes.length / 1e6 / (median(decode) / 1e3)).toFixed(0)} MB/s of file); ` +
        `caches (epsilon_gamma_box's, Prepare) median ${ms(median(warm))} (${each(warm)})`,
    );
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
    cleanup();
  }
}

await bench('fixture cnn', reference('cnn.onnx'), 'CNN');
await bench('built-in mnist', join(root, 'model', 'mnist.safetensors'), 'Builtin');
console.log(`(${runs} runs each after 50 warm-up calls; Node ${process.versions.node}, ${lrp.version})`);
if (!args.includes('--no-resnet')) await benchResNet();
