// compare.js: the Compare panel, a grid of the same model input and class
// under a dozen methods, computed on the Worker pool. A newer run drops the
// queued calls of an older one; a click on a cell makes its method the
// current one.
import { title } from './catalogue.js';
import { $, el, fmt, ms, putRGBA } from './dom.js';

// The talk's rules, the common baselines and the two trivial explainers
// that conserve relevance and explain nothing.
const methods = [
  'lrp0', 'epsilon', 'gamma', 'epsilon_gamma_box', 'epsilon_plus_flat', 'alpha2beta1',
  'gradient', 'gradient_x_input', 'integrated_gradients', 'smoothgrad', 'single_pixel', 'uniform',
];

// createCompare returns the panel: onModel, onResult and onClear as every
// panel, schedule(delay) runs the grid after delay ms when it follows the
// input, run() runs it now, and methods() lists the methods of its cells.
// pool is the WorkerPool, stats the page's __lrpStats, useMethod(m) makes
// m the current method.
export function createCompare(state, { pool, stats, useMethod }) {
  let gen = 0;
  let timer = 0;
  const cells = new Map(); // method → {cell, canvas, meta}

  function onModel(model) {
    const grid = $('compare-grid');
    grid.replaceChildren();
    cells.clear();
    for (const m of methods) {
      const c = model.composites.find((x) => x.name === m);
      if (!c) continue;
      const name = title(m, model.composites);
      const canvas = el('canvas', { width: 28, height: 28 });
      canvas.setAttribute('aria-hidden', 'true');
      const meta = el('span', { className: 'meta' });
      // Long CamelCase names may break between their words inside a narrow
      // cell (<wbr>: no character that would enter the button's name).
      const label = el('span', { className: 'name' });
      name.split(/(?<=[a-z])(?=[A-Z])/).forEach((w, i) => label.append(...(i ? [el('wbr'), w] : [w])));
      const cell = el('button', { type: 'button', className: 'cell', title: c.description }, canvas, label, meta);
      cell.dataset.method = m;
      cell.addEventListener('click', () => useMethod(m));
      grid.append(cell);
      cells.set(m, { cell, canvas, meta });
    }
    // A large model takes seconds per method: compare on request only.
    $('compare-auto').checked = model.info.params <= 5e6;
    onClear();
  }

  function onResult(r, options) {
    for (const [m, c] of cells) c.cell.classList.toggle('current', m === options.composite);
  }

  function onClear() {
    clearTimeout(timer);
    gen++;
    pool.cancel('compare');
    for (const c of cells.values()) {
      c.canvas.getContext('2d').clearRect(0, 0, c.canvas.width, c.canvas.height);
      c.meta.textContent = '';
      c.cell.classList.remove('busy', 'failed');
      c.cell.dataset.state = 'empty';
    }
    $('compare-status').textContent = '';
  }

  function schedule(delay = 250) {
    clearTimeout(timer);
    if (!$('compare-auto').checked) return;
    timer = setTimeout(run, delay);
  }

  async function run() {
    clearTimeout(timer);
    const last = state.last;
    if (!last || state.drawing) return;
    const g = ++gen;
    pool.cancel('compare');
    const t0 = performance.now();
    const base = { start: last.options.start, target: last.target, colormap: state.colormap, symmetric: state.symmetric, sign: state.sign };
    $('compare-status').textContent = `Computing ${cells.size} methods…`;
    const runs = [...cells].map(([m, c]) => {
      c.cell.classList.add('busy');
      c.cell.dataset.state = 'busy';
      const input = last.input.slice();
      return pool.run('explain', { input, options: { ...base, composite: m } }, { group: 'compare', transfer: [input.buffer] })
        .then((r) => {
          if (g !== gen) return;
          putRGBA(c.canvas, r.heatmap, r.width, r.height);
          c.meta.textContent = `Σ ${fmt(r.diagnostics?.inputSum, 3)} · ${ms(r.timings?.total)}`;
          c.cell.classList.remove('busy', 'failed');
          c.cell.dataset.state = 'done';
        }, (err) => {
          if (g !== gen || err.name === 'Superseded') return;
          c.meta.textContent = err.message;
          c.cell.classList.remove('busy');
          c.cell.classList.add('failed');
          c.cell.dataset.state = 'failed';
        });
    });
    await Promise.all(runs);
    if (g !== gen) return;
    const elapsed = performance.now() - t0;
    $('compare-status').textContent = `${cells.size} methods in ${ms(elapsed)} on ${pool.workers} Worker${pool.workers === 1 ? '' : 's'}`;
    stats.compareRuns++;
    stats.compare = { ms: elapsed, workers: pool.workers, cells: cells.size };
  }

  $('compare-run').addEventListener('click', run);
  $('compare-auto').addEventListener('change', (e) => e.target.checked && schedule(0));

  return { onModel, onResult, onClear, schedule, run, methods: () => [...cells.keys()] };
}
