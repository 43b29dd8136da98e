// rules.js: the per-layer rule editor ("Per-layer rules" in the Method
// card). One row per layer of the model: its index, name, kind and output
// shape, a menu of the rules that apply to its kind, and an input for each
// parameter of the chosen rule. Menus and inputs are built from a rule
// catalogue, the engine's lrp.rules(); the choices live in
// state.rules, node index → {rule, ...params}, the explain option `rules`.
// "composite" (the empty choice) keeps the rule the composite gives.
import { tieInputs } from './catalogue.js';
import { el } from './dom.js';

// ruleEditor fills container (the <details> holding the table, its count
// and its reset button) for layers (info.layers) and returns the editor:
// reset() drops every choice, setEnabled(on) enables it for LRP methods
// (baselines take no rules), showComposite(diagnostics) names each
// layer's rule from the last explanation. onChange() follows every change
// of state.rules.
export function ruleEditor(container, layers, catalogue, state, onChange) {
  const body = container.querySelector('table').tBodies[0];
  let enabled = true;

  function build() {
    body.replaceChildren(...layers.map(row));
    container.querySelector('#rules-count').textContent = `(${layers.length} layers)`;
    setEnabled(enabled);
  }

  function row(layer) {
    const choices = catalogue.filter((r) => r.kinds.includes(layer.kind));
    const sel = el('select');
    sel.setAttribute('aria-label', `Rule for layer ${layer.index} (${layer.name})`);
    sel.dataset.node = layer.index;
    sel.append(el('option', { value: '', textContent: 'composite' }));
    for (const r of choices) sel.append(el('option', { value: r.name, textContent: r.name, title: `${r.title}: ${r.formula}` }));
    const params = el('td', { className: 'params-cell' });
    sel.addEventListener('change', () => {
      params.replaceChildren();
      const rule = choices.find((r) => r.name === sel.value);
      if (!rule) delete state.rules[layer.index];
      else {
        state.rules[layer.index] = { rule: rule.name };
        const inputs = new Map(rule.params.map((p) => [p.name, paramInput(layer.index, p)]));
        const controls = new Map([...inputs].map(([k, label]) => [k, label.control]));
        tieInputs(rule.constraint, controls, (name, v) => (state.rules[layer.index][name] = v));
        for (const label of inputs.values()) params.append(label);
      }
      onChange();
    });
    return el('tr', {},
      el('td', { className: 'num', textContent: layer.index }),
      el('td', { textContent: layer.name }),
      el('td', {}, el('span', { className: 'kind', textContent: layer.kind })),
      el('td', { textContent: (layer.outShape ?? []).join('×') }),
      el('td', {}, sel),
      params);
  }

  // paramInput is the input of parameter p of node's rule. Without a
  // default (zᴮ's bounds) the engine takes the value from the model.
  function paramInput(node, p) {
    const input = el('input', { type: 'number', step: 'any', value: p.default == null ? '' : String(p.default), placeholder: 'model' });
    if (p.min != null) input.min = p.min;
    if (p.max != null) input.max = p.max;
    input.setAttribute('aria-label', `${p.label} for layer ${node}`);
    if (p.default != null) state.rules[node][p.name] = p.default;
    input.addEventListener('change', () => {
      if (Number.isFinite(input.valueAsNumber)) state.rules[node][p.name] = input.valueAsNumber;
      else delete state.rules[node][p.name];
      onChange();
    });
    return el('label', { className: 'param-in' }, p.label, input);
  }

  function setEnabled(on) {
    enabled = on;
    container.classList.toggle('disabled', !on);
    for (const s of body.querySelectorAll('select, input')) s.disabled = !on || (s.tagName === 'SELECT' && s.options.length < 2);
  }

  function reset() {
    state.rules = {};
    build();
    onChange();
  }

  function showComposite(diagnostics) {
    const byNode = new Map((diagnostics?.layers ?? []).map((l) => [l.node, l.rule]));
    for (const sel of body.querySelectorAll('select[data-node]')) {
      const rule = byNode.get(Number(sel.dataset.node));
      const text = rule && sel.value === '' ? `composite (${rule})` : 'composite';
      if (sel.options[0].textContent !== text) sel.options[0].textContent = text;
    }
  }

  container.querySelector('#rules-reset').onclick = reset;
  build();
  return { reset, setEnabled, showComposite };
}
