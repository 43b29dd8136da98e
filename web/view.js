// view.js: what the page shows of one explanation, in the Explanation and
// Prediction cards: the heatmap, the heatmap over the input, the model
// input, the colorbar with its ticks, and the classes by probability (a
// click on one explains it instead). It draws what it is given; state.last
// is the result on screen. The caption names the method with the values
// it ran with, the start relevance and the per-layer overrides; when an
// explanation fails, the heatmap of earlier settings is dimmed and the
// error shows beside it. The heatmaps are images (role="img") whose text
// alternative says what they show: the class, the method and where the
// relevance is (describe).
import { label, title } from './catalogue.js';
import { $, el, fmt, putRGBA, setStyle, setText, showError } from './dom.js';

// className is the label of class i of model.
export const className = (model, i) => model.info.labels?.[i] ?? String(i);

const rowNames = ['upper', 'middle', 'lower'];
const colNames = ['left', 'centre', 'right'];
const regionNames = { 'middle centre': 'in the centre', 'upper centre': 'at the top', 'lower centre': 'at the bottom', 'middle left': 'on the left', 'middle right': 'on the right' };

// where finds the ninth of the image (a 3×3 grid of its rows and columns)
// that holds the largest part of the relevance of one sign (sign +1 or −1),
// summed over the channels of relevance (c×h×w). It returns the region's
// words ("in the upper right", "at the top") and its share of that
// relevance, or null where there is none of that sign.
export function where(relevance, w, h, sign) {
  const cells = new Float64Array(9);
  const plane = w * h;
  let total = 0;
  for (let i = 0; i < relevance.length; i++) {
    const v = sign * relevance[i];
    if (!(v > 0)) continue;
    const p = i % plane;
    cells[3 * Math.min(2, Math.floor((3 * Math.floor(p / w)) / h)) + Math.min(2, Math.floor((3 * (p % w)) / w))] += v;
    total += v;
  }
  if (!(total > 0)) return null;
  let best = 0;
  for (let k = 1; k < 9; k++) if (cells[k] > cells[best]) best = k;
  const key = `${rowNames[Math.floor(best / 3)]} ${colNames[best % 3]}`;
  return { region: regionNames[key] ?? `in the ${key}`, share: cells[best] / total };
}

// describe is the text alternative of the heatmap of result r, made with
// options, under model: "Relevance for 7 by EpsilonGammaBox: for the
// class mostly at the top (41 % of it), against it mostly in the centre
// (35 %)".
export function describe(r, options, model) {
  const pct = (x) => `${Math.round(100 * x)} %`;
  const target = className(model, r.target);
  const pos = where(r.relevance, r.width, r.height, 1);
  const neg = where(r.relevance, r.width, r.height, -1);
  const parts = [pos ? `for the class mostly ${pos.region} (${pct(pos.share)} of it)` : 'nothing for the class'];
  if (neg) parts.push(`against it mostly ${neg.region} (${pct(neg.share)})`);
  return `Relevance for ${target}${r.target === r.predicted ? '' : ` (predicted ${className(model, r.predicted)})`} by ${title(options.composite, model.composites)}: ${parts.join(', ')}`;
}

const setLabel = (e, v) => e.getAttribute('aria-label') !== v && e.setAttribute('aria-label', v);

// starts names the start relevances (the explain option `start`).
const starts = { onehot: 'one-hot', logit: 'logit', probability: 'probability', logodds: 'log-odds', contrastive: 'contrastive' };

// methodCaption names the method of options as it ran: its title with the
// parameter values that differ from its defaults ("LRP-α1.5β0.5",
// "EpsilonGammaBox (ε = 0.5)"), the start relevance, and the layers whose
// rule was overridden, if any.
export function methodCaption(options, composites) {
  const n = Object.keys(options.rules ?? {}).length;
  const rules = n ? ` · per-layer rules on ${n} layer${n === 1 ? '' : 's'}` : '';
  return `${label(options.composite, composites, options.params)} · ${starts[options.start] ?? options.start} start${rules}`;
}

// Scratch canvases of drawOverlay.
const picture = document.createElement('canvas');
const blend = document.createElement('canvas');

// drawOverlay draws on canvas the input of r, a result ({heatmap, picture,
// mask, width, height}), and over it the heatmap, each pixel as opaque as
// its relevance is strong (the mask) times alpha, so the input shows
// through where nothing is relevant.
export function drawOverlay(canvas, r, alpha) {
  const { width: w, height: h } = r;
  for (const c of [canvas, blend]) {
    if (c.width !== w || c.height !== h) {
      c.width = w;
      c.height = h;
    }
  }
  putRGBA(picture, r.picture, w, h);
  const bctx = blend.getContext('2d');
  const img = bctx.createImageData(w, h);
  const d = img.data;
  d.set(r.heatmap);
  for (let i = 0; i < w * h; i++) d[4 * i + 3] = alpha * (r.mask?.[i] ?? 255);
  bctx.putImageData(img, 0, 0);
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, w, h);
  ctx.drawImage(picture, 0, 0, w, h);
  ctx.drawImage(blend, 0, 0);
}

// createView returns the view. colorbar(cmap) resolves to the 256 RGBA
// samples of a colormap, chooseTarget(i) asks to explain class i, and
// error(msg) shows a failure.
export function createView(state, { colorbar, chooseTarget, error }) {
  const heatCanvas = $('heatmap');
  const overlayCanvas = $('overlay');
  const inputCanvas = $('model-input');
  const colorbars = new Map(); // colormap name → its samples

  function paint(r) {
    fail('');
    putRGBA(heatCanvas, r.heatmap, r.width, r.height);
    putRGBA(inputCanvas, r.picture, r.width, r.height);
    paintOverlay();
    const text = describe(r, state.last.options, state.model);
    setLabel(heatCanvas, text);
    setLabel(overlayCanvas, `${text}; drawn over the input`);
    const [lo, hi] = r.range;
    setText($('cb-lo'), fmt(lo, 3));
    setText($('cb-hi'), fmt(hi, 3));
    const zero = $('cb-zero');
    zero.hidden = !(lo < 0 && hi > 0);
    setStyle(zero, 'left', `${(100 * -lo) / (hi - lo)}%`);
  }

  // paintOverlay draws the result on screen over its input (drawOverlay)
  // with the opacity of the slider (state.alpha).
  function paintOverlay() {
    if (state.last) drawOverlay(overlayCanvas, state.last, state.alpha);
  }

  // fail marks the heatmap on screen as not of the current settings
  // (msg says why), or as current again (msg empty).
  function fail(msg) {
    $('views').classList.toggle('stale', !!msg);
    showError('view-error', msg ? `${msg} ${state.last ? 'The heatmap shown (dimmed) is of the settings before.' : ''}`.trim() : '');
  }

  function clear() {
    fail('');
    for (const c of [heatCanvas, overlayCanvas, inputCanvas]) c.getContext('2d').clearRect(0, 0, c.width, c.height);
    setLabel(heatCanvas, 'Relevance heatmap: nothing explained yet');
    setLabel(overlayCanvas, 'Relevance heatmap over the input: nothing explained yet');
    $('top').replaceChildren();
    $('top-empty').hidden = false;
    $('explaining').textContent = '';
    $('cb-lo').textContent = '−';
    $('cb-hi').textContent = '+';
  }

  // loadColorbar draws the colorbar of state.colormap, asking for its
  // samples once per colormap and model.
  async function loadColorbar() {
    const cmap = state.colormap;
    let bar = colorbars.get(cmap);
    if (!bar) {
      try {
        bar = await colorbar(cmap);
      } catch (err) {
        error(err.message);
        return;
      }
      colorbars.set(cmap, bar);
    }
    if (cmap === state.colormap) putRGBA($('colorbar'), bar, 256, 1);
  }

  // showPrediction lists the classes of r by probability (all of up to 10,
  // else the top 5), marking the predicted and the explained one.
  function showPrediction(r) {
    const list = $('top');
    const k = r.top.length <= 10 ? r.top.length : 5;
    const name = (i) => className(state.model, i);
    $('top-empty').hidden = true;
    while (list.children.length > k) list.lastChild.remove();
    while (list.children.length < k) {
      // The button's name is its text: the class, its probability, and
      // for screen readers whether it is the predicted or explained one.
      const b = el('button', { type: 'button' },
        el('span', { className: 'label' }),
        el('span', { className: 'track' }, el('span', { className: 'fill' })),
        el('span', { className: 'pct' }),
        el('span', { className: 'visually-hidden' }));
      b.addEventListener('click', () => chooseTarget(Number(b.dataset.index)));
      list.append(el('li', {}, b));
    }
    r.top.slice(0, k).forEach((t, i) => {
      const b = list.children[i].firstChild;
      const pct = `${(100 * t.probability).toFixed(1)}%`;
      if (b.dataset.index !== String(t.index)) b.dataset.index = t.index;
      setText(b.children[0], name(t.index));
      setStyle(b.children[1].firstChild, 'width', `${Math.max(0, Math.min(100, 100 * t.probability)).toFixed(1)}%`);
      setText(b.children[2], pct);
      b.classList.toggle('predicted', t.index === r.predicted);
      b.classList.toggle('target', t.index === r.target);
      setText(b.children[3], `${t.index === r.predicted ? ', predicted' : ''}${t.index === r.target ? ', explained' : ''}`);
      const pressed = String(t.index === r.target);
      if (b.getAttribute('aria-pressed') !== pressed) b.setAttribute('aria-pressed', pressed);
    });
    const why = r.target === r.predicted ? `class ${name(r.target)} (predicted)` : `why ${name(r.target)}? (predicted ${name(r.predicted)})`;
    setText($('explaining'), `Explaining ${why} with ${methodCaption(state.last.options, state.model.composites)}`);
    $('target-reset').hidden = state.target < 0;
  }

  return { paint, paintOverlay, clear, fail, loadColorbar, forgetColorbars: () => colorbars.clear(), showPrediction };
}
