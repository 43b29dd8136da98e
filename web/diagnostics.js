// diagnostics.js: the Diagnostics panel. For each explanation: the
// relevance at the start and at the input, how much of it was conserved,
// the positive share, the f(x) = 0 ⇒ R = 0 check, the timings, and the
// conservation chain, one row per layer from the output down to the
// pixels. Like every panel it follows the page through onResult(result,
// options, roundTripMs) and onClear().
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

// createDiagnostics returns the panel; showRules(diagnostics) names each
// layer's rule in the rule editor.
export function createDiagnostics(state, { showRules }) {
  function stats(r, roundTrip) {
    const d = r.diagnostics ?? {};
    const t = r.timings ?? {};
    const conserved = d.startSum ? d.inputSum / d.startSum : NaN;
    const items = [
      ['Start Σ R', fmt(d.startSum)],
      ['Input Σ R', fmt(d.inputSum)],
      ['Conserved', Number.isFinite(conserved) ? `${(100 * conserved).toFixed(1)}%` : '–', Math.abs(conserved - 1) < 0.05 ? 'good' : ''],
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

  // chain fills the conservation table. Output first: relevance flows from
  // the start down to the pixels.
  function chain(r) {
    const d = r.diagnostics ?? {};
    const layers = [...(d.layers ?? [])].sort((a, b) => b.node - a.node);
    const body = $('chain').tBodies[0];
    if (body.rows.length !== layers.length + 2) {
      body.replaceChildren();
      for (let i = 0; i < layers.length + 2; i++) {
        const tr = body.insertRow();
        for (let c = 0; c < 7; c++) tr.insertCell().className = c >= 3 && c <= 5 ? 'num' : '';
        tr.cells[6].append(el('div', { className: 'meter' }, el('span')));
      }
    }
    const rows = [
      { name: 'start', kind: 'output', rule: r.options?.start ?? state.start, out: d.startSum, in: d.startSum },
      ...layers.map((l) => ({ name: l.name || `#${l.node}`, kind: l.kind, rule: l.rule, out: l.out, in: l.in, absorbed: l.absorbed, nan: l.nan })),
      { name: 'input', kind: 'pixels', rule: '', out: d.inputSum, in: d.inputSum },
    ];
    rows.forEach((row, i) => {
      const tr = body.rows[i];
      tr.className = row.nan ? 'nan' : '';
      setText(tr.cells[0], row.name);
      setText(tr.cells[1], row.kind);
      setText(tr.cells[2], row.rule ?? '');
      setText(tr.cells[3], fmt(row.out));
      setText(tr.cells[4], fmt(row.in));
      setText(tr.cells[5], row.absorbed == null ? '' : fmt(row.absorbed));
      const share = d.startSum ? row.in / d.startSum : NaN;
      const bar = tr.cells[6].firstChild.firstChild;
      setStyle(bar, 'width', `${Number.isFinite(share) ? Math.max(0, Math.min(100, 100 * share)).toFixed(1) : 0}%`);
      bar.className = share > 1.05 ? 'over' : '';
      tr.cells[6].title = Number.isFinite(share) ? `${(100 * share).toFixed(1)}% of the start` : '';
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
      $('diag-nan').hidden = true;
    },
  };
}
