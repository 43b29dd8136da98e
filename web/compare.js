// compare.js: the Compare panel, a grid of the same model input and class
// under a dozen methods, computed on the Worker pool. A newer run drops the
// queued calls of an older one. A click on a cell opens it at full size in
// a dialog, beside a second method (the current one, or any other of the
// grid), each with its own menu and a button that makes it the current
// method; Esc closes the dialog and the focus goes back to the cell.
import { title } from './catalogue.js';
import { $, el, fmt, ms, putRGBA } from './dom.js';
import { drawOverlay } from './view.js';

// The talk's rules, the common baselines and the two trivial explainers
// that conserve relevance and explain nothing.
const methods = [
  'lrp0', 'epsilon', 'gamma', 'epsilon_gamma_box', 'epsilon_plus_flat', 'alpha2beta1',
  'gradient', 'gradient_x_input', 'integrated_gradients', 'smoothgrad', 'single_pixel', 'uniform',
];

// createCompare returns the panel: onModel, onResult and onClear as every
// panel, schedule(delay) runs the grid after delay ms when it follows the
// input, run() runs it now, methods() lists the methods of its cells, and
// open(m, other) shows m at full size beside other. pool is the
// WorkerPool, stats the page's __lrpStats, useMethod(m) makes m the
// current method.
export function createCompare(state, { pool, stats, useMethod }) {
  let gen = 0;
  let timer = 0;
  const cells = new Map(); // method → {cell, canvas, meta, result}
  const dialog = $('compare-dialog');
  const sides = ['left', 'right'].map(side);
  let opener = null; // the element focused before the dialog opened

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
      const cell = el('button', { type: 'button', className: 'cell', title: `${c.description}. Open at full size.` }, canvas, label, meta);
      cell.dataset.method = m;
      cell.addEventListener('click', () => open(m));
      grid.append(cell);
      cells.set(m, { cell, canvas, meta, result: null });
    }
    const options = () => [...cells.keys()].map((m) => el('option', { value: m, textContent: title(m, model.composites) }));
    for (const s of sides) s.select.replaceChildren(...options());
    if (dialog.open) dialog.close();
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
      c.result = null;
      c.cell.classList.remove('busy', 'failed');
      c.cell.dataset.state = 'empty';
    }
    $('compare-status').textContent = '';
    if (dialog.open) paintSides();
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
          c.result = r;
          c.cell.classList.remove('busy', 'failed');
          c.cell.dataset.state = 'done';
          if (dialog.open) paintSides();
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
    // sums: each method's Σ R at the input, for the tests to compare with an engine's.
    stats.compare = { ms: elapsed, workers: pool.workers, cells: cells.size, sums: Object.fromEntries([...cells].map(([m, c]) => [m, c.result?.diagnostics?.inputSum])) };
  }

  // side makes one half of the dialog: a menu, the heatmap, a caption and
  // a button that makes its method the current one.
  function side(where) {
    const s = {
      select: el('select'),
      canvas: el('canvas', { width: 28, height: 28 }),
      caption: el('figcaption'),
    };
    s.canvas.setAttribute('role', 'img');
    s.canvas.setAttribute('aria-label', 'Relevance heatmap');
    const use = el('button', { type: 'button', textContent: 'Use this method' });
    s.root = el('figure', { className: 'side' }, el('label', {}, `Method on the ${where}`, s.select), s.canvas, s.caption, use);
    $('compare-pair').append(s.root);
    s.select.addEventListener('change', paintSides);
    use.addEventListener('click', () => {
      dialog.close();
      useMethod(s.select.value);
    });
    return s;
  }

  // open shows method m at full size beside other: by default the current
  // method, or if m is the current one, the next method of the grid.
  function open(m, other) {
    const names = [...cells.keys()];
    if (!other || !cells.has(other)) {
      other = state.composite !== m && cells.has(state.composite) ? state.composite : names[(names.indexOf(m) + 1) % names.length];
    }
    sides[0].select.value = m;
    sides[1].select.value = other;
    if (!dialog.open) {
      opener = document.activeElement;
      dialog.showModal();
    }
    paintSides();
  }

  // paintSides draws each side's method from the grid's last results, over
  // the input if asked.
  function paintSides() {
    const over = $('compare-over').checked;
    for (const s of sides) {
      const m = s.select.value;
      const r = cells.get(m)?.result;
      s.root.dataset.method = m;
      s.root.dataset.state = r ? 'done' : 'empty';
      const name = title(m, state.model?.composites);
      if (!r) {
        s.canvas.getContext('2d').clearRect(0, 0, s.canvas.width, s.canvas.height);
        s.caption.textContent = `${name}: not computed yet — the grid computes it`;
        continue;
      }
      if (over) drawOverlay(s.canvas, r, state.alpha);
      else putRGBA(s.canvas, r.heatmap, r.width, r.height);
      s.canvas.setAttribute('aria-label', `Relevance heatmap of ${name}${over ? ' over the input' : ''}`);
      s.caption.textContent = `${name} · Σ R ${fmt(r.diagnostics?.inputSum, 3)} · range ${fmt(r.range[0], 3)} … ${fmt(r.range[1], 3)}`;
    }
  }

  $('compare-run').addEventListener('click', run);
  $('compare-auto').addEventListener('change', (e) => e.target.checked && schedule(0));
  $('compare-over').addEventListener('change', paintSides);
  $('compare-close').addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => {
    if (opener?.isConnected) opener.focus();
    opener = null;
  });

  return { onModel, onResult, onClear, schedule, run, open, methods: () => [...cells.keys()] };
}
