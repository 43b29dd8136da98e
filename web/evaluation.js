// evaluation.js: the "Is the heatmap faithful?" panel (issue 7): region
// perturbation of the input on screen for the current composite, every
// method of the compare grid and the random order, shown as curves
// (chart.js) with a legend that toggles them, and a table of AOPC and the
// combined score. It runs on request only: each method costs an
// explanation and up to a hundred forward passes.
//
// The removed pixels are imputed from their neighbours (ROAD, issue 20) by
// default, or replaced by noise, black or the input's mean (#evaluate-fill).
// ROAD is the default because it is the fill that measures what a user of
// the page wants to know: over the 200 digits of docs/EVALUATION.md it
// separates every LRP composite from the random order (+3.3 to +8.0 logits
// on the combined score, on 198–200 of 200 digits) and from the gradient,
// keeps the controls at random, and ranks the page's default composite,
// EpsilonGammaBox, first; the noise fill puts EpsilonGammaBox within the
// noise of random (+0.16 ± 0.17 on MoRF), so a user sees "LRP below
// random" on one digit, and the zero fill rewards any heatmap that finds
// the ink and leaves a hole whose shape the model reads. ROAD is also the
// cheaper on large inputs (10 forward passes per curve instead of one per
// patch).
//
// A run is one pool call per method, on the pool's Workers, never the live
// one, and on one Worker fewer than the pool has so that a core stays with
// the pen; its progress is the methods done. Cancel stops the Workers
// running it. A run is tied to the input, class and start relevance it
// evaluates: when they change, a running evaluation stops, and a finished
// one is marked as of an earlier input (dimmed, with a note), never shown
// as current.
import { title } from './catalogue.js';
import { curveStyle, drawCurves, lineSample } from './chart.js';
import { $, el, setText, showError } from './dom.js';
import { className } from './view.js';

// createEvaluation returns the panel: onModel, onResult and onClear as
// every panel, run() evaluates, cancel() stops a run, draw() redraws the
// curves. pool is the WorkerPool, stats the page's __lrpStats, compared()
// the methods of the compare grid.
export function createEvaluation(state, { pool, stats, compared }) {
  let gen = 0;
  let run = null; // the run in progress: {g, key, total, done}
  let result = null; // {key, target, patch, steps, fill, methods: [...], styles, ms, workers, status}
  const hidden = new Set(); // methods whose curves the legend hides
  let stopped = ''; // why the last run stopped when its input changed, until the next run

  const name = (m) => (m === 'random' ? 'Random order' : title(m, state.model.composites));

  // keyOf is what an evaluation depends on in a result on screen.
  const keyOf = (r) => ({ input: r.input, target: r.target, start: r.options?.start });

  let patch = 4; // the engine's default patch side for the model (eval.DefaultPatch)

  function onModel(model) {
    const [h] = model.info.inputShape.length === 3 ? model.info.inputShape.slice(1) : [28];
    patch = h <= 64 ? 4 : 9;
    describeFill();
    onClear();
  }

  // describeFill says in the panel's text how the chosen fill removes pixels.
  function describeFill() {
    const k = `${patch}×${patch}`;
    $('evaluation-how').textContent = {
      road: 'ROAD removes 10 %, 20 %, … 90 % of the pixels, most relevant first (MoRF), and imputes each from its neighbours',
      uniform: `the input’s ${k} patches are replaced by noise one by one, most relevant first (MoRF)`,
      zero: `the input’s ${k} patches are made black one by one, most relevant first (MoRF)`,
      mean: `the input’s ${k} patches are replaced by the input’s mean one by one, most relevant first (MoRF)`,
    }[$('evaluate-fill').value];
  }

  function onResult(r) {
    const key = keyOf(state.last ?? r);
    if (run && !sameKey(run.key, key)) stop('The input, class or start changed during the evaluation: it was stopped. Evaluate again for the input on screen.', 'stopped');
    if (!run) $('evaluate-run').disabled = false;
    if (result) {
      const stale = !sameKey(result.key, key);
      $('evaluation-result').classList.toggle('stale', stale);
      $('evaluation-stale').hidden = !stale;
      if (!run) setText($('evaluation-status'), stale ? stopped || 'Of an earlier input: evaluate again.' : result.status);
      if (result.current !== state.last?.options.composite) draw();
    }
  }

  function onClear() {
    stop('', 'cleared');
    stopped = '';
    result = null;
    $('evaluate-run').disabled = true;
    $('evaluation-result').hidden = true;
    $('evaluation-status').textContent = '';
    showError('evaluation-error', '');
  }

  // options are the evaluate options besides methods and target: a control
  // of the panel for the fill, if there is one, adds it.
  function options(last) {
    const o = { start: last.options.start, seed: 1 };
    const fill = document.getElementById('evaluate-fill')?.value;
    if (fill) o.fill = fill;
    return o;
  }

  async function evaluate() {
    const last = state.last;
    if (!last) return;
    stop('', 'replaced');
    stopped = '';
    const g = ++gen;
    showError('evaluation-error', '');
    const methods = [...new Set([state.composite, ...compared()]), 'random'];
    const base = { ...options(last), target: last.target };
    run = { g, key: keyOf(last), total: methods.length, done: 0 };
    progress();
    const t0 = performance.now();
    // One Worker fewer than the pool has: the live Worker keeps a core.
    const limit = Math.max(1, pool.size - 1);
    const jobs = methods.map((m) => {
      const input = last.input.slice();
      return pool.run('call', { method: 'evaluate', args: [input, { ...base, methods: [m] }] }, { group: 'evaluate', transfer: [input.buffer], limit })
        .then((r) => {
          if (g === gen) {
            run.done++;
            progress();
          }
          return r;
        });
    });
    let results;
    try {
      results = await Promise.all(jobs);
    } catch (err) {
      if (g !== gen || err.name === 'Superseded') return;
      stop('', 'failed');
      showError('evaluation-error', err.message);
      return;
    }
    if (g !== gen) return;
    const key = run.key;
    run = null;
    progress();
    const ms = performance.now() - t0;
    const r0 = results[0];
    result = {
      key, target: r0.target, patch: r0.patch, patches: r0.patches, steps: r0.steps, removed: r0.removed, fill: r0.fill, ms, workers: Math.min(limit, pool.workers),
      methods: results.map((r) => r.methods[0]),
    };
    result.styles = result.methods.map((m, i) => curveStyle(m.method, i));
    result.status = `${methods.length} methods, ${r0.fill === 'road' ? 'ROAD' : `${r0.fill} fill`}, class ${className(state.model, r0.target)}, in ${ms < 1000 ? ms.toFixed(0) + ' ms' : (ms / 1000).toFixed(1) + ' s'} on ${result.workers} Worker${result.workers === 1 ? '' : 's'}`;
    setText($('evaluation-status'), result.status);
    $('evaluation-result').hidden = false;
    $('evaluation-result').classList.remove('stale');
    $('evaluation-stale').hidden = true;
    legend();
    table();
    draw();
    stats.evaluations = (stats.evaluations ?? 0) + 1;
    stats.evaluationRun = { state: 'done', done: methods.length, total: methods.length };
    stats.evaluation = {
      ms, workers: result.workers, target: r0.target, options: base, fill: r0.fill, removed: r0.removed, patches: r0.patches,
      methods: result.methods.map((m, i) => ({ method: m.method, aopcMorf: m.aopcMorf, aopcLerf: m.aopcLerf, combined: m.combined, points: m.morf.length, ...result.styles[i] })),
    };
  }

  // stop ends the run in progress, if any, stopping the Workers that run
  // it; why says so in the status (empty: nothing), how is the run's end
  // for the tests (stats.evaluationRun.state).
  function stop(why, how) {
    if (!run) return;
    gen++;
    const { done, total } = run;
    run = null;
    pool.cancel('evaluate', { running: true });
    progress();
    stats.evaluationRun = { state: how, done, total };
    if (how === 'stopped') stopped = why;
    if (why) setText($('evaluation-status'), why);
    $('evaluate-run').disabled = !state.last;
  }

  // progress shows the run in progress: a bar of the methods done, the
  // cancel button, the status.
  function progress() {
    const bar = $('evaluation-progress');
    $('evaluate-cancel').hidden = bar.hidden = !run;
    $('evaluate-run').disabled = !!run || !state.last;
    if (!run) return;
    bar.max = run.total;
    bar.value = run.done;
    setText($('evaluation-status'), `Evaluating ${run.total} methods… ${run.done} done`);
    stats.evaluationRun = { state: 'running', done: run.done, total: run.total };
  }

  // legend lists the methods with their line; each entry shows or hides
  // its curve.
  function legend() {
    const list = $('evaluation-legend');
    list.replaceChildren(...result.methods.map((m, i) => {
      const b = el('button', { type: 'button', className: 'legend-entry' }, lineSample(result.styles[i]), el('span', { textContent: name(m.method) }));
      Object.assign(b.dataset, { method: m.method, color: result.styles[i].color, dash: result.styles[i].dash.join(',') });
      b.setAttribute('aria-pressed', String(!hidden.has(m.method)));
      b.title = 'Show or hide this curve';
      b.addEventListener('click', () => {
        if (hidden.has(m.method)) hidden.delete(m.method);
        else hidden.add(m.method);
        b.setAttribute('aria-pressed', String(!hidden.has(m.method)));
        draw();
      });
      return el('li', {}, b);
    }));
  }

  // table lists the methods by their headline score, best first: ROAD's
  // combined score for ROAD (as its authors and docs/EVALUATION.md rank),
  // the MoRF AOPC for the patch fills (as Samek et al. do); a method no
  // better than the random order on it is marked.
  function table() {
    const { methods } = result;
    const road = result.fill === 'road';
    const score = road ? (m) => m.combined : (m) => m.aopcMorf;
    const random = score(methods.find((m) => m.method === 'random') ?? { aopcMorf: -Infinity, combined: -Infinity });
    const rows = methods.map((m, i) => ({ ...m, i })).sort((a, b) => score(b) - score(a));
    $('evaluation-table').tBodies[0].replaceChildren(...rows.map((m) => {
      const text = m.method === 'random' ? 'Random order (baseline)' : name(m.method);
      const tr = el('tr', {},
        el('td', {}, el('span', { className: 'name' }, lineSample(result.styles[m.i]), text), el('span', { className: 'tag', textContent: 'current', title: 'The current composite, with its default parameters (per-layer overrides are not evaluated)' })),
        el('td', { className: road ? 'num' : 'num score', textContent: m.aopcMorf.toFixed(3) }),
        el('td', { className: 'num', textContent: m.aopcLerf.toFixed(3) }),
        el('td', { className: road ? 'num score' : 'num', textContent: m.combined.toFixed(3) }));
      tr.dataset.method = m.method;
      if (m.method === 'random') tr.className = 'baseline';
      else if (score(m) <= random) (tr.className = 'below'), (tr.title = 'No better than removing pixels at random');
      return tr;
    }));
  }

  function draw() {
    if (!result) return;
    const current = state.last?.options.composite;
    result.current = current;
    for (const tr of $('evaluation-table').tBodies[0].rows) tr.classList.toggle('current', tr.dataset.method === current);
    for (const b of $('evaluation-legend').querySelectorAll('button')) b.classList.toggle('current', b.dataset.method === current);
    const { widths, xLabel } = drawCurves($('evaluation-curves'), result, {
      styles: result.styles,
      hidden,
      current,
      yLabel: `logit of class ${className(state.model, result.target)}`,
      lerf: $('evaluate-lerf').checked,
    });
    stats.evaluationDrawn = { current, widths, xLabel };
  }

  $('evaluate-run').addEventListener('click', evaluate);
  $('evaluate-cancel').addEventListener('click', () => stop('Cancelled.', 'cancelled'));
  $('evaluate-lerf').addEventListener('change', draw);
  $('evaluate-fill').addEventListener('change', describeFill);
  new ResizeObserver(() => draw()).observe($('evaluation-result'));

  return { onModel, onResult, onClear, run: evaluate, cancel: () => stop('Cancelled.', 'cancelled'), draw };
}

// sameKey says whether two evaluation keys ({input, target, start}) are
// the same: the same model input, class and start relevance.
function sameKey(a, b) {
  if (a.target !== b.target || a.start !== b.start || a.input.length !== b.input.length) return false;
  for (let i = 0; i < a.input.length; i++) if (a.input[i] !== b.input[i]) return false;
  return true;
}
