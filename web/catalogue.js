// catalogue.js: reading the engine's catalogue of methods. The page keeps
// no copy of rule or method knowledge: the method menu, the compare grid
// and the captions take their names from lrp.composites(), the parameters
// a method reads and their defaults from its `params`, and the per-layer
// editor (rules.js) its rules, parameters and ranges from lrp.rules();
// worker.js passes both with every loaded model.

// title returns the display name of method: its composites() entry's title
// ("EpsilonGammaBox", "Gradient × input"), or the name itself for a method
// the engine does not list.
export function title(method, composites) {
  return composites?.find((c) => c.name === method)?.title || method;
}

// num prints a parameter value as people write it: 0.5, 2, 1e-6.
export function num(v) {
  if (v == null || !Number.isFinite(v)) return String(v);
  if (v !== 0 && Math.abs(v) < 1e-3) return v.toExponential();
  return String(Number(v.toPrecision(6)));
}

// usedParams returns the entries of params that method reads (its
// composites() `params`); the others would change nothing.
export function usedParams(method, composites, params) {
  const used = new Set((composites?.find((c) => c.name === method)?.params ?? []).map((p) => p.name));
  return Object.fromEntries(Object.entries(params ?? {}).filter(([k, v]) => used.has(k) && Number.isFinite(v)));
}

// A number as the catalogue's texts write it: 2, 0.25, 1e-6.
const number = String.raw`\d+(?:\.\d+)?(?:e[-+]?\d+)?`;

// withValues rewrites text (a method's title or description, written for
// its defaults) with the values of params: each "label = default" or
// "labeldefault" of a parameter given ("ε = 1e-6" → "ε = 0.5", "α2β1" →
// "α1.5β0.5"). A composite's parameter replaces the default of every rule
// that reads it, so every occurrence changes.
function withValues(text, method, composites, params) {
  const m = composites?.find((c) => c.name === method);
  let out = text;
  for (const p of m?.params ?? []) {
    const v = params?.[p.name];
    if (!Number.isFinite(v)) continue;
    out = out.replace(new RegExp(`${p.label}(\\s*=\\s*)?${number}`, 'gu'), (_, eq) => `${p.label}${eq ?? ''}${num(v)}`);
  }
  return out;
}

// unwritten lists, as "label = value", the values of params that differ
// from method's defaults and that text does not write with a number.
function unwritten(text, method, composites, params) {
  const m = composites?.find((c) => c.name === method);
  return (m?.params ?? [])
    .filter((p) => Number.isFinite(params?.[p.name]) && params[p.name] !== p.default && !new RegExp(`${p.label}(\\s*=\\s*)?${number}`, 'u').test(text))
    .map((p) => `${p.label} = ${num(params[p.name])}`);
}

// describe returns method's description with the values of params in place
// of its defaults, and those it does not write after it ("γ on convs (γ = 1)").
export function describe(method, composites, params) {
  const text = composites?.find((c) => c.name === method)?.description ?? '';
  const extra = unwritten(text, method, composites, params);
  return withValues(text, method, composites, params) + (extra.length ? ` (${extra.join(', ')})` : '');
}

// label names method as run with params: its title with their values
// ("LRP-α1.5β0.5"), followed by those of the values that differ from the
// defaults that the title does not show ("EpsilonGammaBox (ε = 0.5)").
export function label(method, composites, params) {
  const t = title(method, composites);
  const extra = unwritten(t, method, composites, params);
  return withValues(t, method, composites, params) + (extra.length ? ` (${extra.join(', ')})` : '');
}

// tieInputs keeps a rule's constraint of the form "a - b = c" (αβ's
// "alpha - beta = 1", from lrp.rules()) between two number inputs while
// the user types: a change of a sets b to a − c, a change of b sets a to
// b + c, so changing α alone is a valid rule rather than a refusal.
// inputs maps parameter names to inputs; set(name, value) is called for
// the input that followed. It returns whether the constraint applied.
export function tieInputs(constraint, inputs, set) {
  const m = /^\s*(\w+)\s*-\s*(\w+)\s*=\s*([-+0-9.eE]+)\s*$/.exec(constraint ?? '');
  if (!m || !inputs.has(m[1]) || !inputs.has(m[2])) return false;
  const [a, b, c] = [inputs.get(m[1]), inputs.get(m[2]), Number(m[3])];
  const follow = (from, to, name, f) =>
    from.addEventListener('input', () => {
      if (!Number.isFinite(from.valueAsNumber)) return;
      to.value = String(Number(f(from.valueAsNumber).toPrecision(12)));
      set(name, to.valueAsNumber);
    });
  follow(a, b, m[2], (v) => v - c);
  follow(b, a, m[1], (v) => v + c);
  return true;
}
