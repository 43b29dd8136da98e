// app.js is the page: it reads input, draws results and keeps the controls
// in step. It computes nothing: the live explanation runs in one Worker
// (worker.js, through a WorkerClient with latest-request-wins), split with a
// partner Worker (a WorkerPair) when the model is large, the compare grid
// and other batch work in a WorkerPool (pool.js).
//
// window.__lrpStats is the page's instrumentation for the browser tests and
// for anyone curious: counters, the last result, and one record per live
// heatmap drawn while drawing — {move, event, sent, received, drawn, frame},
// all performance.now() — where `move` is when the page handled the oldest
// pointer move the heatmap is the first to include and `event` that move's
// event timestamp (when the browser received the input). `split` tells
// whether live explanations of the model are split over two Workers, and
// `last.workers` how many computed the last one.
import { WorkerClient, WorkerPair, WorkerPool } from './pool.js';

const builtinModel = { url: new URL('models/mnist.safetensors', import.meta.url).href, name: 'mnist.safetensors' };

// The compare grid: the talk's rules, the common baselines and the two
// trivial explainers that conserve relevance and explain nothing.
const compareMethods = [
  'lrp0', 'epsilon', 'gamma', 'epsilon_gamma_box', 'epsilon_plus_flat', 'alpha2beta1',
  'gradient', 'gradient_x_input', 'integrated_gradients', 'smoothgrad', 'single_pixel', 'uniform',
];

const methodLabels = {
  lrp0: 'LRP-0', epsilon: 'LRP-ε', gamma: 'LRP-γ', zplus: 'LRP-z⁺', alpha2beta1: 'LRP-α2β1',
  epsilon_gamma_box: 'EpsilonGammaBox', epsilon_plus: 'EpsilonPlus', epsilon_plus_flat: 'EpsilonPlusFlat',
  epsilon_alpha2beta1: 'EpsilonAlpha2Beta1', epsilon_alpha2beta1_flat: 'EpsilonAlpha2Beta1Flat',
  montavon: 'Montavon et al.', wsquare_first: 'w² first', gradient: 'Gradient', gradient_x_input: 'Gradient × input',
  smoothgrad: 'SmoothGrad', integrated_gradients: 'Integrated gradients', taylor: 'Taylor',
  single_pixel: 'Single pixel', uniform: 'Uniform',
};
const label = (m) => methodLabels[m] ?? m;

// Rules the per-layer editor offers for each layer kind (the engine checks
// them again), and the parameters each rule takes.
const affineRules = ['epsilon', 'lrp0', 'gamma', 'zplus', 'alphabeta', 'zbox', 'wsquare', 'flat', 'gradient'];
const kindRules = {
  dense: affineRules, conv2d: affineRules,
  relu: ['pass', 'gradient'], relu6: ['pass', 'gradient'], batchnorm2d: ['pass', 'gradient'], flatten: ['pass', 'gradient'],
  avgpool2d: ['norm', 'gradient'], global_avgpool2d: ['norm', 'gradient'], add: ['norm', 'gradient'],
};
const ruleParams = {
  epsilon: [['epsilon', 'ε', 1e-6]],
  gamma: [['gamma', 'γ', 0.25]],
  alphabeta: [['alpha', 'α', 2], ['beta', 'β', 1]],
  zbox: [['low', 'low', null], ['high', 'high', null]],
};

const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, ...kids) => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...kids);
  return e;
};
// setText and setStyle touch the DOM only on a change: results arrive at up
// to 60 per second while drawing, and every write costs a style recalc.
const setText = (e, v) => {
  if (e.textContent !== v) e.textContent = v;
};
const setStyle = (e, prop, v) => {
  if (e.style[prop] !== v) e.style[prop] = v;
};
const fmt = (v, digits = 4) => (Number.isFinite(v) ? (Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : Number(v.toPrecision(digits)).toString()) : String(v));
const ms = (v) => (Number.isFinite(v) ? `${v < 10 ? v.toFixed(2) : v.toFixed(0)} ms` : '–');
const mb = (n) => (n < 2 ** 20 ? `${Math.max(1, Math.round(n / 1024))} KB` : `${(n / 2 ** 20).toFixed(n < 10 * 2 ** 20 ? 1 : 0)} MB`);

const live = new WorkerClient('lrp-live');
const pair = new WorkerPair(live);
const pool = new WorkerPool();

const state = {
  model: null, // {name, size, info, composites, colormaps, version, builtin}
  composite: 'epsilon_gamma_box',
  start: 'onehot',
  target: -1, // −1 follows the prediction
  params: {},
  rules: {}, // node index → {rule, ...params}
  colormap: 'bwr',
  symmetric: true,
  sign: 'all',
  alpha: 0.85,
  inked: false, // the pad holds something to explain
  source: 'draw', // 'draw' | 'image' | 'webcam'
  last: null, // the result on screen, with the options that made it
  pendingMove: null, // performance.now() of the oldest pointer move not yet sent
  pendingEvent: null, // and its event timestamp
  drawing: null, // the pointer drawing a stroke
};

const stats = (window.__lrpStats = {
  ready: false,
  explains: 0,
  errors: 0,
  live: [],
  cspViolations: [],
  compareRuns: 0,
  poolSize: pool.size,
  // split.state: 'off' (a small model, or one core), 'loading' (the
  // partner is opening the model), 'ready', or 'failed' (with `error`).
  split: { state: 'off' },
  last: null,
  // idle: no live explanation or re-render is running or waiting.
  idle: () => !live.busy('live') && !live.busy('render') && state.pendingMove == null,
});
document.addEventListener('securitypolicyviolation', (e) => stats.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));

// ---------------------------------------------------------------- pad

const pad = $('pad');
const padCtx = pad.getContext('2d', { willReadFrequently: true });
const undoStack = [];
let paper = '#fff';
let ink = '#111';

function resetPad(width, height) {
  const css = getComputedStyle(document.documentElement);
  paper = css.getPropertyValue('--paper').trim() || '#fff';
  ink = css.getPropertyValue('--ink').trim() || '#111';
  if (width && (pad.width !== width || pad.height !== height)) {
    pad.width = width;
    pad.height = height;
    pad.style.aspectRatio = `${width} / ${height}`;
    undoStack.length = 0;
    $('undo').disabled = true;
  }
  padCtx.fillStyle = paper;
  padCtx.fillRect(0, 0, pad.width, pad.height);
  setInked(false);
}

function setInked(v) {
  state.inked = v;
  $('pad-empty').hidden = v || state.source === 'webcam';
  if (!v) clearOutputs();
}

function pushUndo() {
  undoStack.push({ image: padCtx.getImageData(0, 0, pad.width, pad.height), inked: state.inked });
  if (undoStack.length > 30) undoStack.shift();
  $('undo').disabled = false;
}

function undo() {
  const u = undoStack.pop();
  $('undo').disabled = undoStack.length === 0;
  if (!u) return;
  padCtx.putImageData(u.image, 0, 0);
  setInked(u.inked);
  if (u.inked) requestExplain(null);
}

// padPoint maps a pointer event to pad pixels. The pad's box is measured
// once per stroke: measuring on every move would force a layout each time.
function padPoint(e, r) {
  return [((e.clientX - r.left) / r.width) * pad.width, ((e.clientY - r.top) / r.height) * pad.height];
}

function bindPad() {
  pad.addEventListener('pointerdown', (e) => {
    if (state.drawing || state.source === 'webcam' || !state.model) return;
    if (e.pointerType === 'mouse' && e.button !== 0) return;
    e.preventDefault();
    pad.setPointerCapture(e.pointerId);
    pushUndo();
    if (state.source !== 'draw') state.source = 'draw';
    const rect = pad.getBoundingClientRect();
    const [x, y] = padPoint(e, rect);
    state.drawing = { id: e.pointerId, x, y, rect };
    padCtx.lineCap = 'round';
    padCtx.lineJoin = 'round';
    padCtx.strokeStyle = ink;
    padCtx.fillStyle = ink;
    padCtx.lineWidth = Number($('brush').value) * (pad.width / 280);
    padCtx.beginPath();
    padCtx.arc(x, y, padCtx.lineWidth / 2, 0, 2 * Math.PI);
    padCtx.fill();
    if (!state.inked) setInked(true);
    requestExplain(performance.now(), e.timeStamp);
  });
  pad.addEventListener('pointermove', (e) => {
    const d = state.drawing;
    if (!d || e.pointerId !== d.id) return;
    const t = performance.now();
    padCtx.beginPath();
    padCtx.moveTo(d.x, d.y);
    for (const ev of e.getCoalescedEvents?.() ?? [e]) {
      [d.x, d.y] = padPoint(ev, d.rect);
      padCtx.lineTo(d.x, d.y);
    }
    padCtx.stroke();
    requestExplain(t, e.timeStamp);
  });
  const end = (e) => {
    if (!state.drawing || e.pointerId !== state.drawing.id) return;
    state.drawing = null;
    requestExplain(null);
    compare.schedule();
  };
  pad.addEventListener('pointerup', end);
  pad.addEventListener('pointercancel', end);
  $('undo').addEventListener('click', undo);
  $('clear').addEventListener('click', () => {
    stopWebcam();
    pushUndo();
    resetPad();
  });
}

// drawSource draws an image, bitmap or video frame onto the pad: the whole
// of it for digits ("contain"), a centre crop filling the pad for image
// models ("cover", as the usual resize-and-crop).
function drawSource(src, w, h) {
  const contain = state.model?.info.digit;
  const s = contain ? Math.min(pad.width / w, pad.height / h) : Math.max(pad.width / w, pad.height / h);
  padCtx.fillStyle = paper;
  padCtx.fillRect(0, 0, pad.width, pad.height);
  padCtx.imageSmoothingQuality = 'high';
  padCtx.drawImage(src, (pad.width - w * s) / 2, (pad.height - h * s) / 2, w * s, h * s);
}

async function openImage(file) {
  let bmp;
  try {
    bmp = await createImageBitmap(file);
  } catch {
    showError('input-error', `${file.name}: this browser cannot read it as an image.`);
    return;
  }
  showError('input-error', '');
  stopWebcam();
  pushUndo();
  drawSource(bmp, bmp.width, bmp.height);
  bmp.close();
  state.source = 'image';
  setInked(true);
  requestExplain(null);
  compare.schedule();
}

// ---------------------------------------------------------------- webcam

const video = $('camera');
let stream = null;
let frameLoop = 0;

async function startWebcam() {
  if (!navigator.mediaDevices?.getUserMedia) {
    showError('input-error', 'This browser offers no camera access here.');
    return;
  }
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
  } catch (err) {
    showError('input-error', `The camera could not start: ${err.message || err.name}.`);
    return;
  }
  showError('input-error', '');
  pushUndo();
  state.source = 'webcam';
  $('pad-empty').hidden = true;
  video.srcObject = stream;
  await video.play().catch(() => {});
  setWebcamButton(true);
  // Each frame is drawn over the previous one on the pad and explained when
  // the worker is free; nothing is recorded or kept.
  const frame = () => {
    if (!stream) return;
    if (video.readyState >= 2 && !live.busy('live')) {
      drawSource(video, video.videoWidth, video.videoHeight);
      if (!state.inked) setInked(true);
      requestExplain(null);
    }
    frameLoop = requestAnimationFrame(frame);
  };
  frameLoop = requestAnimationFrame(frame);
}

function stopWebcam() {
  if (!stream) return;
  cancelAnimationFrame(frameLoop);
  for (const t of stream.getTracks()) t.stop();
  stream = null;
  video.srcObject = null;
  state.source = 'image';
  setWebcamButton(false);
  compare.schedule();
}

function setWebcamButton(on) {
  const b = $('webcam');
  b.setAttribute('aria-pressed', String(on));
  b.textContent = on ? 'Stop webcam' : 'Start webcam';
}

// ---------------------------------------------------------------- explain

function explainOptions() {
  const kind = state.model.composites.find((c) => c.name === state.composite)?.kind;
  const o = {
    composite: state.composite,
    start: state.start,
    target: state.target,
    colormap: state.colormap,
    symmetric: state.symmetric,
    sign: state.sign,
  };
  if (kind !== 'baseline') {
    o.params = { ...state.params };
    o.rules = structuredClone(state.rules);
  }
  return o;
}

// requestExplain asks for an explanation of the pad. `move` is the time of
// the pointer move that asked (null for other reasons); the pad is read
// only when the request is actually sent, so a burst of moves costs one
// explanation per worker round trip.
function requestExplain(move, eventTime) {
  if (!state.model || !state.inked) return;
  if (move != null && state.pendingMove == null) {
    state.pendingMove = move;
    state.pendingEvent = eventTime;
  }
  live
    .latest('live', explainOnce, () => {
      const m = state.pendingMove;
      const ev = state.pendingEvent;
      state.pendingMove = null;
      const img = padCtx.getImageData(0, 0, pad.width, pad.height);
      const options = explainOptions();
      return {
        args: { input: { rgba: img.data, width: img.width, height: img.height, mode: state.model.info.digit ? 'digit' : 'image' }, options },
        transfer: [img.data.buffer],
        meta: { move: m, event: ev, options, model: state.model },
      };
    })
    .then((r) => r && showResult(r), (err) => {
      if (err.name === 'Superseded') return; // split for a model replaced since
      if (err.name === 'PartnerLost') {
        setSplit('failed', err.message);
        requestExplain(null); // again, on the live Worker alone
        return;
      }
      stats.errors++;
      showError('explain-error', err.message);
    });
}

// explainOnce sends one live explanation: split over the pair when its
// partner holds the model, otherwise on the live Worker alone.
function explainOnce(args, transfer) {
  return pair.ready ? pair.explain(args, transfer) : live.call('explain', args, { transfer });
}

// splitWorth reports whether explanations of a model pay for a second
// Worker with a second copy of the model: there must be a second core,
// memory to spare (navigator.deviceMemory, where the browser tells it, at
// least 4 GB: a ResNet-18's copy takes about 430 MB), and products that the
// engine splits (info.splitProducts: those of at least 2²² multiply-adds;
// smaller ones run whole on both Workers, and MNIST-size models have none).
function splitWorth(info) {
  return (navigator.hardwareConcurrency ?? 1) >= 2 && (navigator.deviceMemory ?? 4) >= 4 && info.splitProducts > 0;
}

// followSplit gives the live Worker a partner for a model worth splitting,
// or stops the partner. The partner opens the model in the background:
// explanations run on the live Worker alone until it has.
function followSplit(model) {
  if (!splitWorth(model.info)) {
    pair.close();
    setSplit('off');
    return;
  }
  setSplit('loading');
  const t0 = performance.now();
  pair.follow(model.source).then(
    (ok) => ok && setSplit('ready', '', performance.now() - t0),
    (err) => state.model === model && setSplit('failed', err.message),
  );
}

function setSplit(s, error = '', loadMs) {
  stats.split = { state: s, ...(error && { error }), ...(loadMs != null && { loadMs }) };
  const note = $('split-status');
  setText(note, s === 'ready' ? 'Large model: each explanation runs on 2 Workers, each computing half of every large product.' : '');
  note.hidden = s !== 'ready';
}

let panelsAt = 0;

// nanMessage says what NaN or ±Inf in a result means: the model's output
// overflowed (the prediction means nothing), or a rule divided by zero.
function nanMessage(r) {
  if (Array.prototype.some.call(r.logits ?? [], (v) => !Number.isFinite(v))) {
    return 'The model’s output is NaN or infinite for this input (a value overflowed float32): the prediction and the heatmap mean nothing.';
  }
  const layers = (r.diagnostics?.layers ?? []).filter((l) => l.nan).map((l) => l.name || `#${l.node}`);
  return `NaN relevance${layers.length ? ` at ${layers.join(', ')}` : ''}: a rule divided by (almost) zero. Try a larger ε or stabilizer.`;
}

function showResult({ result: r, meta, sentAt }) {
  if (meta.model !== state.model) return; // made by a model that was replaced since
  const received = performance.now();
  showError('explain-error', r.diagnostics?.nan ? nanMessage(r) : '');
  state.last = { ...r, options: meta.options };
  paintResult(r);
  showPrediction(r);
  // While a stroke or the webcam streams results, the panels below the
  // heatmap refresh a few times a second; the last result always updates them.
  if (!(state.drawing || stream) || received - panelsAt > 200) {
    panelsAt = received;
    for (const p of panels) p.onResult?.(r, meta.options, received - sentAt);
  }
  const drawn = performance.now();
  if (meta.move != null) {
    const rec = { move: meta.move, event: meta.event, sent: sentAt, received, drawn, engine: r.timings?.total, worker: r.timings?.worker, queued: r.timings?.queued };
    if (stats.live.length < 10000) stats.live.push(rec);
    requestAnimationFrame(() => (rec.frame = performance.now()));
  }
  stats.explains++;
  stats.last = {
    model: state.model.name, composite: meta.options.composite, start: meta.options.start, source: state.source,
    options: meta.options, workers: r.workers, timings: r.timings,
    predicted: r.predicted, target: r.target, top: r.top.slice(0, 3), range: r.range,
    relevance: r.relevance, input: r.input, heatmap: r.heatmap, width: r.width, height: r.height,
  };
  for (const id of ['export-heatmap', 'export-overlay', 'export-json']) $(id).disabled = false;
  if (renderKey(meta.options) !== renderKey(explainOptions())) rerender();
  if (!state.drawing && state.source !== 'webcam') compare.schedule();
}

const renderKey = (o) => `${o.colormap}|${o.symmetric}|${o.sign}`;

// rerender recolours the relevance on screen after a rendering setting
// changed, without explaining again.
function rerender() {
  loadColorbar();
  compare.schedule(0);
  const last = state.last;
  if (!last) return;
  live
    .latest('render', 'render', () => {
      const relevance = last.relevance.slice();
      return {
        args: { relevance, options: { colormap: state.colormap, symmetric: state.symmetric, sign: state.sign } },
        transfer: [relevance.buffer],
        meta: null,
      };
    })
    .then((res) => {
      if (!res || state.last !== last) return;
      Object.assign(last, res.result, { options: { ...last.options, colormap: state.colormap, symmetric: state.symmetric, sign: state.sign } });
      stats.last && Object.assign(stats.last, { heatmap: last.heatmap, range: last.range });
      paintResult(last);
    }, (err) => showError('explain-error', err.message));
}

// ---------------------------------------------------------------- drawing results

const heatCanvas = $('heatmap');
const overlayCanvas = $('overlay');
const inputCanvas = $('model-input');

function putRGBA(canvas, rgba, w, h) {
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  const data = rgba instanceof Uint8ClampedArray ? rgba : new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  canvas.getContext('2d').putImageData(new ImageData(data, w, h), 0, 0);
}

function paintResult(r) {
  putRGBA(heatCanvas, r.heatmap, r.width, r.height);
  putRGBA(inputCanvas, r.image.rgba, r.image.width, r.image.height);
  paintOverlay();
  const [lo, hi] = r.range;
  setText($('cb-lo'), fmt(lo, 3));
  setText($('cb-hi'), fmt(hi, 3));
  const zero = $('cb-zero');
  zero.hidden = !(lo < 0 && hi > 0);
  setStyle(zero, 'left', `${(100 * -lo) / (hi - lo)}%`);
}

// paintOverlay draws the input and over it the heatmap, each pixel as
// opaque as its relevance is strong (the worker's mask) times the opacity
// slider, so the input shows through where nothing is relevant.
const blend = el('canvas');
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

function clearOutputs() {
  state.last = null;
  for (const c of [heatCanvas, overlayCanvas, inputCanvas]) c.getContext('2d').clearRect(0, 0, c.width, c.height);
  $('top').replaceChildren();
  $('top-empty').hidden = false;
  $('explaining').textContent = '';
  $('cb-lo').textContent = '−';
  $('cb-hi').textContent = '+';
  for (const id of ['export-heatmap', 'export-overlay', 'export-json']) $(id).disabled = true;
  for (const p of panels) p.onClear?.();
}

const colorbars = new Map();
async function loadColorbar() {
  const cmap = state.colormap;
  let bar = colorbars.get(cmap);
  if (!bar) {
    try {
      bar = (await live.call('colorbar', { colormap: cmap })).rgba;
    } catch (err) {
      showError('explain-error', err.message);
      return;
    }
    colorbars.set(cmap, bar);
  }
  if (cmap === state.colormap) putRGBA($('colorbar'), bar, 256, 1);
}

// ---------------------------------------------------------------- prediction

function className(i) {
  return state.model.info.labels?.[i] ?? String(i);
}

function showPrediction(r) {
  const list = $('top');
  const k = r.top.length <= 10 ? r.top.length : 5;
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
    const name = className(t.index);
    const pct = `${(100 * t.probability).toFixed(1)}%`;
    if (b.dataset.index !== String(t.index)) b.dataset.index = t.index;
    setText(b.children[0], name);
    setStyle(b.children[1].firstChild, 'width', `${Math.max(0, Math.min(100, 100 * t.probability)).toFixed(1)}%`);
    setText(b.children[2], pct);
    b.classList.toggle('predicted', t.index === r.predicted);
    b.classList.toggle('target', t.index === r.target);
    const aria = `${name}: ${pct}${t.index === r.predicted ? ', predicted' : ''}${t.index === r.target ? ', explained' : ''}`;
    if (b.getAttribute('aria-label') !== aria) {
      b.setAttribute('aria-label', aria);
      b.setAttribute('aria-pressed', String(t.index === r.target));
    }
  });
  const why = r.target === r.predicted ? `class ${className(r.target)} (predicted)` : `why ${className(r.target)}? (predicted ${className(r.predicted)})`;
  setText($('explaining'), `Explaining ${why} with ${label(state.last.options.composite)}`);
  $('target-reset').hidden = state.target < 0;
}

function chooseTarget(i) {
  state.target = state.target === i ? -1 : i;
  requestExplain(null);
}

// ---------------------------------------------------------------- method controls

function fillComposites() {
  const sel = $('composite');
  const groups = { lrp: el('optgroup', { label: 'LRP composites' }), baseline: el('optgroup', { label: 'Baselines and controls' }) };
  for (const c of state.model.composites) {
    (groups[c.kind] ?? groups.baseline).append(el('option', { value: c.name, textContent: label(c.name), title: c.description }));
  }
  sel.replaceChildren(...Object.values(groups).filter((g) => g.children.length));
  if (!state.model.composites.some((c) => c.name === state.composite)) state.composite = state.model.composites[0]?.name;
  sel.value = state.composite;
  describeComposite();
}

function describeComposite() {
  const c = state.model.composites.find((x) => x.name === state.composite);
  $('composite-doc').textContent = c?.description ?? '';
  const lrp = c?.kind !== 'baseline';
  $('params').disabled = !lrp;
  $('rules-details').classList.toggle('disabled', !lrp);
  for (const s of $('rules').querySelectorAll('select, input')) s.disabled = !lrp || (s.tagName === 'SELECT' && s.options.length < 2);
}

function readParams() {
  state.params = {};
  for (const input of $('params').querySelectorAll('input[data-param]')) {
    if (input.value.trim() !== '' && Number.isFinite(input.valueAsNumber)) state.params[input.dataset.param] = input.valueAsNumber;
  }
}

// The per-layer rule editor: one row per layer with its kind and output
// shape; "composite" keeps the composite's rule (shown in brackets).
function buildRuleEditor() {
  const body = $('rules').tBodies[0];
  body.replaceChildren();
  const layers = state.model.info.layers ?? [];
  $('rules-count').textContent = `(${layers.length} layers)`;
  for (const layer of layers) {
    const choices = kindRules[layer.kind] ?? [];
    const sel = el('select');
    sel.setAttribute('aria-label', `Rule for layer ${layer.index} (${layer.name})`);
    sel.dataset.node = layer.index;
    sel.append(el('option', { value: '', textContent: 'composite' }));
    for (const r of choices) sel.append(el('option', { value: r, textContent: r }));
    sel.disabled = choices.length === 0;
    const params = el('td', { className: 'params-cell' });
    sel.addEventListener('change', () => {
      params.replaceChildren();
      if (sel.value === '') {
        delete state.rules[layer.index];
      } else {
        state.rules[layer.index] = { rule: sel.value };
        for (const [key, sym, def] of ruleParams[sel.value] ?? []) {
          // No default (zᴮ bounds): the engine takes them from the model's pixel range.
          const input = el('input', { type: 'number', step: 'any', value: def == null ? '' : String(def), placeholder: 'model' });
          input.setAttribute('aria-label', `${sym} for layer ${layer.index}`);
          if (def != null) state.rules[layer.index][key] = def;
          input.addEventListener('change', () => {
            if (Number.isFinite(input.valueAsNumber)) state.rules[layer.index][key] = input.valueAsNumber;
            else delete state.rules[layer.index][key];
            requestExplain(null);
          });
          params.append(el('label', { className: 'param-in' }, sym, input));
        }
      }
      requestExplain(null);
    });
    body.append(el('tr', {},
      el('td', { className: 'num', textContent: layer.index }),
      el('td', { textContent: layer.name }),
      el('td', {}, el('span', { className: 'kind', textContent: layer.kind })),
      el('td', { textContent: (layer.outShape ?? []).join('×') }),
      el('td', {}, sel),
      params));
  }
}

// showCompositeRules labels each "composite" option with the rule the
// composite gave that layer in the last explanation.
function showCompositeRules(diag) {
  const byNode = new Map((diag?.layers ?? []).map((l) => [l.node, l.rule]));
  for (const sel of $('rules').querySelectorAll('select[data-node]')) {
    const rule = byNode.get(Number(sel.dataset.node));
    const text = rule && sel.value === '' ? `composite (${rule})` : 'composite';
    if (sel.options[0].textContent !== text) sel.options[0].textContent = text;
  }
}

function bindMethod() {
  $('composite').addEventListener('change', (e) => {
    state.composite = e.target.value;
    describeComposite();
    requestExplain(null);
  });
  $('start').addEventListener('change', (e) => {
    state.start = e.target.value;
    requestExplain(null);
    compare.schedule(0);
  });
  $('params').addEventListener('change', () => {
    readParams();
    requestExplain(null);
  });
  $('rules-reset').addEventListener('click', () => {
    state.rules = {};
    buildRuleEditor();
    describeComposite();
    requestExplain(null);
  });
  $('target-reset').addEventListener('click', () => chooseTarget(-1));
}

// ---------------------------------------------------------------- rendering controls

function bindRendering() {
  $('colormap').addEventListener('change', (e) => {
    state.colormap = e.target.value;
    rerender();
  });
  for (const r of document.querySelectorAll('input[name="sign"]')) {
    r.addEventListener('change', () => {
      state.sign = r.value;
      rerender();
    });
  }
  $('symmetric').addEventListener('change', (e) => {
    state.symmetric = e.target.checked;
    rerender();
  });
  $('alpha').addEventListener('input', (e) => {
    state.alpha = Number(e.target.value) / 100;
    $('alpha-out').value = `${e.target.value}%`;
    if (state.last) paintOverlay();
  });
}

// ---------------------------------------------------------------- model

async function openModel(source, { builtin = false } = {}) {
  const name = source.name;
  const progress = $('model-progress');
  const status = $('model-status');
  showError('model-error', '');
  status.textContent = `Loading ${name}…`;
  progress.removeAttribute('value');
  const shown = setTimeout(() => (progress.hidden = false), 150);
  pair.hold(); // no split while the two Workers may hold different models
  try {
    const m = await live.call('open', { source }, {
      onProgress: (p) => {
        stats.modelProgress = (stats.modelProgress ?? 0) + 1;
        progress.hidden = false;
        if (p.phase === 'read' && p.total) {
          progress.value = p.loaded / p.total;
          status.textContent = `Reading ${name}: ${mb(p.loaded)} of ${mb(p.total)}`;
        } else {
          progress.removeAttribute('value');
          status.textContent = `Checking ${name} (${mb(p.total)})…`;
        }
      },
    });
    state.model = { ...m, builtin, source };
    pool.setModel(source);
    onModel();
    followSplit(state.model);
    status.textContent = builtin ? '' : `Loaded ${name}.`;
    return true;
  } catch (err) {
    const msg = err.message;
    showError('model-error', builtin
      ? `The built-in model could not be loaded (${msg}). Open a model file to start.`
      : `${msg}${state.model ? ` — still using ${state.model.name}.` : ''}`);
    if (state.model) followSplit(state.model); // the partner still holds it: ready again at once
    status.textContent = '';
    return false;
  } finally {
    clearTimeout(shown);
    progress.hidden = true;
  }
}

function onModel() {
  const { info, name, size, builtin, version } = state.model;
  const shape = info.inputShape;
  const facts = [
    ['Model', builtin ? `${info.name || name} (built-in)` : name],
    ['Format', `${info.format}${info.dtype ? `, ${info.dtype}` : ''}`],
    ['Input', shape.join(' × ')],
    ['Classes', String(info.labels?.length ?? '?')],
    ['Parameters', Number(info.params).toLocaleString('en')],
    ['Layers', `${info.layers?.length ?? '?'}${info.foldedBatchNorm ? `, ${info.foldedBatchNorm} BatchNorm folded` : ''}`],
    ['File size', mb(size)],
  ];
  const dl = (pairs) => pairs.flatMap(([k, v]) => [el('dt', { textContent: k }), el('dd', { textContent: v })]);
  $('model-info').replaceChildren(...dl(facts));
  const card = Object.entries(info.card ?? {}).map(([k, v]) => [k.replace(/_/g, ' '), String(v)]);
  $('model-card-facts').replaceChildren(...dl(card));
  $('model-card').hidden = card.length === 0;
  $('model-builtin').hidden = builtin;
  $('engine-version').textContent = `Engine ${version}`;

  state.target = -1;
  state.rules = {};
  const image = shape.length === 3;
  const [h, w] = image ? [shape[1], shape[2]] : [28, 28];
  const k = Math.max(1, Math.ceil(280 / Math.max(h, w)));
  const resize = pad.width !== w * k || pad.height !== h * k;
  if (resize) resetPad(w * k, h * k);
  $('model-input-caption').textContent = `What the model sees (${w}×${h})`;
  $('input-hint').textContent = info.digit ? 'Draw a digit, drop an image, or use the webcam' : 'Drop or upload a photo, or use the webcam';
  showError('input-error', image || info.digit ? '' : `This model takes a vector of ${shape[0]} values, not an image: the page can explain image models only.`);

  fillComposites();
  $('colormap').replaceChildren(...state.model.colormaps.map((c) => el('option', { value: c, textContent: c })));
  if (!state.model.colormaps.includes(state.colormap)) state.colormap = state.model.colormaps[0];
  $('colormap').value = state.colormap;
  buildRuleEditor();
  describeComposite();
  colorbars.clear();
  loadColorbar();
  for (const p of panels) p.onModel?.(state.model);
  if (state.inked) requestExplain(null);
  else clearOutputs();
}

function isImageFile(f) {
  return f.type.startsWith('image/') || /\.(png|jpe?g|gif|webp|bmp|avif)$/i.test(f.name);
}

function openFile(f) {
  if (isImageFile(f)) openImage(f);
  else openModel({ file: f, name: f.name });
}

function bindFiles() {
  $('image-file').addEventListener('change', (e) => {
    const f = e.target.files[0];
    e.target.value = '';
    if (f) openImage(f);
  });
  $('model-file').addEventListener('change', (e) => {
    const f = e.target.files[0];
    e.target.value = '';
    if (f) openModel({ file: f, name: f.name });
  });
  $('model-builtin').addEventListener('click', () => openModel(builtinModel, { builtin: true }));
  $('webcam').addEventListener('click', () => (stream ? stopWebcam() : startWebcam()));
  const hasFiles = (e) => [...(e.dataTransfer?.types ?? [])].includes('Files');
  document.addEventListener('dragover', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    document.body.classList.add('dragging');
  });
  document.addEventListener('dragleave', (e) => {
    if (!e.relatedTarget) document.body.classList.remove('dragging');
  });
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    document.body.classList.remove('dragging');
    const f = e.dataTransfer?.files?.[0];
    if (f) openFile(f);
  });
}

// ---------------------------------------------------------------- export

function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

function exportName(ext) {
  const o = state.last.options;
  return `lrp-${state.model.name.replace(/\.[^.]+$/, '')}-${o.composite}-class${state.last.target}.${ext}`;
}

// exportPNG writes a canvas enlarged by a whole factor (nearest neighbour,
// so every model pixel stays a sharp square).
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

function bindExport() {
  $('export-heatmap').addEventListener('click', () => exportPNG(heatCanvas, 'heatmap'));
  $('export-overlay').addEventListener('click', () => exportPNG(overlayCanvas, 'overlay'));
  $('export-json').addEventListener('click', exportJSON);
}

// ---------------------------------------------------------------- panels
//
// A panel follows the current model and result: onModel(model),
// onResult(result, options, roundTripMs), onClear(), each optional. The
// three of `panels` are the diagnostics, the compare grid and the
// evaluation; the last two run their engine calls on the Worker pool
// (pool.run('explain', …) and pool.run('call', {method: 'evaluate', …})).

const diagnostics = {
  onResult(r, options, roundTrip) {
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

    const nan = $('diag-nan');
    nan.hidden = !(d.nan || (d.layers ?? []).some((l) => l.nan));
    nan.textContent = nan.hidden ? '' : nanMessage(r);

    // Output first: relevance flows from the start down to the pixels.
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
    showCompositeRules(d);
  },
  onClear() {
    $('diag-stats').replaceChildren();
    $('chain').tBodies[0].replaceChildren();
    $('diag-nan').hidden = true;
  },
};

// The compare grid: the same model input and class under every method of
// compareMethods, spread over the pool. A newer run drops the queued calls
// of an older one.
const compare = {
  gen: 0,
  timer: 0,
  cells: new Map(),

  onModel(model) {
    const grid = $('compare-grid');
    grid.replaceChildren();
    this.cells.clear();
    for (const m of compareMethods) {
      const c = model.composites.find((x) => x.name === m);
      if (!c) continue;
      const canvas = el('canvas', { width: 28, height: 28 });
      canvas.setAttribute('aria-hidden', 'true');
      const meta = el('span', { className: 'meta' });
      // Soft hyphens let long CamelCase names wrap inside a narrow cell.
      const name = label(m).replace(/([a-z])([A-Z])/g, '$1\u00ad$2');
      const cell = el('button', { type: 'button', className: 'cell', title: c.description }, canvas, el('span', { className: 'name', textContent: name }), meta);
      cell.dataset.method = m;
      cell.setAttribute('aria-label', `Use ${label(m)}`);
      cell.addEventListener('click', () => {
        state.composite = m;
        $('composite').value = m;
        describeComposite();
        requestExplain(null);
      });
      grid.append(cell);
      this.cells.set(m, { cell, canvas, meta });
    }
    // A large model takes seconds per method: compare on request only.
    $('compare-auto').checked = model.info.params <= 5e6;
    this.onClear();
  },

  onResult(r, options) {
    for (const [m, c] of this.cells) c.cell.classList.toggle('current', m === options.composite);
  },

  onClear() {
    clearTimeout(this.timer);
    this.gen++;
    pool.cancel('compare');
    for (const c of this.cells.values()) {
      c.canvas.getContext('2d').clearRect(0, 0, c.canvas.width, c.canvas.height);
      c.meta.textContent = '';
      c.cell.classList.remove('busy', 'failed');
      c.cell.dataset.state = 'empty';
    }
    $('compare-status').textContent = '';
  },

  schedule(delay = 250) {
    clearTimeout(this.timer);
    if (!$('compare-auto').checked) return;
    this.timer = setTimeout(() => this.run(), delay);
  },

  async run() {
    clearTimeout(this.timer);
    const last = state.last;
    if (!last || state.drawing) return;
    const gen = ++this.gen;
    pool.cancel('compare');
    const t0 = performance.now();
    const base = { start: last.options.start, target: last.target, colormap: state.colormap, symmetric: state.symmetric, sign: state.sign };
    $('compare-status').textContent = `Computing ${this.cells.size} methods…`;
    const runs = [...this.cells].map(([m, c]) => {
      c.cell.classList.add('busy');
      c.cell.dataset.state = 'busy';
      const input = last.input.slice();
      return pool.run('explain', { input, options: { ...base, composite: m } }, { group: 'compare', transfer: [input.buffer] })
        .then((r) => {
          if (gen !== this.gen) return;
          putRGBA(c.canvas, r.heatmap, r.width, r.height);
          c.meta.textContent = `Σ ${fmt(r.diagnostics?.inputSum, 3)} · ${ms(r.timings?.total)}`;
          c.cell.classList.remove('busy', 'failed');
          c.cell.dataset.state = 'done';
        }, (err) => {
          if (gen !== this.gen || err.name === 'Superseded') return;
          c.meta.textContent = err.message;
          c.cell.classList.remove('busy');
          c.cell.classList.add('failed');
          c.cell.dataset.state = 'failed';
        });
    });
    await Promise.all(runs);
    if (gen !== this.gen) return;
    const elapsed = performance.now() - t0;
    $('compare-status').textContent = `${this.cells.size} methods in ${ms(elapsed)} on ${pool.workers} Worker${pool.workers === 1 ? '' : 's'}`;
    stats.compareRuns++;
    stats.compare = { ms: elapsed, workers: pool.workers, cells: this.cells.size };
  },
};

// The evaluation panel (issue 7): region perturbation of the input on
// screen for the current composite and every method of the compare grid,
// and the random order, one method per pool job. It runs on request only:
// each method costs an explanation and a hundred forward passes.
const evaluation = {
  gen: 0,
  running: 0, // the gen of the run in progress
  result: null, // {target, patch, steps, fill, methods: [...], input, ms, workers}
  colors: ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#bcbd22', '#17becf', '#393b79', '#ad494a', '#637939', '#7b4173'],

  methods() {
    const ms = [state.composite, ...compare.cells.keys()];
    return [...new Set(ms), 'random'];
  },

  onModel(model) {
    const [h] = model.info.inputShape.length === 3 ? model.info.inputShape.slice(1) : [28];
    const k = h <= 64 ? 4 : 9; // the engine's default patch (eval.DefaultPatch)
    $('evaluation-patch').textContent = `${k}×${k}`;
    this.onClear();
  },

  onResult(r) {
    if (this.gen === this.running) return;
    $('evaluate-run').disabled = false;
    if (this.result) {
      const same = sameInput(this.result.input, r.input, this.result.target, r.target);
      setText($('evaluation-status'), same ? this.result.status : 'The input or class changed since: evaluate again.');
    }
  },

  onClear() {
    this.gen++;
    pool.cancel('evaluate');
    this.result = null;
    $('evaluate-run').disabled = true;
    $('evaluation-result').hidden = true;
    $('evaluation-status').textContent = '';
    showError('evaluation-error', '');
  },

  async run() {
    const last = state.last;
    if (!last) return;
    const gen = ++this.gen;
    pool.cancel('evaluate');
    showError('evaluation-error', '');
    const methods = this.methods();
    const options = { target: last.target, start: last.options.start, seed: 1 };
    const button = $('evaluate-run');
    button.disabled = true;
    this.running = gen;
    let done = 0;
    const status = $('evaluation-status');
    status.textContent = `Evaluating ${methods.length} methods…`;
    const t0 = performance.now();
    const jobs = methods.map((m) => {
      const input = last.input.slice();
      return pool.run('call', { method: 'evaluate', args: [input, { ...options, methods: [m] }] }, { group: 'evaluate', transfer: [input.buffer] })
        .then((r) => {
          if (gen === this.gen) status.textContent = `Evaluating ${methods.length} methods… ${++done} done`;
          return r;
        });
    });
    let results;
    try {
      results = await Promise.all(jobs);
    } catch (err) {
      if (gen !== this.gen || err.name === 'Superseded') return;
      this.running = 0;
      status.textContent = '';
      showError('evaluation-error', err.message);
      button.disabled = false;
      return;
    }
    if (gen !== this.gen) return;
    this.running = 0;
    const ms = performance.now() - t0;
    const r0 = results[0];
    this.result = {
      target: r0.target, patch: r0.patch, steps: r0.steps, fill: r0.fill, input: last.input, ms, workers: pool.workers,
      methods: results.map((r) => r.methods[0]),
    };
    button.disabled = false;
    this.result.status = status.textContent = `${methods.length} methods, class ${className(r0.target)}, in ${ms < 1000 ? ms.toFixed(0) + ' ms' : (ms / 1000).toFixed(1) + ' s'} on ${pool.workers} Worker${pool.workers === 1 ? '' : 's'}`;
    $('evaluation-result').hidden = false;
    this.table();
    this.draw();
    stats.evaluations = (stats.evaluations ?? 0) + 1;
    stats.evaluation = {
      ms, workers: pool.workers, target: r0.target,
      methods: this.result.methods.map((m) => ({ method: m.method, aopcMorf: m.aopcMorf, aopcLerf: m.aopcLerf, points: m.morf.length })),
    };
  },

  color(m, i) {
    return m === 'random' ? getComputedStyle(document.documentElement).getPropertyValue('--muted').trim() : this.colors[i % this.colors.length];
  },

  // table lists the methods by MoRF AOPC, best first; a method below the
  // random order is marked.
  table() {
    const { methods } = this.result;
    const random = methods.find((m) => m.method === 'random')?.aopcMorf ?? -Infinity;
    const rows = methods.map((m, i) => ({ ...m, i })).sort((a, b) => b.aopcMorf - a.aopcMorf);
    $('evaluation-table').tBodies[0].replaceChildren(...rows.map((m) => {
      const swatch = el('span', { className: 'swatch' });
      swatch.style.background = this.color(m.method, m.i);
      const name = m.method === 'random' ? 'Random order (baseline)' : label(m.method);
      const tr = el('tr', {},
        el('td', {}, el('span', { className: 'name' }, swatch, name), m.method === state.last?.options.composite ? el('span', { className: 'tag', textContent: 'current', title: 'The current composite, with its default parameters (per-layer overrides are not evaluated)' }) : ''),
        el('td', { className: 'num', textContent: m.aopcMorf.toFixed(3) }),
        el('td', { className: 'num', textContent: m.aopcLerf.toFixed(3) }));
      tr.dataset.method = m.method;
      if (m.method === 'random') tr.className = 'baseline';
      else if (m.aopcMorf <= random) (tr.className = 'below'), (tr.title = 'No better than removing patches at random');
      return tr;
    }));
  },

  // draw plots the class logit against the patches removed: MoRF solid,
  // LeRF dashed when asked for, with axes and a legend, at the screen's
  // pixel density.
  draw() {
    const res = this.result;
    if (!res) return;
    const canvas = $('evaluation-curves');
    const css = getComputedStyle(document.documentElement);
    const text = css.getPropertyValue('--text').trim();
    const muted = css.getPropertyValue('--muted').trim();
    const line = css.getPropertyValue('--line').trim();
    const lerf = $('evaluate-lerf').checked;
    const W = canvas.clientWidth || 640;
    const font = '12px system-ui, sans-serif';
    // The legend sits right of the plot on a wide canvas, below it on a narrow one.
    const side = W >= 560;
    const names = res.methods.map((m) => (m.method === 'random' ? 'Random order' : label(m.method)));
    const cols = side ? 1 : 2;
    const legendRows = Math.ceil(names.length / cols);
    const legendW = side ? 190 : W;
    const plotH = side ? Math.max(260, Math.round(W * 0.42)) : Math.round(W * 0.62);
    const H = side ? Math.max(plotH, 24 + 18 * legendRows) : plotH + 12 + 18 * legendRows;
    const dpr = window.devicePixelRatio || 1;
    canvas.style.height = `${H}px`;
    canvas.width = Math.round(W * dpr);
    canvas.height = Math.round(H * dpr);
    const ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, W, H);

    const m = { left: 52, right: side ? legendW + 12 : 12, top: 14, bottom: 42 };
    const pw = W - m.left - m.right;
    const ph = plotH - m.top - m.bottom;
    let lo = Infinity;
    let hi = -Infinity;
    for (const c of res.methods) for (const v of lerf ? [...c.morf, ...c.lerf] : c.morf) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
    const yt = niceTicks(lo, hi, 5);
    [lo, hi] = [yt[0], yt.at(-1)];
    const L = res.steps;
    const X = (k) => m.left + (k / L) * pw;
    const Y = (v) => m.top + (1 - (v - lo) / (hi - lo || 1)) * ph;

    ctx.font = font;
    ctx.lineWidth = 1;
    ctx.strokeStyle = line;
    ctx.fillStyle = muted;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (const v of yt) {
      const y = Math.round(Y(v)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(m.left, y);
      ctx.lineTo(m.left + pw, y);
      ctx.stroke();
      ctx.fillText(fmt(v, 3), m.left - 6, y);
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (const k of niceTicks(0, L, side ? 8 : 5).filter((k) => k <= L)) {
      const x = Math.round(X(k)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(x, m.top + ph);
      ctx.lineTo(x, m.top + ph + 4);
      ctx.stroke();
      ctx.fillText(String(k), x, m.top + ph + 6);
    }
    ctx.strokeStyle = muted;
    ctx.beginPath();
    ctx.moveTo(m.left + 0.5, m.top);
    ctx.lineTo(m.left + 0.5, m.top + ph + 0.5);
    ctx.lineTo(m.left + pw, m.top + ph + 0.5);
    ctx.stroke();
    ctx.fillStyle = text;
    ctx.fillText(`patches removed (${res.patch}×${res.patch}, ${res.fill} fill)`, m.left + pw / 2, m.top + ph + 24);
    ctx.save();
    ctx.translate(13, m.top + ph / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = 'middle';
    ctx.fillText(`logit of class ${className(res.target)}`, 0, 0);
    ctx.restore();

    const current = state.last?.options.composite;
    const curve = (c, v, color, dashed) => {
      ctx.strokeStyle = color;
      ctx.lineWidth = c.method === current || c.method === 'random' ? 2.5 : 1.5;
      ctx.setLineDash(dashed ? [5, 4] : c.method === 'random' ? [2, 3] : []);
      ctx.beginPath();
      v.forEach((y, k) => (k ? ctx.lineTo(X(k), Y(y)) : ctx.moveTo(X(k), Y(y))));
      ctx.stroke();
    };
    ctx.save();
    ctx.beginPath();
    ctx.rect(m.left, m.top - 2, pw + 2, ph + 4);
    ctx.clip();
    ctx.lineJoin = 'round';
    if (lerf) res.methods.forEach((c, i) => c.method !== 'random' && curve(c, c.lerf, this.color(c.method, i), true));
    res.methods.forEach((c, i) => curve(c, c.morf, this.color(c.method, i), false));
    ctx.restore();
    ctx.setLineDash([]);

    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    const lx = side ? W - legendW : 12;
    const ly = side ? m.top + 6 : plotH + 6;
    const colW = side ? legendW : (W - 12) / cols;
    names.forEach((n, i) => {
      const c = res.methods[i];
      const x = lx + (i % cols) * colW;
      const y = ly + Math.floor(i / cols) * 18 + 6;
      ctx.strokeStyle = this.color(c.method, i);
      ctx.lineWidth = c.method === current || c.method === 'random' ? 2.5 : 1.5;
      ctx.setLineDash(c.method === 'random' ? [2, 3] : []);
      ctx.beginPath();
      ctx.moveTo(x, y);
      ctx.lineTo(x + 22, y);
      ctx.stroke();
      ctx.fillStyle = text;
      ctx.font = c.method === current ? `600 ${font}` : font;
      ctx.fillText(n, x + 28, y);
    });
    ctx.setLineDash([]);
    ctx.font = font;
    if (lerf) {
      ctx.fillStyle = muted;
      const y = ly + legendRows * 18 + 10;
      if (side && y < H - 4) ctx.fillText('solid: MoRF · dashed: LeRF', lx, y);
    }
  },
};

// sameInput says whether two model inputs and classes are the same.
function sameInput(a, b, ta, tb) {
  if (ta !== tb || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// niceTicks returns about n round values spanning lo…hi (1, 2 or 5 × 10ᵏ apart).
function niceTicks(lo, hi, n) {
  if (!(hi > lo)) [lo, hi] = [lo - 1, hi + 1];
  const raw = (hi - lo) / n;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * p).find((s) => s >= raw);
  const ticks = [];
  for (let v = Math.floor(lo / step) * step; v <= hi + step * 1e-9 || ticks.length < 2; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks.at(-1) < hi) ticks.push(Number((ticks.at(-1) + step).toPrecision(12)));
  return ticks;
}

const panels = [diagnostics, compare, evaluation];

// ---------------------------------------------------------------- misc

function showError(id, msg) {
  const e = $(id);
  setText(e, msg);
  if (e.hidden !== !msg) e.hidden = !msg;
}

async function registerServiceWorker() {
  const status = $('offline-status');
  if (!('serviceWorker' in navigator)) return;
  try {
    // updateViaCache 'none': the browser's checks for a new version ask the
    // host for sw.js and version.js, even where it sends no Cache-Control
    // and would keep version.js in the HTTP cache for days.
    const reg = await navigator.serviceWorker.register('sw.js', { scope: './', updateViaCache: 'none' });
    const ready = () => {
      status.textContent = 'Available offline';
      status.className = 'ok';
      stats.offlineReady = true;
    };
    if (reg.active) ready();
    else navigator.serviceWorker.ready.then(ready);
  } catch (err) {
    status.textContent = `Offline use unavailable (${err.message})`;
  }
}

async function main() {
  bindPad();
  bindMethod();
  bindRendering();
  bindFiles();
  bindExport();
  $('compare-run').addEventListener('click', () => compare.run());
  $('evaluate-run').addEventListener('click', () => evaluation.run());
  $('evaluate-lerf').addEventListener('change', () => evaluation.draw());
  new ResizeObserver(() => evaluation.draw()).observe($('evaluation-result'));
  $('compare-auto').addEventListener('change', (e) => e.target.checked && compare.schedule(0));
  resetPad();
  registerServiceWorker();
  const ok = await openModel(builtinModel, { builtin: true });
  stats.ready = true;
  stats.modelReady = ok;
}

main().catch((err) => {
  showError('fatal', `The app could not start: ${err.message}`);
  stats.fatal = err.message;
});
