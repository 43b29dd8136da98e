// evaluation.js: the "Is the heatmap faithful?" panel (issue 7): region
// perturbation of the input on screen for the current composite, every
// method of the compare grid and the random order, one method per pool
// job, shown as curves (chart.js) and a table of AOPC. It runs on request
// only: each method costs an explanation and a hundred forward passes.
import { title } from './catalogue.js';
import { curveColor, drawCurves } from './chart.js';
import { $, el, setText, showError } from './dom.js';
import { className } from './view.js';

// createEvaluation returns the panel: onModel, onResult and onClear as
// every panel, run() evaluates, draw() redraws the curves. pool is the
// WorkerPool, stats the page's __lrpStats, compared() the methods of the
// compare grid.
export function createEvaluation(state, { pool, stats, compared }) {
  let gen = 0;
  let running = 0; // the gen of the run in progress
  let result = null; // {target, patch, steps, fill, methods: [...], input, ms, workers, status}

  const name = (m) => (m === 'random' ? 'Random order' : title(m, state.model.composites));

  function onModel(model) {
    const [h] = model.info.inputShape.length === 3 ? model.info.inputShape.slice(1) : [28];
    const k = h <= 64 ? 4 : 9; // the engine's default patch (eval.DefaultPatch)
    $('evaluation-patch').textContent = `${k}×${k}`;
    onClear();
  }

  function onResult(r) {
    if (gen === running) return;
    $('evaluate-run').disabled = false;
    if (result) {
      const same = sameInput(result.input, r.input, result.target, r.target);
      setText($('evaluation-status'), same ? result.status : 'The input or class changed since: evaluate again.');
    }
  }

  function onClear() {
    gen++;
    pool.cancel('evaluate');
    result = null;
    $('evaluate-run').disabled = true;
    $('evaluation-result').hidden = true;
    $('evaluation-status').textContent = '';
    showError('evaluation-error', '');
  }

  async function run() {
    const last = state.last;
    if (!last) return;
    const g = ++gen;
    pool.cancel('evaluate');
    showError('evaluation-error', '');
    const methods = [...new Set([state.composite, ...compared()]), 'random'];
    const options = { target: last.target, start: last.options.start, seed: 1 };
    const button = $('evaluate-run');
    button.disabled = true;
    running = g;
    let done = 0;
    const status = $('evaluation-status');
    status.textContent = `Evaluating ${methods.length} methods…`;
    const t0 = performance.now();
    const jobs = methods.map((m) => {
      const input = last.input.slice();
      return pool.run('call', { method: 'evaluate', args: [input, { ...options, methods: [m] }] }, { group: 'evaluate', transfer: [input.buffer] })
        .then((r) => {
          if (g === gen) status.textContent = `Evaluating ${methods.length} methods… ${++done} done`;
          return r;
        });
    });
    let results;
    try {
      results = await Promise.all(jobs);
    } catch (err) {
      if (g !== gen || err.name === 'Superseded') return;
      running = 0;
      status.textContent = '';
      showError('evaluation-error', err.message);
      button.disabled = false;
      return;
    }
    if (g !== gen) return;
    running = 0;
    const ms = performance.now() - t0;
    const r0 = results[0];
    result = {
      target: r0.target, patch: r0.patch, steps: r0.steps, fill: r0.fill, input: last.input, ms, workers: pool.workers,
      methods: results.map((r) => r.methods[0]),
    };
    button.disabled = false;
    result.status = status.textContent = `${methods.length} methods, class ${className(state.model, r0.target)}, in ${ms < 1000 ? ms.toFixed(0) + ' ms' : (ms / 1000).toFixed(1) + ' s'} on ${pool.workers} Worker${pool.workers === 1 ? '' : 's'}`;
    $('evaluation-result').hidden = false;
    table();
    draw();
    stats.evaluations = (stats.evaluations ?? 0) + 1;
    stats.evaluation = {
      ms, workers: pool.workers, target: r0.target,
      methods: result.methods.map((m) => ({ method: m.method, aopcMorf: m.aopcMorf, aopcLerf: m.aopcLerf, points: m.morf.length })),
    };
  }

  // table lists the methods by MoRF AOPC, best first; a method below the
  // random order is marked.
  function table() {
    const { methods } = result;
    const random = methods.find((m) => m.method === 'random')?.aopcMorf ?? -Infinity;
    const rows = methods.map((m, i) => ({ ...m, i })).sort((a, b) => b.aopcMorf - a.aopcMorf);
    $('evaluation-table').tBodies[0].replaceChildren(...rows.map((m) => {
      const swatch = el('span', { className: 'swatch' });
      swatch.style.background = curveColor(m.method, m.i);
      const label = m.method === 'random' ? 'Random order (baseline)' : name(m.method);
      const tr = el('tr', {},
        el('td', {}, el('span', { className: 'name' }, swatch, label), m.method === state.last?.options.composite ? el('span', { className: 'tag', textContent: 'current', title: 'The current composite, with its default parameters (per-layer overrides are not evaluated)' }) : ''),
        el('td', { className: 'num', textContent: m.aopcMorf.toFixed(3) }),
        el('td', { className: 'num', textContent: m.aopcLerf.toFixed(3) }));
      tr.dataset.method = m.method;
      if (m.method === 'random') tr.className = 'baseline';
      else if (m.aopcMorf <= random) (tr.className = 'below'), (tr.title = 'No better than removing patches at random');
      return tr;
    }));
  }

  function draw() {
    if (!result) return;
    drawCurves($('evaluation-curves'), result, {
      names: result.methods.map((m) => name(m.method)),
      current: state.last?.options.composite,
      yLabel: `logit of class ${className(state.model, result.target)}`,
      lerf: $('evaluate-lerf').checked,
    });
  }

  $('evaluate-run').addEventListener('click', run);
  $('evaluate-lerf').addEventListener('change', draw);
  new ResizeObserver(draw).observe($('evaluation-result'));

  return { onModel, onResult, onClear, run, draw };
}

// sameInput says whether two model inputs and classes are the same.
function sameInput(a, b, ta, tb) {
  if (ta !== tb || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
