// export.js: the Explanation card's export buttons: the heatmap and the
// overlay as PNG, and the explanation on screen (state.last) with its
// settings, relevance and diagnostics as JSON.
import { $, download, el } from './dom.js';

const ids = ['export-heatmap', 'export-overlay', 'export-json'];

// createExport binds the buttons and returns enable(on), which follows
// whether an explanation is on screen.
export function createExport(state) {
  function exportName(ext) {
    const o = state.last.options;
    return `lrp-${state.model.name.replace(/\.[^.]+$/, '')}-${o.composite}-class${state.last.target}.${ext}`;
  }

  // exportPNG writes a canvas enlarged by a whole factor (nearest
  // neighbour, so every model pixel stays a sharp square).
  function exportPNG(canvas, kind) {
    const s = Math.max(1, Math.floor(560 / Math.max(canvas.width, canvas.height)));
    const big = el('canvas', { width: canvas.width * s, height: canvas.height * s });
    const ctx = big.getContext('2d');
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(canvas, 0, 0, big.width, big.height);
    big.toBlob((b) => b && download(b, exportName(`${kind}.png`)), 'image/png');
  }

  function exportJSON() {
    const r = state.last;
    const { info } = state.model;
    const doc = {
      app: 'lrp-explainer',
      engine: state.model.version,
      created: new Date().toISOString(),
      model: { name: state.model.name, format: info.format, inputShape: info.inputShape, labels: info.labels },
      settings: r.options,
      predicted: r.predicted,
      target: r.target,
      top: r.top,
      logits: Array.from(r.logits),
      probabilities: Array.from(r.probabilities),
      range: r.range,
      shape: info.inputShape,
      input: Array.from(r.input),
      relevance: Array.from(r.relevance),
      diagnostics: r.diagnostics,
      timings: r.timings,
    };
    download(new Blob([JSON.stringify(doc)], { type: 'application/json' }), exportName('json'));
  }

  $('export-heatmap').addEventListener('click', () => exportPNG($('heatmap'), 'heatmap'));
  $('export-overlay').addEventListener('click', () => exportPNG($('overlay'), 'overlay'));
  $('export-json').addEventListener('click', exportJSON);

  return {
    enable(on) {
      for (const id of ids) $(id).disabled = !on;
    },
  };
}
