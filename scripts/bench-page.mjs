#!/usr/bin/env node
// Benchmarks a large model in the web app itself, in headless Chromium (run
// by hand after scripts/build.sh, not a timed test): the page is opened
// with its built-in model, a synthetic ResNet-18 file (float16, written by
// `lrp synth`) is dropped on it, then a photo is given. It prints, for each
// of N fresh browser profiles, the time from the drop until the page says
// the model is loaded, and until the first heatmap is drawn, then the next
// photo's heatmap; then, once the page has a second Worker holding the
// model (the split of app.js), the time until that is ready and the heatmap
// of one more photo explained on both Workers. For the first heatmap it
// also prints the engine's share of it (timings.explain) and the Worker's
// whole call (timings.worker: preprocessing, engine, rendering). --model
// FILE drops that model file instead of the synthetic ResNet-18 (e.g. an
// ONNX export of testdata/models/imagenet.py).
//
// --simd both (the default) runs every profile twice, the page on the
// SIMD kernels and then opened with ?simd=0 on the pure-Go ones, and
// prints both kernels' medians side by side; on or off runs one.
//
//   node scripts/bench-page.mjs [--runs N] [--model FILE] [--simd both|on|off]
//
// Needs Go (to build lrp) and /usr/bin/chromium (or $CHROMIUM).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { chromiumArgs, chromiumPath, png, serve } from '../tests/lib/page.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const runs = args.includes('--runs') ? Number(args[args.indexOf('--runs') + 1]) || 1 : 3;
const simdOpt = args.includes('--simd') ? args[args.indexOf('--simd') + 1] : 'both';
const kernels = { both: ['SIMD', 'Go'], on: ['SIMD'], off: ['Go'] }[simdOpt];
if (!kernels) throw new Error(`bench-page: --simd ${simdOpt}: want both, on or off`);
const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lrp-bench-page-'));
const lrp = path.join(tmp, 'lrp');
execFileSync('go', ['build', '-o', lrp, './cmd/lrp'], { cwd: root, stdio: 'inherit' });
let model = args.includes('--model') ? path.resolve(args[args.indexOf('--model') + 1]) : '';
if (!model) {
  model = path.join(tmp, 'resnet18.safetensors');
  execFileSync(lrp, ['synth', '-o', model], { stdio: 'ignore' });
}
const modelName = path.basename(model);
const modelB64 = fs.readFileSync(model).toString('base64');
// A 224×224 photo: a gray gradient with a bright square.
const gray = Buffer.alloc(224 * 224);
for (let y = 0; y < 224; y++) for (let x = 0; x < 224; x++) gray[y * 224 + x] = x > 80 && x < 150 && y > 60 && y < 130 ? 250 : (x + y) >> 1;
const photo = png(gray, 224, 224);

const server = await serve(lrp, path.join(root, 'web'));
const rows = Object.fromEntries(kernels.map((k) => [k, { loaded: [], first: [], engine: [], worker: [], next: [], ready: [], split: [] }]));
try {
  for (let r = 0; r < runs; r++) for (const kernel of kernels) {
    const row = rows[kernel];
    const context = await chromium.launchPersistentContext(path.join(tmp, `profile-${r}-${kernel}`), {
      executablePath: chromiumPath,
      headless: true,
      args: chromiumArgs,
    });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(kernel === 'SIMD' ? server.url : `${server.url}?simd=0`);
      await page.waitForFunction(() => window.__lrpStats?.modelReady, null, { timeout: 60_000 });
      await page.waitForTimeout(1000); // the page at rest, as a user would find it
      const dt = await page.evaluateHandle(({ b64, name }) => {
        const bin = atob(b64);
        const u = new Uint8Array(bin.length);
        for (let i = 0; i < bin.length; i++) u[i] = bin.charCodeAt(i);
        const dt = new DataTransfer();
        dt.items.add(new File([u], name));
        return dt;
      }, { b64: modelB64, name: modelName });
      const explained = () => page.evaluate(() => window.__lrpStats.explains);
      const t0 = performance.now();
      await page.dispatchEvent('#pad-wrap', 'drop', { dataTransfer: dt });
      await page.waitForFunction((name) => document.getElementById('model-status').textContent.startsWith(`Loaded ${name}`) || !document.getElementById('model-error').hidden, modelName, { timeout: 120_000, polling: 10 });
      const loaded = performance.now() - t0;
      if (!(await page.locator('#model-error').isHidden())) throw new Error(await page.locator('#model-error').textContent());
      const times = [];
      let firstTimings;
      for (const name of ['photo.png', 'photo2.png']) {
        const n = await explained();
        await page.setInputFiles('#image-file', { name, mimeType: 'image/png', buffer: photo });
        await page.waitForFunction(([n, name]) => window.__lrpStats.explains > n && window.__lrpStats.last?.model === name, [n, modelName], { timeout: 120_000, polling: 10 });
        times.push(performance.now() - t0);
        firstTimings ??= await page.evaluate(() => ({ ...window.__lrpStats.last.timings, simd: window.__lrpStats.last.simd }));
      }
      if (firstTimings.simd !== (kernel === 'SIMD')) throw new Error(`the ${kernel} page explained with simd ${firstTimings.simd}`);
      await page.waitForFunction(() => ['ready', 'failed'].includes(window.__lrpStats.split.state), null, { timeout: 120_000, polling: 10 });
      const ready = performance.now() - t0;
      const split = await page.evaluate(() => window.__lrpStats.split);
      if (split.state !== 'ready') throw new Error(`the split failed: ${split.error}`);
      const n = await explained();
      const s0 = performance.now();
      await page.setInputFiles('#image-file', { name: 'photo3.png', mimeType: 'image/png', buffer: photo });
      await page.waitForFunction((n) => window.__lrpStats.explains > n, n, { timeout: 120_000, polling: 10 });
      const splitMs = performance.now() - s0;
      const workers = await page.evaluate(() => window.__lrpStats.last.workers);
      if (workers !== 2) throw new Error(`the photo after the split was ready ran on ${workers} Worker(s)`);
      if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
      row.loaded.push(loaded);
      row.first.push(times[0]);
      row.engine.push(firstTimings.explain);
      row.worker.push(firstTimings.worker);
      row.next.push(times[1] - times[0]);
      row.ready.push(ready);
      row.split.push(splitMs);
      console.log(
        `run ${r + 1} ${kernel.padEnd(4)}: drop → loaded ${loaded.toFixed(0)} ms, drop → first heatmap ${times[0].toFixed(0)} ms (the photo given as soon as loaded; ` +
          `its engine ${firstTimings.explain.toFixed(0)} ms, the Worker's call ${firstTimings.worker.toFixed(0)} ms), next photo → heatmap ${(times[1] - times[0]).toFixed(0)} ms; ` +
          `drop → second Worker ready ${ready.toFixed(0)} ms, then a photo on 2 Workers → heatmap ${splitMs.toFixed(0)} ms`,
      );
    } finally {
      await context.close();
    }
  }
  for (const [kernel, row] of Object.entries(rows)) {
    console.log(
      `median of ${runs}, ${kernel.padEnd(4)}: loaded ${median(row.loaded).toFixed(0)} ms, first heatmap ${median(row.first).toFixed(0)} ms (engine ${median(row.engine).toFixed(0)}, Worker's call ${median(row.worker).toFixed(0)}), next ${median(row.next).toFixed(0)} ms; ` +
        `second Worker ready ${median(row.ready).toFixed(0)} ms, photo on 2 Workers ${median(row.split).toFixed(0)} ms`,
    );
  }
  if (kernels.length === 2) {
    const r = (k) => (median(rows.Go[k]) / median(rows.SIMD[k])).toFixed(2);
    console.log(`Go/SIMD: loaded ${r('loaded')}×, first heatmap ${r('first')}×, next ${r('next')}×, photo on 2 Workers ${r('split')}×`);
  }
} finally {
  server.proc.kill();
  fs.rmSync(tmp, { recursive: true, force: true });
}
