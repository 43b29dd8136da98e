// session.js: the model the page explains, as its Workers hold it. Opening
// a model (the live Worker first; the pool and the split partner follow)
// and changing its settings (normalization, class names: lrp.configure)
// take turns, so that a change meant for one model never reaches the next.
// A change goes to the live Worker first: an error shows in the Model card
// and changes nothing; then the pool and the partner get the same settings
// (the split pauses until the partner has them: both engines of a split
// must agree).
import { $, mb, showError } from './dom.js';
import { loading, showModel } from './model.js';

// A names file larger than this is not read: it is far larger than any
// the engine accepts (app.MaxLabelsFile, 4 MiB), which says so for the
// sizes between.
const maxNamesRead = 8 << 20;

// createSession returns {open(source, opts), configure(change, opts),
// openLabels(file)} for the page's state and stats, its Workers (live,
// pair, pool), followSplit(model, {fresh}), which gives the live Worker a
// partner for a model worth splitting (fresh: one just loaded), and the
// page's onModel() and onSettings(), called when a model or new settings
// took effect.
export function createSession(state, stats, { live, pair, pool, followSplit, onModel, onSettings }) {
  let turn = Promise.resolve();
  function serially(f) {
    const run = turn.then(f);
    turn = run.catch(() => {});
    return run;
  }

  // open loads source ({url} or {file}, with its name) on the live Worker,
  // then on the pool; a failure keeps the model before and says so.
  function open(source, opts) {
    return serially(() => load(source, opts));
  }

  async function load(source, { builtin = false } = {}) {
    const name = source.name;
    showError('model-error', '');
    const progress = loading(name, stats);
    pair.hold(); // no split while the two Workers may hold different models
    try {
      const m = await live.call('open', { source }, { onProgress: progress.onProgress });
      state.model = { ...m, builtin, source, settings: null, labelsDefault: m.info.labelsFrom, labelsName: '' };
      pool.setModel(source);
      onModel();
      followSplit(state.model, { fresh: true });
      progress.done(builtin ? '' : `Loaded ${name}.`);
      return true;
    } catch (err) {
      const msg = err.message;
      showError('model-error', builtin
        ? `The built-in model could not be loaded (${msg}). Open a model file to start.`
        : `${msg}${state.model ? ` — still using ${state.model.name}.` : ''}`);
      if (state.model) followSplit(state.model); // the partner still holds it: ready again at once
      progress.done('');
      return false;
    }
  }

  // configure changes the model's settings by change ({normalization},
  // {labels} or {labelsFile}, as lrp.configure takes them; labelsName
  // names the names file) and resolves to whether it took effect.
  function configure(change, { labelsName = '' } = {}) {
    return serially(async () => {
      const model = state.model;
      if (!model) return false;
      const settings = { ...model.settings, ...change };
      if ('labels' in change) delete settings.labelsFile;
      if ('labelsFile' in change) delete settings.labels;
      showError('model-error', '');
      pair.hold();
      let info;
      try {
        info = await live.call('configure', { settings });
      } catch (err) {
        showError('model-error', labelsName ? `${labelsName}: ${err.message}` : err.message);
        followSplit(model);
        showModel(model); // the controls show the settings in use again
        return false;
      }
      const name = 'labelsFile' in change ? labelsName : 'labels' in change ? '' : model.labelsName;
      state.model = { ...model, info, settings, labelsName: name };
      pool.configure(settings);
      followSplit(state.model);
      stats.configured = (stats.configured ?? 0) + 1;
      onSettings();
      return true;
    });
  }

  // openLabels gives the model the class names of file, a text or JSON
  // names file (docs/JS_API.md, configure's labelsFile).
  async function openLabels(file) {
    if (!state.model) {
      showError('model-error', `${file.name}: open a model first; a names file gives its classes names.`);
      return;
    }
    if (file.size > maxNamesRead) {
      showError('model-error', `${file.name}: ${mb(file.size)} is too large for a class-names file.`);
      return;
    }
    let text;
    try {
      text = await file.text();
    } catch (err) {
      showError('model-error', `${file.name}: could not be read (${err.message})`);
      return;
    }
    if (await configure({ labelsFile: text }, { labelsName: file.name })) $('model-status').textContent = `Class names from ${file.name}.`;
  }

  return { open, configure, openLabels };
}
