// Browser tests of the page's panels as a person uses them (issue 18,
// points 4–7): the faithfulness panel (honest about one input, with
// progress and cancel, never current for a changed input, a readable
// chart), the method's parameters and captions, the compare grid at full
// size, and the diagnostics and model card of a residual model. Debian's
// Chromium driven by playwright-core against web/ served by `lrp serve`.
// Run from the repository root after scripts/build.sh:
//   node --test tests/panels.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { drawSeven as drawSevenOn, dropFile as dropFileOn, offOrigin, openApp, png, settle as settleOn } from './lib/page.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const artifacts = path.join(root, 'test-artifacts');

let app, tmp, origin, page, requests, consoleErrors;

const stats = (f, arg) => page.evaluate(f, arg);
const settle = (until, arg, timeout) => settleOn(page, until, arg, timeout);
const drawSeven = () => drawSevenOn(page);

// stroke drags the mouse through points given as fractions of the pad.
async function stroke(points) {
  await page.locator('#pad').scrollIntoViewIfNeeded();
  const b = await page.locator('#pad').boundingBox();
  const at = ([fx, fy]) => [b.x + fx * b.width, b.y + fy * b.height];
  await page.mouse.move(...at(points[0]));
  await page.mouse.down();
  for (const p of points.slice(1)) await page.mouse.move(...at(p), { steps: 4 });
  await page.mouse.up();
}

const dropFile = (name, bytes, type) => dropFileOn(page, name, bytes, type);

// canvasSum is a checksum of a canvas's pixels.
const canvasSum = (selector) => page.evaluate((sel) => {
  const c = document.querySelector(sel);
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let s = 0;
  for (let i = 0; i < d.length; i++) s = (s * 31 + d[i]) % 1e9;
  return s;
}, selector);

// evaluate runs the evaluation to its end and returns stats.evaluation.
async function evaluate() {
  const n = await stats(() => __lrpStats.evaluations ?? 0);
  await page.click('#evaluate-run');
  await page.waitForFunction((n) => (__lrpStats.evaluations ?? 0) > n, n, { timeout: 120_000 });
  return stats(() => __lrpStats.evaluation);
}

before(async () => {
  app = await openApp('panels');
  ({ tmp, origin, page, requests, consoleErrors } = app);
});

after(() => app?.close());

// ---------------------------------------------------------------- 4: faithfulness

let fullMs = 0; // how long a whole evaluation of the drawn 7 took

test('the faithfulness panel says one input is noisy, with the 200-digit figures, and a run shows its progress', async () => {
  await page.uncheck('#compare-auto'); // the grid would share the cores
  await drawSeven();
  const noise = page.locator('#evaluation-noise');
  assert.match(await noise.innerText(), /^One input is a noisy test/);
  assert.match(await noise.innerText(), /200 test digits/);
  assert.match(await noise.innerText(), /\+0\.16 ± 0\.17/);
  assert.match(await noise.locator('a').getAttribute('href'), /\/docs\/EVALUATION\.md$/);

  const n = await stats(() => __lrpStats.evaluations ?? 0);
  await page.click('#evaluate-run');
  await page.waitForFunction(() => __lrpStats.evaluationRun?.state === 'running' && __lrpStats.evaluationRun.done >= 1, null, { timeout: 60_000 });
  const bar = page.locator('#evaluation-progress');
  assert.equal(await bar.isVisible(), true, 'the progress bar shows');
  assert.equal(await page.locator('#evaluate-cancel').isVisible(), true, 'the cancel button shows');
  const run = await stats(() => __lrpStats.evaluationRun);
  assert.equal(Number(await bar.getAttribute('max')), run.total);
  assert.ok(Number(await bar.evaluate((b) => b.value)) >= 1, 'the bar counts the methods done');
  await page.waitForFunction((n) => (__lrpStats.evaluations ?? 0) > n, n, { timeout: 120_000 });
  assert.equal(await bar.isHidden(), true, 'the bar goes when the run ends');
  assert.equal(await page.locator('#evaluate-cancel').isHidden(), true);
  const ev = await stats(() => __lrpStats.evaluation);
  fullMs = ev.ms;
  const cores = await stats(() => __lrpStats.poolSize);
  assert.ok(ev.workers <= Math.max(1, cores - 1), `the evaluation leaves a core to the live Worker: ${ev.workers} of ${cores} Workers`);
  console.log(`# evaluation of the drawn 7: ${ev.methods.length} methods in ${ev.ms.toFixed(0)} ms on ${ev.workers} Worker(s)`);
});

test('cancel stops the run, its Workers and its progress bar, and no result of it appears later', async () => {
  const before = await stats(() => ({ n: __lrpStats.evaluations, status: document.getElementById('evaluation-status').textContent }));
  const workers = () => Promise.all(page.workers().map((w) => w.evaluate(() => self.name).catch(() => ''))).then((ns) => ns.filter((n) => n.startsWith('lrp-pool')));
  await page.click('#evaluate-run');
  await page.waitForFunction(() => __lrpStats.evaluationRun?.state === 'running', null, { timeout: 30_000 });
  const running = await workers();
  await page.click('#evaluate-cancel');
  assert.equal((await stats(() => __lrpStats.evaluationRun)).state, 'cancelled');
  assert.equal(await page.locator('#evaluation-progress').isHidden(), true, 'the progress bar is gone');
  assert.equal(await page.locator('#evaluate-cancel').isHidden(), true, 'the cancel button is gone');
  assert.match(await page.locator('#evaluation-status').textContent(), /Cancelled/);
  assert.equal(await page.locator('#evaluate-run').isEnabled(), true, 'evaluate again');
  // The Workers that ran it were stopped: fewer pool Workers than during the run.
  let after = running.length;
  for (const deadline = Date.now() + 5000; after >= running.length && Date.now() < deadline; await page.waitForTimeout(50)) after = (await workers()).length;
  assert.ok(after < running.length, `pool Workers during the run ${running.length}, after cancel ${after}`);
  // Longer than a whole run: nothing of the cancelled one shows up.
  await page.waitForTimeout(Math.max(2000, 1.5 * fullMs));
  assert.equal(await stats(() => __lrpStats.evaluations), before.n, 'no evaluation finished after cancel');
  assert.match(await page.locator('#evaluation-status').textContent(), /Cancelled/);
});

test('a result for a changed input is never shown as current, and a run stops when the input changes', async () => {
  // A finished evaluation of the 7, then one more stroke: it is marked as of an earlier input.
  assert.equal(await page.locator('#evaluation-result').isVisible(), true);
  assert.equal(await page.locator('#evaluation-result').evaluate((e) => e.classList.contains('stale')), false);
  let n = await stats(() => __lrpStats.explains);
  await stroke([[0.3, 0.55], [0.7, 0.55]]);
  await settle((n, s = window.__lrpStats) => s.explains > n, n);
  assert.equal(await page.locator('#evaluation-result').evaluate((e) => e.classList.contains('stale')), true, 'the curves are marked stale');
  assert.equal(await page.locator('#evaluation-stale').isVisible(), true, 'a note says they are of an earlier input');
  assert.match(await page.locator('#evaluation-status').textContent(), /earlier input/);

  // A run in progress when the input changes stops, and shows nothing.
  const evaluations = await stats(() => __lrpStats.evaluations);
  await page.click('#evaluate-run');
  await page.waitForFunction(() => __lrpStats.evaluationRun?.state === 'running', null, { timeout: 30_000 });
  n = await stats(() => __lrpStats.explains);
  await stroke([[0.5, 0.3], [0.5, 0.8]]);
  await settle((n, s = window.__lrpStats) => s.explains > n, n);
  assert.equal((await stats(() => __lrpStats.evaluationRun)).state, 'stopped');
  assert.match(await page.locator('#evaluation-status').textContent(), /changed during the evaluation/);
  await page.waitForTimeout(Math.max(2000, 1.5 * fullMs));
  assert.equal(await stats(() => __lrpStats.evaluations), evaluations, 'the stopped run shows no result');
  assert.equal(await page.locator('#evaluation-result').evaluate((e) => e.classList.contains('stale')), true, 'still marked stale');
});

test('the chart gives every line its own colour and dash, the legend toggles lines, and the current method is highlighted', async () => {
  await drawSeven();
  const ev = await evaluate();
  assert.equal(await page.locator('#evaluation-result').evaluate((e) => e.classList.contains('stale')), false);
  const entries = await page.locator('#evaluation-legend button').evaluateAll((bs) => bs.map((b) => ({ method: b.dataset.method, color: b.dataset.color, dash: b.dataset.dash, pressed: b.getAttribute('aria-pressed') })));
  assert.equal(entries.length, ev.methods.length, 'one legend entry per line');
  assert.ok(entries.length >= 13, `${entries.length} lines`);
  const unique = (xs) => new Set(xs).size === xs.length;
  assert.ok(unique(entries.map((e) => e.color)), `colours repeat: ${entries.map((e) => e.color)}`);
  assert.ok(unique(entries.map((e) => e.dash)), `dash patterns repeat: ${entries.map((e) => e.dash)}`);
  // Colours far apart (CIE76 ΔE in Lab), not two browns.
  const lab = (hex) => {
    const lin = (c) => ((c /= 255) <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
    const rgb = hex.startsWith('#') ? [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) : hex.match(/\d+/g).map(Number);
    const [r, g, b] = rgb.map(lin);
    const f = (t) => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);
    const [X, Y, Z] = [(0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047, 0.2126 * r + 0.7152 * g + 0.0722 * b, (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883];
    return [116 * f(Y) - 16, 500 * (f(X) - f(Y)), 200 * (f(Y) - f(Z))];
  };
  let closest = Infinity;
  for (let i = 0; i < entries.length; i++) for (let j = i + 1; j < entries.length; j++) {
    const [a, b] = [lab(entries[i].color), lab(entries[j].color)];
    closest = Math.min(closest, Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]));
  }
  assert.ok(closest >= 20, `two lines' colours are ΔE ${closest.toFixed(1)} apart`);

  // The current composite is drawn thicker, and marked in the legend and the table.
  const drawn = await stats(() => __lrpStats.evaluationDrawn);
  assert.equal(drawn.current, 'epsilon_gamma_box');
  for (const [m, w] of Object.entries(drawn.widths)) if (m !== drawn.current) assert.ok(drawn.widths[drawn.current] > w, `${m} as thick as the current method`);
  assert.equal(await page.locator('#evaluation-legend button.current').getAttribute('data-method'), 'epsilon_gamma_box');
  assert.equal(await page.locator('#evaluation-table tr.current').getAttribute('data-method'), 'epsilon_gamma_box');

  // A legend entry hides its line and shows it again.
  const all = await canvasSum('#evaluation-curves');
  const entry = page.locator('#evaluation-legend button[data-method="gradient"]');
  await entry.click();
  assert.equal(await entry.getAttribute('aria-pressed'), 'false');
  assert.equal('gradient' in (await stats(() => __lrpStats.evaluationDrawn.widths)), false, 'the hidden line is not drawn');
  assert.notEqual(await canvasSum('#evaluation-curves'), all, 'the plot changed');
  await entry.click();
  assert.equal(await entry.getAttribute('aria-pressed'), 'true');
  assert.equal(await canvasSum('#evaluation-curves'), all, 'the plot is back');

  // Choosing another method moves the highlight, without evaluating again.
  await page.selectOption('#composite', 'gradient');
  await settle((_, s = window.__lrpStats) => s.last?.composite === 'gradient');
  await page.waitForFunction(() => __lrpStats.evaluationDrawn.current === 'gradient');
  assert.equal(await page.locator('#evaluation-legend button.current').getAttribute('data-method'), 'gradient');
  await page.selectOption('#composite', 'epsilon_gamma_box');
  await settle((_, s = window.__lrpStats) => s.last?.composite === 'epsilon_gamma_box');
  await page.locator('#evaluation-panel').screenshot({ path: path.join(artifacts, 'panels-evaluation.png') });
});

test('ROAD is the panel’s default fill: the request carries it, the table shows a combined score per method, the x axis is in percent', async () => {
  assert.equal(await page.inputValue('#evaluate-fill'), 'road', 'ROAD by default');
  assert.match(await page.locator('#evaluation-road').innerText(), /neighbours.*close to the data.*shape of the removed region leaks nothing/);
  assert.match(await page.locator('#evaluation-how').innerText(), /ROAD removes 10 %, 20 %, … 90 % of the pixels/);
  await drawSeven();
  const ev = await evaluate();
  assert.equal(ev.options.fill, 'road', 'the request carried fill road');
  assert.equal(ev.fill, 'road', 'and the engine ran it');
  // 10 points: 0 %, 10 %, …, 90 % of the 784 pixels.
  assert.equal(ev.removed.length, 10);
  ev.removed.forEach((r, k) => assert.equal(r, Math.floor((k * ev.patches) / 10), `point ${k}`));
  assert.ok(ev.methods.every((m) => m.points === 10 && Number.isFinite(m.combined)), 'a combined score per method');
  assert.equal(ev.methods.find((m) => m.method === 'random').combined, 0, 'the random order scores 0');

  const rows = await page.locator('#evaluation-table tbody tr').evaluateAll((trs) => trs.map((tr) => ({ method: tr.dataset.method, combined: tr.cells[3].textContent })));
  assert.deepEqual(rows.map((r) => r.method).sort(), ev.methods.map((m) => m.method).sort());
  for (const r of rows) {
    assert.match(r.combined, /^-?\d+\.\d{3}$/, `${r.method} combined`);
    assert.equal(r.combined, ev.methods.find((m) => m.method === r.method).combined.toFixed(3));
  }
  // Ranked by the combined score, ROAD's headline.
  const scores = rows.map((r) => Number(r.combined));
  assert.deepEqual(scores, [...scores].sort((a, b) => b - a), 'best first');
  assert.equal(await page.locator('#evaluation-combined').textContent(), 'Combined ↑');
  const drawn = await stats(() => __lrpStats.evaluationDrawn);
  assert.match(drawn.xLabel, /^pixels removed, percentiles .*ROAD/);
  assert.match(await page.locator('#evaluation-status').textContent(), /ROAD/);
  await page.locator('#evaluation-panel').screenshot({ path: path.join(artifacts, 'panels-evaluation-road.png') });
});

// ---------------------------------------------------------------- 5: parameters

test('only the parameters the composite reads are enabled, and the caption and description show the values in use', async () => {
  const enabled = () => page.locator('#params input[data-param]').evaluateAll((is) => Object.fromEntries(is.map((i) => [i.dataset.param, !i.disabled])));
  assert.deepEqual(await enabled(), { epsilon: true, gamma: true, alpha: false, beta: false, low: true, high: true }, 'EpsilonGammaBox');
  assert.match(await page.locator('#params-note').textContent(), /α, β: not used by EpsilonGammaBox/);
  await page.selectOption('#composite', 'alpha2beta1');
  await settle((_, s = window.__lrpStats) => s.last?.composite === 'alpha2beta1');
  assert.deepEqual(await enabled(), { epsilon: false, gamma: false, alpha: true, beta: true, low: false, high: false }, 'LRP-α2β1');

  // α = 1.5 makes β = 0.5 (α − β = 1), and the caption and the description say α1.5β0.5.
  await page.fill('#params input[data-param="alpha"]', '1.5');
  assert.equal(await page.inputValue('#params input[data-param="beta"]'), '0.5', 'β follows α');
  await page.dispatchEvent('#params input[data-param="alpha"]', 'change');
  await settle((_, s = window.__lrpStats) => s.last?.options.params?.alpha === 1.5);
  assert.deepEqual(await stats(() => __lrpStats.last.options.params), { alpha: 1.5, beta: 0.5 });
  assert.match(await page.locator('#explaining').textContent(), /with LRP-α1\.5β0\.5 · one-hot start/);
  assert.match(await page.locator('#composite-doc').textContent(), /^α1\.5β0\.5 on every dense and conv layer/);
  await page.fill('#params input[data-param="alpha"]', '');
  await page.fill('#params input[data-param="beta"]', '');
  await page.dispatchEvent('#params input[data-param="alpha"]', 'change');

  // ε = 0.5 on EpsilonGammaBox: its description and the caption show it.
  await page.selectOption('#composite', 'epsilon_gamma_box');
  await page.fill('#params input[data-param="epsilon"]', '0.5');
  await page.dispatchEvent('#params input[data-param="epsilon"]', 'change');
  await settle((_, s = window.__lrpStats) => s.last?.composite === 'epsilon_gamma_box' && s.last.options.params?.epsilon === 0.5);
  assert.match(await page.locator('#composite-doc').textContent(), /ε = 0\.5 on dense layers/);
  assert.doesNotMatch(await page.locator('#composite-doc').textContent(), /1e-6/);
  assert.match(await page.locator('#explaining').textContent(), /EpsilonGammaBox \(ε = 0\.5\)/);
  assert.equal(await page.getAttribute('#params input[data-param="gamma"]', 'placeholder'), '0.25', 'γ shows the default');

  // The start relevance and per-layer overrides are named.
  await page.selectOption('#start', 'contrastive');
  await settle((_, s = window.__lrpStats) => s.last?.start === 'contrastive');
  assert.match(await page.locator('#explaining').textContent(), /contrastive start/);
  await page.selectOption('#start', 'onehot');
  await page.locator('#rules-details summary').click();
  await page.locator('#rules select[data-node]').first().selectOption('epsilon');
  await settle((_, s = window.__lrpStats) => Object.keys(s.last?.options.rules ?? {}).length === 1 && s.last.start === 'onehot');
  assert.match(await page.locator('#explaining').textContent(), /one-hot start · per-layer rules on 1 layer$/);
  await page.click('#rules-reset');
  await settle((_, s = window.__lrpStats) => Object.keys(s.last?.options.rules ?? {}).length === 0);
  assert.doesNotMatch(await page.locator('#explaining').textContent(), /per-layer/);
});

test('an error dims the heatmap of earlier settings and shows beside it', async () => {
  const errors = await stats(() => __lrpStats.errors);
  await page.fill('#params input[data-param="gamma"]', '-1');
  await page.dispatchEvent('#params input[data-param="gamma"]', 'change');
  await page.waitForFunction((n) => __lrpStats.errors > n && __lrpStats.idle(), errors);
  const err = page.locator('#view-error');
  assert.equal(await err.isVisible(), true, 'the error shows');
  assert.match(await err.textContent(), /gamma/);
  assert.equal(await page.locator('#views').evaluate((v) => v.classList.contains('stale')), true, 'the heatmap is dimmed');
  assert.ok(Number(await page.locator('#heatmap').evaluate((c) => getComputedStyle(c).opacity)) < 0.5, 'dimmed');
  // Beside the heatmap: in the Explanation card, just below it.
  const [h, e] = [await page.locator('#heatmap').boundingBox(), await err.boundingBox()];
  assert.ok(e.y >= h.y + h.height && e.y - (h.y + h.height) < 80, `the error is ${e.y - h.y - h.height}px below the heatmap`);
  assert.equal(await page.locator('.explain-card #view-error').count(), 1);

  await page.fill('#params input[data-param="gamma"]', '');
  await page.fill('#params input[data-param="epsilon"]', '');
  await page.dispatchEvent('#params input[data-param="gamma"]', 'change');
  await settle((_, s = window.__lrpStats) => s.last && !('gamma' in (s.last.options.params ?? {})) && !('epsilon' in (s.last.options.params ?? {})));
  assert.equal(await err.isHidden(), true, 'the error goes with the next result');
  assert.equal(await page.locator('#views').evaluate((v) => v.classList.contains('stale')), false);
});

// ---------------------------------------------------------------- 6: compare

test('a compare cell opens at full size beside a second method; Esc closes it and the focus returns', async () => {
  await page.check('#compare-auto');
  await page.click('#compare-run');
  await page.waitForFunction(() => [...document.querySelectorAll('#compare-grid .cell')].every((c) => c.dataset.state === 'done'), null, { timeout: 60_000 });
  const cell = page.locator('#compare-grid .cell[data-method="gradient"]');
  const small = await cell.locator('canvas').boundingBox();
  await cell.focus();
  await page.keyboard.press('Enter');
  const dialog = page.locator('#compare-dialog');
  await dialog.waitFor({ state: 'visible' });
  const sides = dialog.locator('.side');
  assert.equal(await sides.count(), 2);
  assert.deepEqual(await sides.evaluateAll((ss) => ss.map((s) => [s.dataset.method, s.dataset.state])), [['gradient', 'done'], ['epsilon_gamma_box', 'done']], 'the cell beside the current method');
  for (let i = 0; i < 2; i++) {
    const b = await sides.nth(i).locator('canvas').boundingBox();
    assert.ok(b.width >= 3 * small.width && b.width >= 300, `side ${i} is ${b.width}px wide (the cell ${small.width}px)`);
  }
  const [l, r] = [await canvasSum('#compare-dialog .side:nth-child(1) canvas'), await canvasSum('#compare-dialog .side:nth-child(2) canvas')];
  assert.notEqual(l, r, 'two different heatmaps');
  // Side by side.
  const [a, b] = [await sides.nth(0).boundingBox(), await sides.nth(1).boundingBox()];
  assert.ok(b.x >= a.x + a.width - 1 && Math.abs(a.y - b.y) < 2, 'left and right');
  // Another method on the right, over the input.
  await sides.nth(1).locator('select').selectOption('lrp0');
  assert.equal(await sides.nth(1).getAttribute('data-method'), 'lrp0');
  assert.notEqual(await canvasSum('#compare-dialog .side:nth-child(2) canvas'), r);
  const heat = await canvasSum('#compare-dialog .side:nth-child(1) canvas');
  await page.check('#compare-over');
  assert.notEqual(await canvasSum('#compare-dialog .side:nth-child(1) canvas'), heat, 'over the input');
  await page.uncheck('#compare-over');
  await page.screenshot({ path: path.join(artifacts, 'compare-dialog.png') });

  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.method), 'gradient', 'the focus is back on the cell');

  // "Use this method" makes it the current one.
  await cell.click();
  await dialog.waitFor({ state: 'visible' });
  await sides.nth(0).getByRole('button', { name: 'Use this method' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await settle((_, s = window.__lrpStats) => s.last?.composite === 'gradient');
  assert.equal(await page.inputValue('#composite'), 'gradient');
  await page.selectOption('#composite', 'epsilon_gamma_box');
  await settle((_, s = window.__lrpStats) => s.last?.composite === 'epsilon_gamma_box');
});

// ---------------------------------------------------------------- 7: diagnostics

test('the diagnostics of a residual model follow its branches, show bars past 100 %, and explain their colours', async () => {
  await page.uncheck('#compare-auto');
  const file = path.join(tmp, 'resnet-w4-32.safetensors');
  execFileSync(path.join(tmp, 'lrp'), ['synth', '-width', '4', '-size', '32', '-dtype', 'F32', '-o', file], { stdio: 'ignore' });
  await dropFile('resnet-w4-32.safetensors', fs.readFileSync(file));
  await page.waitForFunction(() => __lrpStats.last === null || document.getElementById('model-info').innerText.includes('resnet-w4-32'), null, { timeout: 30_000 });
  const w = 64;
  const gray = Buffer.alloc(w * w);
  for (let y = 0; y < w; y++) for (let x = 0; x < w; x++) gray[y * w + x] = 127 + 100 * Math.sin(Math.hypot(x - 25, y - 30) / 4);
  const n = await stats(() => __lrpStats.explains);
  await dropFile('rings.png', png(gray, w, w), 'image/png');
  await settle((n, s = window.__lrpStats) => s.explains > n && s.last?.model === 'resnet-w4-32.safetensors', n, 30_000);

  const rows = await page.locator('#chain tbody tr').evaluateAll((trs) => trs.map((tr) => ({
    type: tr.dataset.type, node: tr.dataset.node, add: tr.dataset.add, depth: Number(tr.dataset.depth),
    name: tr.cells[0].textContent, out: Number(tr.cells[3].textContent), in: Number(tr.cells[4].textContent),
    pct: parseFloat(tr.cells[6].textContent), over: tr.querySelector('.bar').classList.contains('over'),
  })));
  const branches = rows.filter((r) => r.type === 'branch');
  assert.equal(branches.length, 16, 'two branches at each of the 8 residual joins');
  assert.ok(branches.some((b) => /identity/.test(b.name)), 'an identity shortcut');
  assert.ok(branches.some((b) => /downsample/.test(b.name)), 'a downsample shortcut');
  assert.ok(rows.filter((r) => r.type === 'layer' && r.depth > 0).length > 0, 'layers indented under their branch');
  // Rows connect: at each join the branches add up to the Add's Σ R in,
  // and the layer they leave receives their sum.
  const close = (a, b) => Math.abs(a - b) <= 2e-3 * Math.max(1, Math.abs(a), Math.abs(b));
  for (const add of new Set(branches.map((b) => b.add))) {
    const addRow = rows.find((r) => r.type === 'layer' && r.node === add);
    const sum = branches.filter((b) => b.add === add).reduce((s, b) => s + b.out, 0);
    assert.ok(close(sum, addRow.in), `branches of ${addRow.name}: ${sum} vs its Σ R in ${addRow.in}`);
  }
  const joined = rows.filter((r) => / ← the sum of the branches of /.test(r.name));
  assert.equal(joined.length, 8, 'each join names the layer its branches leave');

  // A row past 100 %: its bar is orange and reaches past the 100 % tick.
  const over = rows.findIndex((r) => r.pct > 105);
  assert.ok(over >= 0, `a row past 105 %: ${rows.map((r) => r.pct).join(' ')}`);
  assert.equal(rows[over].over, true, 'orange');
  const tr = page.locator('#chain tbody tr').nth(over);
  const [bar, tick] = [await tr.locator('.bar').boundingBox(), await tr.locator('.mark100').boundingBox()];
  assert.ok(bar.x + bar.width > tick.x + tick.width, `the bar ends at ${bar.x + bar.width}, the 100 % tick at ${tick.x}`);
  const full = rows.findIndex((r) => r.type === 'start');
  const startBar = await page.locator('#chain tbody tr').nth(full).locator('.bar').boundingBox();
  assert.ok(Math.abs(startBar.x + startBar.width - (tick.x + tick.width / 2)) < 2, 'the start row reaches the tick');

  // Colours and signs are explained where they are.
  const legend = await page.locator('#chain-legend').innerText();
  for (const want of [/orange: above 105 %/, /negative \(orange\) is relevance created/, /100 %/, /identity/, /green/]) assert.match(legend, want);
  assert.ok(await page.locator('#chain-legend').isVisible());
  await page.locator('.diag-card').screenshot({ path: path.join(artifacts, 'diagnostics-resnet.png') });

  // The model card: normalization and zᴮ bounds of ImageNet's mean and std.
  const info = await page.locator('#model-info').innerText();
  assert.match(info, /Normalization\s+\(x − mean\) \/ std, mean 0\.485, 0\.456, 0\.406, std 0\.229, 0\.224, 0\.225/);
  assert.match(info, /zᴮ bounds\s+\[-2\.118, 2\.249\], \[-2\.036, 2\.429\], \[-1\.804, 2\.64\]/);
  assert.match(info, /BatchNorm\s+none folded/);
});

test('the model card shows the BatchNorms folded and no normalization', async () => {
  await dropFile('conv_bn.onnx', fs.readFileSync(path.join(root, 'model/testdata/onnx/conv_bn.onnx')));
  await page.waitForFunction(() => document.getElementById('model-info').innerText.includes('conv_bn.onnx'), null, { timeout: 30_000 });
  const info = await page.locator('#model-info').innerText();
  assert.match(info, /BatchNorm\s+1 folded into the layer before/);
  assert.match(info, /Normalization\s+none in the model/);
  assert.match(info, /zᴮ bounds\s+\[0, 1\]/);
  await page.click('#model-builtin');
  await page.waitForFunction(() => document.getElementById('model-info').innerText.includes('built-in'), null, { timeout: 30_000 });
});

test('every request was same-origin, with no console error', async () => {
  assert.deepEqual(offOrigin(requests, origin), [], 'requests to other origins');
  assert.deepEqual(consoleErrors, []);
});
