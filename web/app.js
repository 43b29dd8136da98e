// app.js is the page: it holds the state and wires the modules that read
// input and draw results. It computes nothing: the live explanation runs in
// one Worker (worker.js, through a WorkerClient with latest-request-wins),
// split with a partner Worker (a WorkerPair) when the model is large, the
// compare grid and other batch work in a WorkerPool (pool.js).
//
// The modules, each owning its part of the page: pad.js (the drawing pad
// and the webcam), files.js (file inputs, drag and drop), controls.js (the
// method and rendering controls), rules.js (the per-layer rule editor,
// built from the engine's rule catalogue, lrp.rules()), view.js (heatmap,
// overlay, colorbar, classes), model.js (the Model card, with the model's
// normalization and class names), session.js (opening a model and changing
// its settings on every Worker that holds it), offline.js (the service
// worker), export.js (with
// png.js, which writes the settings into the PNG files), and
// the panels diagnostics.js, compare.js and evaluation.js (with chart.js).
// A panel follows the model and the result: onModel(model),
// onResult(result, options, roundTripMs), onClear(), each optional. State
// passes to the modules explicitly, with callbacks for what they ask of
// the page; dom.js holds the helpers they share.
//
// window.__lrpStats is the page's instrumentation for the browser tests and
// for anyone curious: counters, the last result, and one record per live
// heatmap drawn while drawing — {move, event, sent, received, drawn, frame},
// all performance.now() — where `move` is when the page handled the oldest
// pointer move the heatmap is the first to include and `event` that move's
// event timestamp (when the browser received the input). `split` tells
// whether live explanations of the model are split over two Workers,
// `last.workers` how many computed the last one, `last.simd` whether
// on the SIMD kernels (the page opened with ?simd=0 runs every engine on
// the pure-Go ones; tests/browser.test.mjs compares the two), and
// `configured` counts the changes of the model's settings that took
// effect.
import { usedParams } from './catalogue.js';
import { createCompare } from './compare.js';
import { createControls } from './controls.js';
import { createDiagnostics, nanMessage } from './diagnostics.js';
import { $, setText, showError } from './dom.js';
import { createEvaluation } from './evaluation.js';
import { createExport } from './export.js';
import { bindFiles } from './files.js';
import { bindSettings, showModel } from './model.js';
import { registerServiceWorker } from './offline.js';
import { createPad } from './pad.js';
import { WorkerClient, WorkerPair, WorkerPool } from './pool.js';
import { ruleEditor } from './rules.js';
import { createSession } from './session.js';
import { createView } from './view.js';

const builtinModel = { url: new URL('models/mnist.safetensors', import.meta.url).href, name: 'mnist.safetensors' };

const kernels = new URLSearchParams(location.search).get('simd') === '0' ? { simd: false } : {};
const live = new WorkerClient('lrp-live', kernels);
const pair = new WorkerPair(live);
const pool = new WorkerPool(undefined, kernels);

const state = {
  // model: {name, size, info, composites, rules, colormaps, version,
  // builtin, source, settings (the configure settings given since the load,
  // null: none), labelsDefault (info.labelsFrom at the load), labelsName
  // (the names file in use)}
  model: null,
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

const explainError = (msg) => showError('explain-error', msg);
// explainFailed shows why the explanation asked for was not made, in the
// Method card and beside the heatmap, which is dimmed: it is of earlier
// settings.
const explainFailed = (msg) => {
  explainError(msg);
  view.fail(msg);
};
const view = createView(state, {
  colorbar: async (colormap) => (await live.call('colorbar', { colormap })).rgba,
  chooseTarget,
  error: explainError,
});
const pad = createPad(state, {
  explain: requestExplain,
  settled: () => compare.schedule(),
  emptied: clearOutputs,
  error: (msg) => showError('input-error', msg),
  busy: () => live.busy('live'),
});
let editor = null; // the rule editor of the model (rules.js)
const controls = createControls(state, {
  explain: () => requestExplain(null),
  rerender,
  overlay: () => view.paintOverlay(),
  startChanged: () => compare.schedule(0),
  chooseTarget,
  rulesEnabled: (on) => editor?.setEnabled(on),
});
const exportButtons = createExport(state);
const compare = createCompare(state, { pool, stats, useMethod: (m) => controls.useMethod(m) });
const panels = [
  createDiagnostics(state, { showRules: (d) => editor?.showComposite(d) }),
  compare,
  createEvaluation(state, { pool, stats, compared: () => compare.methods() }),
];

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
    o.params = usedParams(state.composite, state.model.composites, state.params); // the others would change nothing
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
      const img = pad.read();
      const options = explainOptions();
      return {
        args: { input: { rgba: img.data, width: img.width, height: img.height, mode: pad.mode() }, options },
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
      explainFailed(err.message);
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
// explanations run on the live Worker alone until it has. For a model just
// loaded (fresh) it waits until the live Worker has shown its first
// heatmap, or has had nothing to explain for splitDelay ms after the load
// (the live Worker warms the model up then, worker.js): on two cores the
// partner's load (as long as the live Worker's) would take turns with the
// first explanation and the page's own work, and delay them by about half.
function followSplit(model, { fresh = false } = {}) {
  const waiting = deferredSplit?.model.source === model.source;
  clearTimeout(deferredSplit?.timer);
  deferredSplit = null;
  if (!splitWorth(model.info)) {
    pair.close();
    setSplit('off');
    return;
  }
  setSplit('loading');
  if (!fresh && !waiting) {
    pairWith(model);
    return;
  }
  pair.hold();
  const d = (deferredSplit = { model, timer: 0 });
  const idle = () => {
    if (stats.idle()) startSplit();
    else d.timer = setTimeout(idle, splitDelay);
  };
  // settled answers once the live Worker has done what came before it.
  const wait = () => {
    if (deferredSplit === d) d.timer = setTimeout(idle, splitDelay);
  };
  live.call('settled').then(wait, wait);
}

// splitDelay is how long (ms) a newly loaded model's partner waits for a
// first explanation to be asked for (a photo given at once, say) before
// it opens the model anyway.
const splitDelay = 300;
let deferredSplit = null; // {model, timer}: a partner's open waiting for the first heatmap

// startSplit starts the partner's open that followSplit deferred, if any.
function startSplit() {
  if (!deferredSplit) return;
  clearTimeout(deferredSplit.timer);
  const { model } = deferredSplit;
  deferredSplit = null;
  if (state.model === model) pairWith(model);
}

function pairWith(model) {
  const t0 = performance.now();
  pair.follow(model.source, model.settings).then(
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

function showResult({ result: r, meta, sentAt }) {
  if (meta.model !== state.model) return; // made by a model that was replaced since
  const received = performance.now();
  explainError(r.diagnostics?.nan ? nanMessage(r) : '');
  state.last = { ...r, options: meta.options };
  view.paint(r);
  view.showPrediction(r);
  // While a stroke or the webcam streams results, the panels below the
  // heatmap refresh a few times a second; the last result always updates them.
  if (!(state.drawing || pad.streaming) || received - panelsAt > 200) {
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
    options: meta.options, workers: r.workers, simd: r.simd, timings: r.timings,
    predicted: r.predicted, target: r.target, top: r.top.slice(0, 3), range: r.range,
    relevance: r.relevance, input: r.input, heatmap: r.heatmap, width: r.width, height: r.height,
  };
  exportButtons.enable(true);
  startSplit(); // the first heatmap of a new model is on screen: its partner may load it now
  if (renderKey(meta.options) !== renderKey(explainOptions())) rerender();
  if (!state.drawing && state.source !== 'webcam') compare.schedule();
}

const renderKey = (o) => `${o.colormap}|${o.symmetric}|${o.sign}`;

// rerender recolours the relevance on screen after a rendering setting
// changed, without explaining again.
function rerender() {
  view.loadColorbar();
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
      view.paint(last);
    }, (err) => explainError(err.message));
}

function chooseTarget(i) {
  state.target = state.target === i ? -1 : i;
  requestExplain(null);
}

function clearOutputs() {
  state.last = null;
  view.clear();
  exportButtons.enable(false);
  for (const p of panels) p.onClear?.();
}

// ---------------------------------------------------------------- model

// onSettings follows new settings of the model: the Model card, zᴮ's
// bounds among the parameters, and the panels and the explanation, which
// were of the old ones.
function onSettings() {
  showModel(state.model);
  controls.describeComposite();
  for (const p of panels) p.onClear?.();
  if (state.inked) requestExplain(null);
  else clearOutputs();
}

function onModel() {
  const { info } = state.model;
  const shape = info.inputShape;
  showModel(state.model);
  state.target = -1;
  state.rules = {};
  const image = shape.length === 3;
  const [h, w] = image ? [shape[1], shape[2]] : [28, 28];
  const k = Math.max(1, Math.ceil(280 / Math.max(h, w)));
  pad.fit(w * k, h * k);
  $('model-input-caption').textContent = `What the model sees (${w}×${h})`;
  $('input-hint').textContent = info.digit ? 'Draw a digit, drop an image, or use the webcam' : 'Drop or upload a photo, or use the webcam';
  showError('input-error', image || info.digit ? '' : `This model takes a vector of ${shape[0]} values, not an image: the page can explain image models only.`);
  pad.notice();

  // The editor offers the engine's rules (lrp.rules(), with the model).
  editor = ruleEditor($('rules-details'), info.layers ?? [], state.model.rules, state, () => requestExplain(null));
  controls.onModel();
  view.forgetColorbars();
  view.loadColorbar();
  for (const p of panels) p.onModel?.(state.model);
  if (state.inked) requestExplain(null);
  else clearOutputs();
}

// ---------------------------------------------------------------- start

const session = createSession(state, stats, { live, pair, pool, followSplit, onModel, onSettings });

async function main() {
  bindFiles({
    openImage: (f) => pad.openImage(f),
    openModel: (f) => session.open({ file: f, name: f.name }),
    openLabels: session.openLabels,
    openBuiltin: () => session.open(builtinModel, { builtin: true }),
  });
  bindSettings(state, { configure: (change) => session.configure(change) });
  pad.reset();
  registerServiceWorker(stats);
  const ok = await session.open(builtinModel, { builtin: true });
  stats.ready = true;
  stats.modelReady = ok;
}

main().catch((err) => {
  showError('fatal', `The app could not start: ${err.message}`);
  stats.fatal = err.message;
});
