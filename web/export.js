// export.js: the export buttons of the Colours and export card: the
// heatmap and the overlay as PNG, and the explanation on screen
// (state.last) with its settings, relevance and diagnostics as JSON. A PNG
// can carry its context under the image (the colorbar with its range and a
// caption: model, class, method, start relevance, parameters, per-layer
// rules), and always carries the settings as PNG text chunks (png.js). File
// names tell the method, the start relevance and whether parameters or
// per-layer rules were set.
import { title } from './catalogue.js';
import { $, download, el, fmt } from './dom.js';
import { withText } from './png.js';
import { className, describe } from './view.js';

const ids = ['export-heatmap', 'export-overlay', 'export-json'];

// The figure's look: on white whatever the page's theme, for a paper or a slide.
const look = { pad: 16, bar: 16, font: 14, line: 20, ink: '#111111', muted: '#4a4f57', paper: '#ffffff' };

// createExport binds the buttons and returns enable(on), which follows
// whether an explanation is on screen.
export function createExport(state) {
  const overrides = (o) => Object.keys(o.rules ?? {}).length;
  const hasParams = (o) => Object.keys(o.params ?? {}).length > 0;

  function exportName(ext) {
    const o = state.last.options;
    const parts = [state.model.name.replace(/\.[^.]+$/, ''), o.composite, o.start];
    if (hasParams(o)) parts.push('params');
    if (overrides(o)) parts.push('rules');
    return `lrp-${parts.join('-')}-class${state.last.target}.${ext}`;
  }

  // caption returns the lines that say what the export shows.
  function caption() {
    const r = state.last;
    const o = r.options;
    const model = state.model;
    const start = $('start').querySelector(`option[value="${o.start}"]`)?.textContent.split(':')[0] ?? o.start;
    const params = Object.entries(o.params ?? {}).map(([k, v]) => `${k} = ${v}`).join(', ');
    const n = overrides(o);
    return [
      `Model: ${model.name}`,
      `Class: ${className(model, r.target)}${r.target === r.predicted ? ' (predicted)' : ` (predicted: ${className(model, r.predicted)})`}`,
      `Method: ${title(o.composite, model.composites)}${params ? ` (${params})` : ''}`,
      `Start relevance: ${start}`,
      `Per-layer rules: ${n ? `yes, ${n} layer${n === 1 ? '' : 's'} overridden` : 'no'}`,
      `Colormap: ${o.colormap}, ${o.symmetric ? 'symmetric about 0' : 'from min to max'}, showing ${o.sign === 'all' ? 'all relevance' : `${o.sign} relevance only`}`,
    ];
  }

  // settings is what the PNG's text chunks hold: the caption, and the
  // settings as JSON (characters beyond Latin-1 escaped, so tEXt holds it).
  function settings(kind, lines) {
    const r = state.last;
    const json = JSON.stringify({
      app: 'lrp-explainer', engine: state.model.version, image: kind,
      model: state.model.name, target: r.target, predicted: r.predicted, range: r.range, settings: r.options,
    }).replace(/[\u0100-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    return [
      ['Title', describe(r, r.options, state.model)],
      ['Description', lines.join('\n')],
      ['Software', `LRP Explainer, engine ${state.model.version}`],
      ['Creation Time', new Date().toISOString()],
      ['lrp:settings', json],
    ];
  }

  // wrap splits text into lines no wider than width in ctx's font.
  function wrap(ctx, text, width) {
    const lines = [];
    let line = '';
    for (const word of text.split(' ')) {
      const next = line ? `${line} ${word}` : word;
      if (line && ctx.measureText(next).width > width) {
        lines.push(line);
        line = word;
      } else line = next;
    }
    return [...lines, line];
  }

  // figure draws image (already enlarged) with the colorbar, its range and
  // the caption under it, on white.
  function figure(image, lines) {
    const { pad, bar, font, line, ink, muted, paper } = look;
    const width = Math.max(image.width, 480) + 2 * pad;
    const probe = el('canvas').getContext('2d');
    probe.font = `${font}px system-ui, sans-serif`;
    const text = lines.flatMap((l) => wrap(probe, l, width - 2 * pad));
    const barTop = pad + image.height + 12;
    const height = barTop + bar + 2 * line + 8 + text.length * line + pad;
    const c = el('canvas', { width, height });
    const ctx = c.getContext('2d');
    ctx.fillStyle = paper;
    ctx.fillRect(0, 0, width, height);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(image, (width - image.width) / 2, pad);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage($('colorbar'), pad, barTop, width - 2 * pad, bar);
    ctx.strokeStyle = muted;
    ctx.strokeRect(pad + 0.5, barTop + 0.5, width - 2 * pad - 1, bar - 1);
    const [lo, hi] = state.last.range;
    ctx.font = `${font - 1}px ui-monospace, monospace`;
    ctx.fillStyle = ink;
    ctx.textBaseline = 'top';
    const ticks = barTop + bar + 4;
    ctx.textAlign = 'left';
    ctx.fillText(fmt(lo, 3), pad, ticks);
    ctx.textAlign = 'right';
    ctx.fillText(fmt(hi, 3), width - pad, ticks);
    if (lo < 0 && hi > 0) {
      ctx.textAlign = 'center';
      ctx.fillText('0', pad + ((width - 2 * pad) * -lo) / (hi - lo), ticks);
    }
    ctx.font = `${font - 1}px system-ui, sans-serif`;
    ctx.fillStyle = muted;
    ctx.textAlign = 'left';
    ctx.fillText('against the class', pad, ticks + line);
    ctx.textAlign = 'right';
    ctx.fillText('for the class', width - pad, ticks + line);
    ctx.font = `${font}px system-ui, sans-serif`;
    ctx.fillStyle = ink;
    ctx.textAlign = 'left';
    text.forEach((t, i) => ctx.fillText(t, pad, ticks + 2 * line + 8 + i * line));
    return c;
  }

  // exportPNG writes a canvas enlarged by a whole factor (nearest
  // neighbour, so every model pixel stays a sharp square), with the
  // context under it when the checkbox asks for it.
  async function exportPNG(canvas, kind) {
    const s = Math.max(1, Math.floor(560 / Math.max(canvas.width, canvas.height)));
    let out = el('canvas', { width: canvas.width * s, height: canvas.height * s });
    const ctx = out.getContext('2d');
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(canvas, 0, 0, out.width, out.height);
    const lines = caption();
    if ($('export-context').checked) out = figure(out, lines);
    const chunks = settings(kind, lines);
    const name = exportName(`${kind}.png`);
    const blob = await new Promise((resolve) => out.toBlob(resolve, 'image/png'));
    if (!blob) return;
    const png = withText(new Uint8Array(await blob.arrayBuffer()), chunks);
    download(new Blob([png], { type: 'image/png' }), name);
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
