// model.js: the Model card: the facts of the loaded model (among them
// what the engine did to it and reads from it: BatchNorms folded, the
// input's pixel range and normalization, zᴮ's bounds) and its model card,
// and the progress of a model file being read and checked.
import { $, el, fmt, mb } from './dom.js';

// perChannel prints one value per input channel: "0.485, 0.456, 0.406".
const perChannel = (vs) => Array.from(vs ?? [], (v) => fmt(v, 4)).join(', ');

// showModel lists the facts of model (state.model) in the Model card.
export function showModel(model) {
  const { info, name, size, builtin, version } = model;
  const facts = [
    ['Model', builtin ? `${info.name || name} (built-in)` : name],
    ['Format', `${info.format}${info.dtype ? `, ${info.dtype}` : ''}`],
    ['Input', info.inputShape.join(' × ')],
    ['Classes', String(info.labels?.length ?? '?')],
    ['Parameters', Number(info.params).toLocaleString('en')],
    ['Layers', String(info.layers?.length ?? '?')],
    ['BatchNorm', info.foldedBatchNorm ? `${info.foldedBatchNorm} folded into the layer before (exact)` : 'none folded'],
    ['Pixel range', `${fmt(info.pixelRange?.[0])} … ${fmt(info.pixelRange?.[1])}`],
    ['Normalization', info.mean ? `(x − mean) / std, mean ${perChannel(info.mean)}, std ${perChannel(info.std)}` : 'none in the model'],
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
