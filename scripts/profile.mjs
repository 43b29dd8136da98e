#!/usr/bin/env node
// Profiles one explanation in wasm by stage (run by hand, not a test): a
// wasm build of package lrp's tests runs a benchmark (by default
// BenchmarkResNet18ExplainEpsilonGammaBox, 8 calls after one warm-up)
// under Node's sampling profiler, through scripts/go_js_wasm_exec with the
// SIMD kernels (their functions named: wat2wasm --debug-names) or, with
// --no-simd, the pure-Go ones. It prints the share of the samples inside
// Explainer.Explain by stage and the functions that take the most. The
// samples include the first call of each new Explainer (the benchmark
// makes two, for 9 timed calls), whose caches and memory growth show as a
// stage of their own; the shares of the others are also given without it.
//
//   node scripts/profile.mjs [--bench NAME] [--benchtime 8x] [--no-simd] [--top N]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(name) ? args[args.indexOf(name) + 1] : def);
const bench = opt('--bench', 'ResNet18ExplainEpsilonGammaBox');
const simd = !args.includes('--no-simd');
const top = Number(opt('--top')) || 25;
const benchtime = opt('--benchtime', '8x');

// The stages, first match wins, by the function's name: Go's are
// package.Function (github.com_lrpwasm_lrp_lrp.…), the kernels' those of
// wasm/kernels/kernels.wat. A sample whose stack passes through a
// function of firstCalls (the caches that the first call of an Explainer
// builds: modified weights, their Winograd transforms and packings) counts
// as the first calls', whatever it runs.
const firstCall = 'first calls: caches, memory growth';
const firstCalls = /winoKernels|winoPack|packWhole|growMemory|Prepare|prepare|\.modified|sysAlloc|sysMap|weights_\.(pos|neg|up|down|box|stacked)$|lrp\.signed$/;
const stages = [
  ['matrix products: the SIMD kernel', /^(tile|macro)$/],
  ['matrix products: the pure-Go kernel', /lrp\.(kernel|macroGo)$/],
  ['matrix products: packing and the rest', /^(packb|dot4|axpy)$|lrp\.(packA2?|packBGo|packB|packBSIMD|packWhole|gemm\w*|macro|dot4?|gemv\w*|axpy)$|gemmWeightsRows|gemmPackedRows|packed/],
  ['Winograd transforms', /^(wino_input|wino_output|col[01]s?|put1?|min)$|lrp\.wino(Input|Output)/],
  ['Winograd, the rest', /wino/],
  ['im2col and col2im', /im2col|col2im|sum9|^untranspose$/],
  ['rules: elementwise steps', /^(add|mul|mul_add|quot|quot_gamma|norm_add|relu|nonzeros|negatives|split)$|quotients|relevance|reluTo|\.(add|mul|mulAdd|boxSum)$|divide|stab|multiply|__step_|Norm|Gradient/],
  ['pooling', /[pP]ool|^even$/],
  ['sparse passes', /^(scatter|gather)(_t)?$|axpyStride|dotStride|sparse|density|support/],
  ['the passes themselves', /^sum64$|layerBackward|backward|forwardLayer|forward|finish|result|Explain|share|rows/],
  ['Go runtime, JS glue, GC', /^runtime\.|garbage|memmove|memclr|wasm-to-js|JSToWasm|^\(/],
];

const dir = mkdtempSync(join(tmpdir(), 'lrp-profile-'));
try {
  const bin = join(dir, 'lrp.test.wasm');
  const kernels = join(dir, 'kernels.wasm');
  execFileSync('go', ['test', '-c', '-o', bin, './lrp'], { cwd: root, env: { ...process.env, GOOS: 'js', GOARCH: 'wasm' }, stdio: ['ignore', 'ignore', 'inherit'] });
  execFileSync('wat2wasm', ['--debug-names', join(root, 'wasm', 'kernels', 'kernels.wat'), '-o', kernels]);
  const out = execFileSync(
    process.execPath,
    ['--stack-size=8192', '--cpu-prof', '--cpu-prof-interval', '500', '--cpu-prof-dir', dir, join(root, 'scripts', 'go_js_wasm_exec.mjs'), bin, '-test.run', '^$', '-test.bench', `^Benchmark${bench}$`, '-test.benchtime', benchtime],
    { cwd: join(root, 'lrp'), env: { ...process.env, LRP_SIMD: simd ? '1' : '0', LRP_KERNELS: kernels }, encoding: 'utf8' },
  );
  console.log(out.split('\n').find((l) => l.startsWith('Benchmark')) ?? out);
  const p = JSON.parse(readFileSync(join(dir, readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))), 'utf8'));

  const node = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const name = (n) => n.callFrame.functionName || `(${n.callFrame.url.split('/').pop() || 'native'})`;
  // inExplain is whether node id lies under Explainer.Explain, and if so
  // whether a function of firstCalls lies between them.
  const inside = new Map();
  const inExplain = (id) => {
    if (!inside.has(id)) {
      const f = name(node.get(id));
      let v = { in: false, first: false };
      if (/Explainer_\.Explain$/.test(f)) v = { in: true, first: false };
      else if (parent.has(id)) {
        const up = inExplain(parent.get(id));
        v = { in: up.in, first: up.first || (up.in && firstCalls.test(f)) };
      }
      inside.set(id, v);
    }
    return inside.get(id);
  };
  const byStage = new Map();
  const byFunc = new Map();
  let total = 0;
  for (const [i, id] of p.samples.entries()) {
    const at = inExplain(id);
    if (!at.in) continue;
    const dt = p.timeDeltas[i] / 1e3;
    const f = name(node.get(id)).replace('github.com_lrpwasm_lrp_lrp.', 'lrp.');
    const stage = at.first ? firstCall : (stages.find(([, re]) => re.test(f))?.[0] ?? 'other');
    byStage.set(stage, (byStage.get(stage) ?? 0) + dt);
    byFunc.set(f, (byFunc.get(f) ?? 0) + dt);
    total += dt;
  }
  const pct = (t, of = total) => `${((100 * t) / of).toFixed(1).padStart(5)}%`;
  const steady = total - (byStage.get(firstCall) ?? 0);
  console.log(`${simd ? 'SIMD' : 'pure-Go'} kernels; ${total.toFixed(0)} ms of samples inside Explainer.Explain; share of all, and without the first calls' caches`);
  for (const [s, t] of [...byStage].sort((a, b) => b[1] - a[1])) console.log(`${pct(t)} ${s === firstCall ? '       ' : pct(t, steady)}  ${s}`);
  console.log('functions:');
  for (const [f, t] of [...byFunc].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(t)}  ${f}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
