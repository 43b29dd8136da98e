// controls.js: the controls that set how an explanation is made and drawn.
// In the Method card: the method menu (composites and baselines, grouped),
// its description, the start relevance and the composite's parameters; in
// the Colours and export card: colormap, sign, symmetric scale and the
// overlay's opacity. They write state.composite, state.start, state.params,
// state.colormap, state.sign, state.symmetric and state.alpha. The
// per-layer rules have their own module (rules.js).
//
// The parameters follow the method: only those it reads (its composites()
// `params`) are enabled, each showing the method's default, and the
// description shows the values in use. α and β stay tied by the αβ rule's
// constraint (α − β = 1, from lrp.rules()).
import { describe, num, tieInputs, title, usedParams } from './catalogue.js';
import { $, el } from './dom.js';

// createControls binds the controls. on.explain() asks for a new
// explanation, on.rerender() for a new colouring of the one on screen,
// on.overlay() for the overlay to be drawn again, on.startChanged() follows
// a new start relevance, on.chooseTarget(-1) goes back to the predicted
// class, and on.rulesEnabled(lrp) tells whether the method takes rules
// (baselines do not).
export function createControls(state, on) {
  function fillComposites() {
    const { composites } = state.model;
    const sel = $('composite');
    const groups = { lrp: el('optgroup', { label: 'LRP composites' }), baseline: el('optgroup', { label: 'Baselines and controls' }) };
    for (const c of composites) {
      (groups[c.kind] ?? groups.baseline).append(el('option', { value: c.name, textContent: title(c.name, composites), title: c.description }));
    }
    sel.replaceChildren(...Object.values(groups).filter((g) => g.children.length));
    if (!composites.some((c) => c.name === state.composite)) state.composite = composites[0]?.name;
    sel.value = state.composite;
    describeComposite();
  }

  function describeComposite() {
    const { composites, info } = state.model;
    const c = composites.find((x) => x.name === state.composite);
    $('composite-doc').textContent = describe(state.composite, composites, usedParams(state.composite, composites, state.params));
    const lrp = c?.kind !== 'baseline';
    $('params').disabled = !lrp;
    on.rulesEnabled(lrp);
    // Only the parameters the method reads are enabled; each shows the
    // method's default (zᴮ's bounds: the model's).
    const reads = new Map((c?.params ?? []).map((p) => [p.name, p]));
    const unused = [];
    for (const input of $('params').querySelectorAll('input[data-param]')) {
      const p = reads.get(input.dataset.param);
      const name = input.labels[0]?.firstChild.textContent.trim() ?? input.dataset.param;
      input.disabled = !p;
      input.closest('label').classList.toggle('unused', !p);
      input.closest('label').title = p ? '' : `${title(state.composite, composites)} does not use ${name}`;
      if (!p) unused.push(name);
      const bound = { low: info.bounds?.low, high: info.bounds?.high }[input.dataset.param];
      input.placeholder = !p ? 'not used' : p.default != null ? num(p.default) : bound?.length === 1 ? num(bound[0]) : 'model';
    }
    const note = $('params-note');
    note.textContent = lrp && unused.length ? `${unused.join(', ')}: not used by ${title(state.composite, composites)}.` : '';
    note.hidden = !note.textContent;
  }

  function readParams() {
    state.params = {};
    for (const input of $('params').querySelectorAll('input[data-param]')) {
      if (input.value.trim() !== '' && Number.isFinite(input.valueAsNumber)) state.params[input.dataset.param] = input.valueAsNumber;
    }
  }

  $('composite').addEventListener('change', (e) => {
    state.composite = e.target.value;
    describeComposite();
    on.explain();
  });
  $('start').addEventListener('change', (e) => {
    state.start = e.target.value;
    on.explain();
    on.startChanged();
  });
  $('params').addEventListener('change', () => {
    readParams();
    describeComposite();
    on.explain();
  });
  let tied = false;
  $('target-reset').addEventListener('click', () => on.chooseTarget(-1));

  $('colormap').addEventListener('change', (e) => {
    state.colormap = e.target.value;
    on.rerender();
  });
  for (const r of document.querySelectorAll('input[name="sign"]')) {
    r.addEventListener('change', () => {
      state.sign = r.value;
      on.rerender();
    });
  }
  $('symmetric').addEventListener('change', (e) => {
    state.symmetric = e.target.checked;
    on.rerender();
  });
  $('alpha').addEventListener('input', (e) => {
    state.alpha = Number(e.target.value) / 100;
    $('alpha-out').value = `${e.target.value}%`;
    if (state.last) on.overlay();
  });

  return {
    // onModel fills the menus of a newly loaded model (state.model).
    onModel() {
      if (!tied) {
        const inputs = new Map([...$('params').querySelectorAll('input[data-param]')].map((i) => [i.dataset.param, i]));
        for (const r of state.model.rules) tieInputs(r.constraint, inputs, () => {});
        tied = true;
      }
      fillComposites();
      const { colormaps } = state.model;
      $('colormap').replaceChildren(...colormaps.map((c) => el('option', { value: c, textContent: c })));
      if (!colormaps.includes(state.colormap)) state.colormap = colormaps[0];
      $('colormap').value = state.colormap;
    },
    describeComposite,
    // useMethod makes method m the current one (a compare cell's click).
    useMethod(m) {
      state.composite = m;
      $('composite').value = m;
      describeComposite();
      on.explain();
    },
  };
}
