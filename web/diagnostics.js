// diagnostics.js: the Diagnostics panel. For each explanation: the
// relevance at the start and at the input, how much of it was conserved,
// the positive share, the f(x) = 0 ⇒ R = 0 check, the timings, and the
// conservation chain from the output down to the pixels. Like every panel
// it follows the page through onResult(result, options, roundTripMs) and
// onClear().
//
// The chain follows the model's graph (info.layers and their inputs): at
// a layer that joins branches — an Add of a residual block, a Concat of
// an Inception or Fire module or a dense block, a gate's Mul — each
// branch gets a row with the relevance it receives (the layer's
// diagnostics `inputs`, one sum per input: a Concat's branch its own
// channels', a gate's signal and gate what the rule gives each) and its
// layers indented under it, down to the layer where the branches leave
// one another, which then adds up what they give back. Each row's bar is
// Σ R in as a share of the start, on a scale that reaches past 100 %
// (marked) and below 0 when a row does.
import { $, el, fmt, ms, setStyle, setText } from './dom.js';

// nanMessage says what NaN or ±Inf in a result means: the model's output
// overflowed (the prediction means nothing), or a rule divided by zero.
export function nanMessage(r) {
  if (Array.prototype.some.call(r.logits ?? [], (v) => !Number.isFinite(v))) {
    return 'The model’s output is NaN or infinite for this input (a value overflowed float32): the prediction and the heatmap mean nothing.';
  }
  const layers = (r.diagnostics?.layers ?? []).filter((l) => l.nan).map((l) => l.name || `#${l.node}`);
  return `NaN relevance${layers.length ? ` at ${layers.join(', ')}` : ''}: a rule divided by (almost) zero. Try a larger ε or stabilizer.`;
}

// chainOf lays out the conservation chain of a model's layers (info.layers:
// {index, name, kind, inputs}, −1 the model input): rows from the output
// down, each {type: 'layer', node, guide, joins} or {type: 'branch', add,
// k, of, input, identity, layers, guide}, where add is the joining layer
// and guide the tree drawn left of the name. At a layer of several inputs
// (Add, Concat, Mul) each input starts a branch, the longest first, whose
// layers follow it, down to the fork, the last layer all branches depend
// on; the fork's row lists the layers it joins.
export function chainOf(layers) {
  const byIndex = new Map(layers.map((l) => [l.index, l]));
  const ancestors = new Map(); // node → Set of the nodes it depends on, itself included
  const up = (n) => {
    if (n < 0) return new Set();
    let s = ancestors.get(n);
    if (!s) {
      s = new Set([n]);
      for (const i of byIndex.get(n)?.inputs ?? []) for (const a of up(i)) s.add(a);
      ancestors.set(n, s);
    }
    return s;
  };
  const rows = [];
  const seen = new Set();
  const joins = new Map(); // fork → the Adds whose branches leave it
  const walk = (n, stop, guide) => {
    while (n >= 0 && n !== stop && !seen.has(n) && byIndex.has(n)) {
      seen.add(n);
      const row = { type: 'layer', node: n, guide, joins: [] };
      rows.push(row);
      const ins = byIndex.get(n).inputs ?? [];
      if (ins.length < 2) {
        n = ins[0] ?? -1;
        continue;
      }
      const common = [...up(ins[0])].filter((a) => ins.slice(1).every((i) => up(i).has(a)));
      const fork = common.length ? Math.max(...common) : -1;
      const size = (i) => [...up(i)].filter((a) => a > fork).length;
      const branches = ins.map((input, k) => ({ input, k })).sort((a, b) => size(b.input) - size(a.input));
      branches.forEach(({ input, k }, j) => {
        const last = j === branches.length - 1;
        rows.push({ type: 'branch', add: n, k, of: ins.length, input, identity: input === fork, layers: size(input), guide: guide + (last ? '└─ ' : '├─ ') });
        walk(input, fork, guide + (last ? '   ' : '│  '));
      });
      if (fork >= 0) joins.set(fork, [...(joins.get(fork) ?? []), n]);
      n = fork;
    }
  };
  const read = new Set(layers.flatMap((l) => l.inputs ?? []));
  // From each output (a layer nobody reads), the last first; then any layer
  // no output depends on.
  for (const l of [...layers].sort((a, b) => b.index - a.index)) if (!read.has(l.index)) walk(l.index, -1, '');
  for (const l of [...layers].sort((a, b) => b.index - a.index)) if (!seen.has(l.index)) walk(l.index, -1, '');
  for (const row of rows) if (row.type === 'layer') row.joins = joins.get(row.node) ?? [];
  return rows;
}

// branchPart says which part of the joining layer j a branch is: for a
// Concat the channels (first axis) of input k, counted with dim(i), the
// first axis of node i's output; for a gate's Mul the signal or the gate;
// for an Add nothing.
function branchPart(j, k, dim) {
  switch (j?.kind) {
    case 'concat': {
      const from = j.inputs.slice(0, k).reduce((a, i) => a + dim(i), 0);
      const n = dim(j.inputs[k]);
      return n === 1 ? `channel ${from}` : `channels ${from}–${from + n - 1}`;
    }
    case 'mul':
      return k === 0 ? 'the signal' : 'the gate';
  }
  return '';
}

// createDiagnostics returns the panel; showRules(diagnostics) names each
// layer's rule in the rule editor.
export function createDiagnostics(state, { showRules }) {
  let laid = null; // {layers, rows}: the chain of the model's layers

  function stats(r, roundTrip) {
    const d = r.diagnostics ?? {};
    const t = r.timings ?? {};
    const conserved = d.startSum ? d.inputSum / d.startSum : NaN;
    const items = [
      ['Start Σ R', fmt(d.startSum)],
      ['Input Σ R', fmt(d.inputSum)],
      ['Conserved', Number.isFinite(conserved) ? `${(100 * conserved).toFixed(1)}%` : '–', Math.abs(conserved - 1) < 0.05 ? 'good' : '', 'Σ R at the input as a share of the start: green within 5 %'],
      ['Positive share', Number.isFinite(d.positiveShare) ? `${(100 * d.positiveShare).toFixed(1)}%` : '–'],
      ['f(x) = 0 ⇒ R = 0', d.consistent ? 'holds' : 'violated', d.consistent ? 'good' : 'bad', 'A zero output must get zero relevance'],
      ['Engine time', ms(t.total), '', `preprocess ${ms(t.preprocess)}, explain ${ms(t.explain)}, render ${ms(t.render)}`],
      ['Workers', r.workers === 2 ? '2 (split)' : '1', '', 'Explanations of a large model are split over 2 Workers, each computing half of every large product'],
      ['Round trip', ms(roundTrip), '', 'from sending the input to the Worker to drawing the result'],
    ];
    const dl = $('diag-stats');
    if (dl.children.length !== items.length) {
      dl.replaceChildren(...items.map(() => el('div', {}, el('dt'), el('dd'))));
    }
    items.forEach(([k, v, cls, title], i) => {
      const [dt, dd] = dl.children[i].children;
      setText(dt, k);
      setText(dd, v);
      dd.className = cls ?? '';
      dl.children[i].title = title ?? '';
    });
  }

  // layout builds the table's rows for the model's layers, once per model.
  function layout(layers) {
    if (laid?.layers === layers) return laid;
    const rows = [{ type: 'start' }, ...chainOf(layers), { type: 'input' }];
    const body = $('chain').tBodies[0];
    body.replaceChildren();
    for (const row of rows) {
      const tr = body.insertRow();
      for (let c = 0; c < 7; c++) tr.insertCell().className = c >= 3 && c <= 5 ? 'num' : '';
      tr.cells[0].append(el('span', { className: 'guide', textContent: row.guide ?? '' }), el('span', { className: 'label' }), el('span', { className: 'joins' }));
      tr.cells[0].firstChild.setAttribute('aria-hidden', 'true');
      tr.cells[6].append(el('div', { className: 'meter' }, el('span', { className: 'bar' }), el('span', { className: 'mark100' }), el('span', { className: 'mark0' })), el('span', { className: 'pct' }));
      tr.dataset.type = row.type;
      if (row.node != null) tr.dataset.node = row.node;
      if (row.type === 'branch') Object.assign(tr.dataset, { add: row.add, input: row.input });
      tr.dataset.depth = String((row.guide ?? '').length / 3);
    }
    laid = { layers, rows };
    return laid;
  }

  // chain fills the conservation table. Output first: relevance flows from
  // the start down to the pixels.
  function chain(r) {
    const d = r.diagnostics ?? {};
    const layers = state.model.info.layers ?? [];
    const { rows } = layout(layers);
    const byNode = new Map((d.layers ?? []).map((l) => [l.node, l]));
    const byIndex = new Map(layers.map((l) => [l.index, l]));
    const name = (n) => byNode.get(n)?.name || byIndex.get(n)?.name || `#${n}`;
    const dim = (i) => (i < 0 ? state.model.info.inputShape : byIndex.get(i)?.outShape)?.[0] ?? NaN;
    const values = rows.map((row) => {
      switch (row.type) {
        case 'start':
          return { name: 'start', kind: 'output', rule: r.options?.start ?? state.start, out: d.startSum, in: d.startSum };
        case 'input':
          return { name: 'input', kind: 'pixels', rule: '', out: d.inputSum, in: d.inputSum };
        case 'branch': {
          // What the joining layer passed to this input.
          const v = byNode.get(row.add)?.inputs?.[row.k];
          const part = branchPart(byIndex.get(row.add), row.k, dim);
          const what = row.identity ? (part ? `${part}, no layers` : 'shortcut (identity)') : `${part ? `${part}, ` : ''}${row.layers} layer${row.layers === 1 ? '' : 's'} from ${name(row.input)}`;
          return { name: `branch ${row.k + 1} of ${row.of} into ${name(row.add)}: ${what}`, kind: 'branch', rule: '', out: v, in: row.identity ? v : undefined, branch: true };
        }
        default: {
          const l = byNode.get(row.node) ?? {};
          return { name: name(row.node), kind: l.kind ?? byIndex.get(row.node)?.kind, rule: l.rule, out: l.out, in: l.in, absorbed: l.absorbed, nan: l.nan, joins: row.joins };
        }
      }
    });
    // The bars' scale: 0…100 %, wider when a row reaches past it.
    const share = (v) => (d.startSum && Number.isFinite(v) ? v / d.startSum : NaN);
    const all = values.map((v) => share(v.in ?? v.out)).filter(Number.isFinite);
    const lo = Math.max(-1, Math.min(0, ...all));
    const hi = Math.min(4, Math.max(1, ...all));
    const pos = (s) => (100 * (Math.max(lo, Math.min(hi, s)) - lo)) / (hi - lo);
    const body = $('chain').tBodies[0];
    values.forEach((row, i) => {
      const tr = body.rows[i];
      tr.className = [row.nan ? 'nan' : '', row.branch ? 'branch' : ''].filter(Boolean).join(' ');
      setText(tr.cells[0].children[1], row.name);
      setText(tr.cells[0].children[2], row.joins?.length ? ` ← the sum of the branches of ${row.joins.map(name).join(', ')}` : '');
      setText(tr.cells[1], row.kind ?? '');
      setText(tr.cells[2], row.rule ?? '');
      setText(tr.cells[3], row.out == null ? '' : fmt(row.out));
      setText(tr.cells[4], row.in == null ? '' : fmt(row.in));
      setText(tr.cells[5], row.absorbed == null ? '' : fmt(row.absorbed));
      tr.cells[5].classList.toggle('created', row.absorbed < 0 && Math.abs(row.absorbed) > 1e-6 * Math.abs(d.startSum || 1));
      tr.cells[5].title = row.absorbed == null ? '' : row.absorbed < 0 ? 'Negative: relevance created at this layer' : 'Positive: relevance kept by biases and the stabilizer';
      const s = share(row.in ?? row.out);
      const [meter, pct] = tr.cells[6].children;
      const [bar, mark100, mark0] = meter.children;
      const a = pos(Math.min(0, s));
      const b = pos(Math.max(0, s));
      setStyle(bar, 'left', `${Number.isFinite(s) ? a.toFixed(2) : 0}%`);
      setStyle(bar, 'width', `${Number.isFinite(s) ? (b - a).toFixed(2) : 0}%`);
      setStyle(mark100, 'left', `${pos(1).toFixed(2)}%`);
      setStyle(mark0, 'left', `${pos(0).toFixed(2)}%`);
      mark0.hidden = lo === 0;
      bar.className = `bar${s > 1.05 ? ' over' : s < 0 ? ' neg' : ''}${s > hi || s < lo ? ' clipped' : ''}`;
      setText(pct, Number.isFinite(s) ? `${(100 * s).toFixed(1)}%` : '');
      tr.cells[6].title = Number.isFinite(s) ? `${(100 * s).toFixed(1)}% of the start` : '';
    });
  }

  return {
    onResult(r, options, roundTrip) {
      const d = r.diagnostics ?? {};
      stats(r, roundTrip);
      const nan = $('diag-nan');
      nan.hidden = !(d.nan || (d.layers ?? []).some((l) => l.nan));
      nan.textContent = nan.hidden ? '' : nanMessage(r);
      chain(r);
      showRules(d);
    },
    onClear() {
      $('diag-stats').replaceChildren();
      $('chain').tBodies[0].replaceChildren();
      laid = null;
      $('diag-nan').hidden = true;
    },
  };
}
