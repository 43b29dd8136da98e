// model.js: the Model card: the facts of the loaded model (among them
// what the engine did to it and reads from it: BatchNorms folded, the
// input's pixel range and normalization, zᴮ's bounds) and its model card,
// the progress of a model file being read and checked, and the model's
// settings (the engine's configure): its class names (the file's,
// ImageNet's, indices, or a names file) and, for a 3-channel model whose
// file has no normalization, the choice none / ImageNet mean-std / custom
// values. What was assumed at load says so where it is shown.
import { $, el, fmt, mb } from './dom.js';

// perChannel prints one value per input channel: "0.485, 0.456, 0.406".
const perChannel = (vs) => Array.from(vs ?? [], (v) => fmt(v, 4)).join(', ');

// channelNames names the channels of a [C, H, W] input: R, G, B for three.
const channelNames = (c) => (c === 3 ? ['R', 'G', 'B'] : Array.from({ length: c }, (_, i) => `channel ${i + 1}`));

// normalizationText says which normalization info's model uses and where
// it comes from (info.normalization, docs/JS_API.md).
function normalizationText(info) {
  if (!info.mean) return info.normalizationDefault === 'none' ? 'none in the model' : 'none (set here)';
  const values = `(x − mean) / std, mean ${perChannel(info.mean)}, std ${perChannel(info.std)}`;
  const from = {
    file: '',
    imagenet: info.normalizationAssumed === 'imagenet' ? ' — ImageNet’s, assumed: the file has none' : ' — ImageNet’s',
    custom: ' — set here',
  }[info.normalization] ?? '';
  return values + from;
}

// labelsText says where the class names of model come from.
function labelsText(model) {
  const { info, labelsName } = model;
  const n = info.labels?.length ?? 0;
  return {
    file: 'from the model file',
    imagenet: info.labelsAssumed === 'imagenet' ? 'ImageNet’s, assumed: the file has none' : 'ImageNet’s',
    custom: labelsName ? `from ${labelsName}` : 'set here',
    indices: `the indices 0 … ${n - 1}`,
  }[info.labelsFrom] ?? info.labelsFrom;
}

// choosesNormalization reports whether the page offers a choice of
// normalization for info's model: a [3, H, W] input whose file has none.
const choosesNormalization = (info) => info.inputShape.length === 3 && info.inputShape[0] === 3 && info.normalizationDefault !== 'file';

// showModel lists the facts of model (state.model) in the Model card.
export function showModel(model) {
  const { info, name, size, builtin, version } = model;
  const facts = [
    ['Model', builtin ? `${info.name || name} (built-in)` : name],
    ['Format', `${info.format}${info.dtype ? `, ${info.dtype}` : ''}`],
    ['Input', info.inputShape.join(' × ')],
    ['Classes', String(info.labels?.length ?? '?')],
    ['Class names', labelsText(model)],
    ['Parameters', Number(info.params).toLocaleString('en')],
    ['Layers', String(info.layers?.length ?? '?')],
    ['BatchNorm', info.foldedBatchNorm ? `${info.foldedBatchNorm} folded into the layer before (exact)` : 'none folded'],
    ['Pixel range', `${fmt(info.pixelRange?.[0])} … ${fmt(info.pixelRange?.[1])}`],
    ['Normalization', normalizationText(info)],
    ['zᴮ bounds', info.bounds ? info.bounds.low.map((lo, c) => `[${fmt(lo, 4)}, ${fmt(info.bounds.high[c], 4)}]`).join(', ') : '–'],
    ['File size', mb(size)],
  ];
  const dl = (pairs) => pairs.flatMap(([k, v]) => [el('dt', { textContent: k }), el('dd', { textContent: v })]);
  $('model-info').replaceChildren(...dl(facts));
  const card = Object.entries(info.card ?? {}).map(([k, v]) => [k.replace(/_/g, ' '), String(v)]);
  $('model-card-facts').replaceChildren(...dl(card));
  $('model-card').hidden = card.length === 0;
  $('model-builtin').hidden = builtin;
  $('engine-version').textContent = `Engine ${version}`;
  showSettings(model);
}

// showSettings sets the settings controls of the Model card to what
// model (state.model) uses now.
function showSettings(model) {
  const { info, labelsDefault } = model;
  const n = info.labels?.length ?? 0;
  const assumed = info.labelsAssumed === 'imagenet' && info.labelsFrom === 'imagenet';
  $('labels-assumed').hidden = !assumed;
  const options = [['default', {
    file: 'From the model file',
    imagenet: 'ImageNet’s (assumed)',
    indices: `Indices 0 … ${n - 1}`,
  }[labelsDefault] ?? 'As loaded']];
  if (n === 1000 && labelsDefault !== 'imagenet') options.push(['imagenet', 'ImageNet’s']);
  if (labelsDefault !== 'indices') options.push(['indices', `Indices 0 … ${n - 1}`]);
  if (info.labelsFrom === 'custom') options.push(['custom', model.labelsName ? `From ${model.labelsName}` : 'Set here']);
  const sel = $('labels-choice');
  sel.replaceChildren(...options.map(([value, textContent]) => el('option', { value, textContent })));
  sel.value = info.labelsFrom === 'custom' ? 'custom' : info.labelsFrom === labelsDefault ? 'default' : info.labelsFrom;

  const norm = $('norm');
  norm.hidden = !choosesNormalization(info);
  if (norm.hidden) return;
  const choice = info.normalization === 'custom' ? 'custom' : info.mean ? 'imagenet' : 'none';
  for (const r of norm.querySelectorAll('input[name="norm"]')) r.checked = r.value === choice;
  const note = $('norm-note');
  note.textContent = info.normalizationAssumed === 'imagenet' && info.normalization === 'imagenet'
    ? 'ImageNet’s mean and std are assumed: the file has none, and a model of this size with 1,000 classes is most likely an ImageNet classifier (a torchvision export expects them).'
    : '';
  note.hidden = !note.textContent;
  customValues(info, choice === 'custom');
}

// customValues fills the inputs of custom values, one mean and one std
// per channel, with the normalization in use (none: mean 0, std 1), and
// shows them if shown.
function customValues(info, shown) {
  const names = channelNames(info.inputShape[0]);
  const input = (what, c, v) => {
    const i = el('input', { type: 'number', step: 'any', value: String(v) });
    i.dataset.what = what;
    i.dataset.channel = String(c);
    return el('label', {}, `${what} ${names[c]}`, i);
  };
  const values = $('norm-values');
  values.replaceChildren(...names.map((_, c) => input('mean', c, info.mean?.[c] ?? 0)), ...names.map((_, c) => input('std', c, info.std?.[c] ?? 1)));
  values.style.gridTemplateColumns = `repeat(${names.length}, minmax(70px, 1fr))`; // the means above the stds
  $('norm-custom').hidden = !shown;
}

// bindSettings wires the settings controls of the Model card (the names
// file input is files.js's): on.configure(change) asks the page to
// configure the model of state with change ({labels} or {normalization},
// as the engine's configure takes them).
export function bindSettings(state, on) {
  $('labels-choice').addEventListener('change', (e) => {
    if (e.target.value !== 'custom') on.configure({ labels: e.target.value });
  });
  for (const r of document.querySelectorAll('input[name="norm"]')) {
    r.addEventListener('change', () => {
      if (!r.checked || !state.model) return;
      if (r.value === 'custom') {
        customValues(state.model.info, true);
        $('norm-values').querySelector('input')?.focus();
      } else {
        on.configure({ normalization: r.value });
      }
    });
  }
  $('norm-apply').addEventListener('click', () => {
    const c = state.model.info.inputShape[0];
    const values = { mean: new Array(c).fill(NaN), std: new Array(c).fill(NaN) };
    for (const i of $('norm-values').querySelectorAll('input')) values[i.dataset.what][Number(i.dataset.channel)] = i.valueAsNumber;
    on.configure({ normalization: values });
  });
}

// loading shows that the model file `name` is being opened. It returns
// onProgress, the handler of the Worker's progress reports ({phase,
// loaded, total}; each is counted in stats.modelProgress), and
// done(status), which ends the progress and leaves status in its place.
export function loading(name, stats) {
  const progress = $('model-progress');
  const status = $('model-status');
  status.textContent = `Loading ${name}…`;
  progress.removeAttribute('value');
  const shown = setTimeout(() => (progress.hidden = false), 150);
  return {
    onProgress(p) {
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
    done(text) {
      clearTimeout(shown);
      progress.hidden = true;
      status.textContent = text;
    },
  };
}
