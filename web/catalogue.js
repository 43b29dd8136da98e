// catalogue.js: reading the engine's catalogue of methods. The page keeps
// no copy of rule or method knowledge: the method menu, the compare grid
// and the captions take their names from lrp.composites(), and the
// per-layer editor (rules.js) its rules, parameters and ranges from
// lrp.rules(); worker.js passes both with every loaded model.

// title returns the display name of method: its composites() entry's title
// ("EpsilonGammaBox", "Gradient × input"), or the name itself for a method
// the engine does not list.
export function title(method, composites) {
  return composites?.find((c) => c.name === method)?.title || method;
}
