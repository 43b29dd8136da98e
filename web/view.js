// view.js: what the page shows of one explanation, in the Explanation and
// Prediction cards: the heatmap, the heatmap over the input, the model
// input, the colorbar with its ticks, and the classes by probability (a
// click on one explains it instead). It draws what it is given; state.last
// is the result on screen.
import { title } from './catalogue.js';
import { $, el, fmt, putRGBA, setStyle, setText } from './dom.js';

// className is the label of class i of model.
export const className = (model, i) => model.info.labels?.[i] ?? String(i);

// createView returns the view. colorbar(cmap) resolves to the 256 RGBA
// samples of a colormap, chooseTarget(i) asks to explain class i, and
// error(msg) shows a failure.
export function createView(state, { colorbar, chooseTarget, error }) {
  const heatCanvas = $('heatmap');
  const overlayCanvas = $('overlay');
  const inputCanvas = $('model-input');
  const blend = el('canvas');
  const colorbars = new Map(); // colormap name → its samples

  function paint(r) {
    putRGBA(heatCanvas, r.heatmap, r.width, r.height);
    putRGBA(inputCanvas, r.picture, r.width, r.height);
    paintOverlay();
    const [lo, hi] = r.range;
    setText($('cb-lo'), fmt(lo, 3));
    setText($('cb-hi'), fmt(hi, 3));
    const zero = $('cb-zero');
    zero.hidden = !(lo < 0 && hi > 0);
    setStyle(zero, 'left', `${(100 * -lo) / (hi - lo)}%`);
  }

  // paintOverlay draws the input and over it the heatmap, each pixel as
  // opaque as its relevance is strong (the result's mask) times the
  // opacity slider (state.alpha), so the input shows through where nothing
  // is relevant.
  function paintOverlay() {
    const r = state.last;
    if (!r) return;
    const { width: w, height: h } = r;
    for (const c of [overlayCanvas, blend]) {
      if (c.width !== w || c.height !== h) {
        c.width = w;
        c.height = h;
      }
    }
    const bctx = blend.getContext('2d');
    const img = bctx.createImageData(w, h);
    const d = img.data;
    d.set(r.heatmap);
    const a = state.alpha;
    for (let i = 0; i < w * h; i++) d[4 * i + 3] = a * (r.mask?.[i] ?? 255);
    bctx.putImageData(img, 0, 0);
    const ctx = overlayCanvas.getContext('2d');
    ctx.drawImage(inputCanvas, 0, 0, w, h);
    ctx.drawImage(blend, 0, 0);
  }

  function clear() {
    for (const c of [heatCanvas, overlayCanvas, inputCanvas]) c.getContext('2d').clearRect(0, 0, c.width, c.height);
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
      const b = el('button', { type: 'button' },
        el('span', { className: 'label' }),
        el('span', { className: 'track' }, el('span', { className: 'fill' })),
        el('span', { className: 'pct' }));
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
      const aria = `${name(t.index)}: ${pct}${t.index === r.predicted ? ', predicted' : ''}${t.index === r.target ? ', explained' : ''}`;
      if (b.getAttribute('aria-label') !== aria) {
        b.setAttribute('aria-label', aria);
        b.setAttribute('aria-pressed', String(t.index === r.target));
      }
    });
    const why = r.target === r.predicted ? `class ${name(r.target)} (predicted)` : `why ${name(r.target)}? (predicted ${name(r.predicted)})`;
    setText($('explaining'), `Explaining ${why} with ${title(state.last.options.composite, state.model.composites)}`);
    $('target-reset').hidden = state.target < 0;
  }

  return { paint, paintOverlay, clear, loadColorbar, forgetColorbars: () => colorbars.clear(), showPrediction };
}
