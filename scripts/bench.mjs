#!/usr/bin/env node
// Benchmarks the wasm build (run by hand after scripts/build.sh, not a
// timed test): module size, startup, model load, the matrix product alone
// (BenchmarkGemm compiled to wasm), and the median time per explain for the
// fixture cnn (epsilon_gamma_box) and the built-in model, next to the
// native figures of `go test -bench` when asked, and the synthetic
// ResNet-18 at 224×224 (float16 file load, ε and epsilon_gamma_box, linear
// memory after).
//
//   node scripts/bench.mjs [--simd both|on|off | --no-simd] [--native] [--runs N] [--resnet-runs N] [--no-resnet] [--no-gemm]
//   node scripts/bench.mjs --pool N [--batch B] [--model FILE] [--composite C] [--simd …]
//   node scripts/bench.mjs --split [--runs N] [--model FILE] [--composite C] [--simd …]
//
// --simd chooses the matrix kernels measured: both (the default) runs every
// figure on the SIMD kernel (web/kernels.wasm) and on the pure-Go one
// (init({simd: false})), each in its own instance, the runs of the two
// interleaved (SIMD, Go, SIMD, …) so that a slow stretch of a shared
// machine hits both, and prints them side by side with their ratio; on or
// off (--no-simd) runs one. Each explain line gives the median wall time
// and the median CPU time of the process over the call (the machine is
// shared: CPU time moves less with the other processes).
//
// --native runs BenchmarkExplainCNN and BenchmarkExplainBuiltin of package
// app (the same code, compiled for this machine) and prints them alongside.
// The ResNet-18 file is written by `go run ./cmd/lrp synth` (Go needed), and
// so is the GEMM's test binary (GOOS=js go test -c, run through
// scripts/go_js_wasm_exec; --no-gemm skips it).
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
const simdOpt = args.includes('--no-simd') ? 'off' : opt('--simd', 'both');
if (!['both', 'on', 'off'].includes(simdOpt)) throw new Error(`bench: --simd ${simdOpt}: want both, on or off`);
// The kernels measured, by name: SIMD (init's default in a host with
// WebAssembly SIMD, required here) and Go (init({simd: false})).
const kernels = { both: ['SIMD', 'Go'], on: ['SIMD'], off: ['Go'] }[simdOpt];
const initOptions = (k) => ({ simd: k === 'SIMD' });

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const quantile = (v, q) => [...v].sort((a, b) => a - b)[Math.min(v.length - 1, Math.floor(q * v.length))];
const ms = (v) => `${v.toFixed(3)} ms`;
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
};
// ratio is the line comparing the kernels' medians: the Go one's over the
// SIMD one's (how many times faster SIMD is), when both ran.
const ratio = (what, med) => (med.length === 2 ? ` ${what}: Go/SIMD ${(med[1] / med[0]).toFixed(2)}×` : '');
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
  for (const k of kernels) await benchPool(Number(opt('--pool')) || 2, Number(opt('--batch')) || 8, opt('--model'), opt('--composite', 'epsilon_gamma_box'), k);
  process.exit(0);
}

// Startup first, while nothing is compiled yet (V8 reuses a module compiled
// from the same bytes in the same process); compile alone in a fresh one.
// The second kernel's instance starts after the first, from the compiled
// module.
const t0 = performance.now();
const { init } = await import('../web/lrp.js');
const engines = [];
for (const k of kernels) {
  const s0 = performance.now();
  engines.push({ k, lrp: await init(initOptions(k)), startup: performance.now() - (engines.length ? s0 : t0) });
}
const compile = Number(
  execFileSync(
    process.execPath,
    ['--input-type=module', '-e', `const b = (await import('node:fs')).readFileSync(${JSON.stringify(join(root, 'web', 'lrp.wasm'))}); const t = performance.now(); await WebAssembly.compile(b); console.log(performance.now() - t);`],
    { encoding: 'utf8' },
  ),
);
console.log(
  `startup          ${ms(engines[0].startup)} (init(): import, read, compile, instantiate, start Go; compile alone ${ms(compile)})` +
    engines
      .slice(1)
      .map((e) => `; the ${e.k} instance after it ${ms(e.startup)}`)
      .join(''),
);

let native = {};
if (wantNative) {
  const out = execFileSync('go', ['test', '-run', '^$', '-bench', '^BenchmarkExplain', '-benchtime', '2s', './app'], { cwd: root, encoding: 'utf8' });
  for (const m of out.matchAll(/^BenchmarkExplain(\w+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns\/op/gm)) native[m[1]] = Number(m[2]) / 1e6;
}

const cases = JSON.parse(readFileSync(reference('cnn.cases.json'), 'utf8'));
const inputs = cases.inputs.map((x) => new Float32Array(x));

// bench times explain on the model in file with each kernel: load, first
// call, 50 warm-up calls each, then `runs` rounds of one call per kernel.
async function bench(label, file, nativeKey) {
  if (!existsSync(file)) {
    console.log(`${label.padEnd(16)} skipped: ${file} does not exist`);
    return;
  }
  const bytes = readFileSync(file);
  const opts = { composite: 'epsilon_gamma_box' };
  const per = [];
  for (const e of engines) {
    const l0 = performance.now();
    const info = await e.lrp.loadModel(bytes);
    const load = performance.now() - l0;
    const f0 = performance.now();
    await e.lrp.explain(inputs[0], opts);
    per.push({ e, info, load, first: performance.now() - f0, wall: [], inner: [], cpu: [] });
  }
  for (const p of per) for (let i = 0; i < 50; i++) await p.e.lrp.explain(inputs[i % inputs.length], opts);
  for (let i = 0; i < runs; i++) {
    for (const p of per) {
      const s = performance.now();
      const c = cpuNow();
      const r = await p.e.lrp.explain(inputs[i % inputs.length], opts);
      p.cpu.push(cpuNow() - c);
      p.wall.push(performance.now() - s);
      p.inner.push(r.timings.explain);
    }
  }
  const nat = native[nativeKey];
  for (const p of per) {
    console.log(
      `${`${label} ${p.e.k}`.padEnd(16)} ${p.info.name} (${p.info.format}, ${p.info.params} params): load ${ms(p.load)}, first explain ${ms(p.first)}; ` +
        `median explain call ${ms(median(p.wall))} (p90 ${ms(quantile(p.wall, 0.9))}, CPU ${ms(median(p.cpu))}), engine alone ${ms(median(p.inner))}` +
        (nat !== undefined ? `; native ${ms(nat)} (wasm/native ${(median(p.inner) / nat).toFixed(2)}×)` : ''),
    );
  }
  if (per.length === 2) {
    console.log(
      `${label.padEnd(16)}${ratio('engine', per.map((p) => median(p.inner)))},${ratio('call', per.map((p) => median(p.wall)))},${ratio('call CPU', per.map((p) => median(p.cpu)))}`,
    );
  }
}

// benchGemm runs BenchmarkGemm's 64×3136×576 (or --gemm MxNxK, one of its
// shapes) in a wasm build of package lrp's tests, through
// scripts/go_js_wasm_exec with each kernel (LRP_SIMD), 3 processes of each,
// interleaved: the product with its packing, in GFLOP/s of wall time and
// of the process's CPU time (the benchmark's cpu-GFLOP/s).
async function benchGemm() {
  const shape = opt('--gemm', '64x3136x576');
  const dir = mkdtempSync(join(tmpdir(), 'lrp-gemm-'));
  try {
    const bin = join(dir, 'lrp.test.wasm');
    execFileSync('go', ['test', '-c', '-o', bin, './lrp'], { cwd: root, env: { ...process.env, GOOS: 'js', GOARCH: 'wasm' }, stdio: ['ignore', 'ignore', 'inherit'] });
    const [m, n, k] = shape.split('x').map(Number);
    const res = kernels.map(() => ({ wall: [], cpu: [] }));
    for (let round = 0; round < 3; round++) {
      for (const [i, kern] of kernels.entries()) {
        const out = execFileSync(
          join(root, 'scripts', 'go_js_wasm_exec'),
          [bin, '-test.run', '^$', '-test.bench', `^BenchmarkGemm$/^${shape}$`, '-test.benchtime', '20x'],
          { cwd: join(root, 'lrp'), env: { ...process.env, LRP_SIMD: kern === 'SIMD' ? '1' : '0' }, encoding: 'utf8' },
        );
        const line = out.match(/^BenchmarkGemm\/\S+\s+\d+\s+([\d.]+) ns\/op\s+([\d.]+) cpu-GFLOP\/s/m);
        if (!line) throw new Error(`bench: no BenchmarkGemm/${shape} in:\n${out}`);
        res[i].wall.push((2 * m * n * k) / Number(line[1]));
        res[i].cpu.push(Number(line[2]));
      }
    }
    const each = (v) => v.map((g) => g.toFixed(1)).join(', ');
    for (const [i, kern] of kernels.entries()) {
      console.log(`${`gemm ${kern}`.padEnd(16)} ${shape} (packing included): median ${median(res[i].cpu).toFixed(1)} GFLOP/s of CPU time (${each(res[i].cpu)}), ${median(res[i].wall).toFixed(1)} of wall time (${each(res[i].wall)})`);
    }
    if (kernels.length === 2) console.log(`gemm             ${shape}: SIMD/Go ${(median(res[0].cpu) / median(res[1].cpu)).toFixed(2)}× (CPU time)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
// peak (wasm memory never shrinks). kernel is SIMD or Go.
async function benchPool(pool, batch, model, composite, kernel) {
  const [file, cleanup] = model ? [model, () => {}] : synthResNet();
  const workers = [];
  try {
    console.log(`pool ${pool} × batch ${batch}, ${composite}, ${kernel} kernel, ${file}; Node ${process.versions.node}; loadavg before ${loadavg()}`);
    const s0 = performance.now();
    const bytes = readFileSync(file);
    const started = await Promise.all(
      Array.from({ length: pool }, async () => {
        const e = await startEngine(initOptions(kernel));
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
// against one of them alone, on the same image, for each kernel (a pair of
// engines each): `runs` of each after one warm-up call of each,
// interleaved (alone, split, for one kernel then the other, …) so that a
// slow stretch of the machine hits all. The model is the synthetic
// ResNet-18 unless --model names a file. Both results are checked equal to
// the bit, and across the kernels within 1e-6 of the largest |relevance|.
async function benchSplit(runs, model, composite) {
  const [file, cleanup] = model ? [model, () => {}] : synthResNet();
  const all = [];
  try {
    const bytes = readFileSync(file);
    const pairs = [];
    let loaded;
    for (const k of kernels) {
      const two = await Promise.all([startEngine(initOptions(k)), startEngine(initOptions(k))]);
      all.push(...two);
      loaded = await Promise.all(two.map((e) => e.call('loadModel', [bytes])));
      await pairEngines(two[0], two[1]);
      pairs.push({ k, a: two[0], b: two[1], loaded, alone: [], split: [], engine: [] });
    }
    const info = loaded[0].result;
    const x = randomInput(info, 1);
    let id = 1;
    for (let i = 0; i <= runs; i++) {
      let first;
      for (const p of pairs) {
        const one = await p.a.call('explain', [x, { composite }]);
        const s0 = performance.now();
        const [r0, r1] = await explainSplit(p.a, p.b, id++, x, { composite });
        const wall = performance.now() - s0;
        const want = one.result.relevance;
        for (const r of [r0, r1]) {
          if (!r.result.relevance.every((v, j) => Object.is(v, want[j]))) throw new Error(`${p.k}: the split relevance differs from explain`);
        }
        if (first === undefined) first = want;
        else {
          let d = 0;
          let m = 0;
          for (let j = 0; j < want.length; j++) {
            d = Math.max(d, Math.abs(want[j] - first[j]));
            m = Math.max(m, Math.abs(first[j]));
          }
          if (d > 1e-6 * m) throw new Error(`${p.k}: the relevance differs from the ${pairs[0].k} kernel's by ${d / m} of the largest`);
        }
        if (i === 0) continue; // the warm-up: caches of the composite, tier-up
        p.alone.push(one.wall);
        p.split.push(wall);
        p.engine.push(r0.result.timings.explain);
      }
    }
    console.log(`split            ${info.name} (${info.params} params), ${composite}, ${runs} runs of each after one warm-up, interleaved; loadavg ${loadavg()}`);
    for (const p of pairs) {
      console.log(`${p.k.padEnd(5)}one engine   median ${ms(median(p.alone))} per explain (${p.alone.map((t) => t.toFixed(0)).join(', ')})`);
      console.log(
        `${p.k.padEnd(5)}two engines  median ${ms(median(p.split))} per explain (${p.split.map((t) => t.toFixed(0)).join(', ')}; engine ${ms(median(p.engine))}): ` +
          `${(median(p.split) / median(p.alone)).toFixed(2)} of one engine's time, relevance equal to the bit`,
      );
      console.log(`${p.k.padEnd(5)}memory       ${mib(p.loaded[0].wasm)} + ${mib(p.loaded[1].wasm)} of wasm linear memory after the loads`);
    }
    if (pairs.length === 2) {
      console.log(`split           ${ratio('one engine', pairs.map((p) => median(p.alone)))},${ratio('two engines', pairs.map((p) => median(p.split)))}`);
    }
  } finally {
    await Promise.all(all.map((e) => e.terminate()));
    cleanup();
  }
}

// benchResNet times the synthetic ResNet-18 with each kernel: loading its
// float16 file (decode and cache), then each composite's first call and
// the median of resnetRuns more on one fixed random image, the calls of the
// kernels interleaved.
async function benchResNet() {
  const [file, cleanup] = synthResNet();
  try {
    const bytes = readFileSync(file);
    const each = (v) => v.map((t) => t.toFixed(0)).join(', ');
    for (const e of engines) {
      const loads = [];
      const decode = [];
      const warm = [];
      let info;
      for (let i = 0; i < 3; i++) {
        const l0 = performance.now();
        info = await e.lrp.loadModel(bytes);
        loads.push(performance.now() - l0);
        decode.push(info.timings.decode);
        warm.push(info.timings.warm);
      }
      const tag = `resnet-18 ${e.k}`.padEnd(16);
      console.log(
        `${tag} load ${info.name} (${info.format}, ${(bytes.length / 1e6).toFixed(1)} MB, ${info.params} params): median load ${ms(median(loads))} of 3 ` +
          `(${each(loads)} ms: the first into memory this instance has not used yet)`,
      );
      console.log(
        `${tag} float16 decode (parse, decode, fold, buffers) median ${ms(median(decode))} (${each(decode)}; ${(bytes.length / 1e6 / (median(decode) / 1e3)).toFixed(0)} MB/s of file); ` +
          `caches (epsilon_gamma_box's, Prepare) median ${ms(median(warm))} (${each(warm)})`,
      );
    }
    let seed = 1;
    const x = new Float32Array(3 * 224 * 224).map(() => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32));
    for (const composite of ['epsilon', 'epsilon_gamma_box']) {
      const per = [];
      for (const e of engines) {
        const f0 = performance.now();
        await e.lrp.explain(x, { composite });
        per.push({ e, first: performance.now() - f0, inner: [], cpu: [] });
      }
      for (let i = 0; i < resnetRuns; i++) {
        for (const p of per) {
          const c = cpuNow();
          p.inner.push((await p.e.lrp.explain(x, { composite })).timings.explain);
          p.cpu.push(cpuNow() - c);
        }
      }
      for (const p of per) {
        console.log(
          `${`resnet-18 ${p.e.k}`.padEnd(16)} ${composite.padEnd(17)} first ${ms(p.first)}, median explain ${ms(median(p.inner))} of ${resnetRuns} (${each(p.inner)}), CPU ${ms(median(p.cpu))} (${each(p.cpu)})`,
        );
      }
      if (per.length === 2) {
        console.log(`resnet-18        ${composite.padEnd(17)}${ratio('engine', per.map((p) => median(p.inner)))},${ratio('CPU', per.map((p) => median(p.cpu)))}`);
      }
    }
    for (const e of engines) console.log(`${`resnet-18 ${e.k}`.padEnd(16)} memory ${(e.lrp.memory().wasm / 2 ** 20).toFixed(0)} MiB of wasm linear memory after both`);
  } finally {
    cleanup();
  }
}

if (!args.includes('--no-gemm')) await benchGemm();
await bench('fixture cnn', reference('cnn.onnx'), 'CNN');
await bench('built-in mnist', join(root, 'model', 'mnist.safetensors'), 'Builtin');
console.log(`(${runs} runs each after 50 warm-up calls, the kernels interleaved; Node ${process.versions.node}, ${engines[0].lrp.version}; loadavg ${loadavg()})`);
if (!args.includes('--no-resnet')) await benchResNet();
