// catalogue.js: what the page knows of the engine's rules and methods
// without asking it, in the shapes the engine answers in. This is the one
// copy of that knowledge in web/; the editor and the menus read it only
// through the arguments they are given (rules.js, title below).

// RULES is the rule catalogue in the shape of the engine's lrp.rules():
// [{name, title, formula, description, kinds, params: [{name, label,
// default, min, max}], constraint}], where a default of null means "from
// the model" and a min or max of null means unbounded. The per-layer editor
// offers for a layer the rules whose kinds include the layer's kind, in
// this order.
//
// REPLACED BY lrp.rules(): once the engine lists its rules, worker.js adds
// `rules: engine.rules()` to open's result and app.js passes
// state.model.rules instead of RULES; this constant then goes.
const affine = ['dense', 'conv2d'];
const every = [...affine, 'relu', 'relu6', 'batchnorm2d', 'flatten', 'avgpool2d', 'global_avgpool2d', 'add'];
export const RULES = [
  {
    name: 'epsilon', title: 'LRP-ε', formula: 'R_i = x_i · Σ_j w_ij R_j / (z_j + ε·sign(z_j))',
    description: 'Relevance in proportion to each input’s contribution; ε absorbs weak and contradictory relevance.',
    kinds: affine, params: [{ name: 'epsilon', label: 'ε', default: 1e-6, min: 0, max: null }], constraint: '',
  },
  {
    name: 'lrp0', title: 'LRP-0', formula: 'R_i = x_i · Σ_j w_ij R_j / z_j',
    description: 'Relevance in proportion to each input’s contribution (ε = 1e-9).',
    kinds: affine, params: [], constraint: '',
  },
  {
    name: 'gamma', title: 'LRP-γ', formula: 'R_i = x_i · Σ_j (w_ij + γw_ij⁺) R_j / Σ_i x_i (w_ij + γw_ij⁺) (for x ≥ 0)',
    description: 'Favours positive contributions by γ: less noisy heatmaps for convolutions.',
    kinds: affine, params: [{ name: 'gamma', label: 'γ', default: 0.25, min: 0, max: null }], constraint: '',
  },
  {
    name: 'zplus', title: 'LRP-z⁺', formula: 'R_i = x_i · Σ_j w_ij⁺ R_j / Σ_i x_i w_ij⁺ (for x ≥ 0)',
    description: 'Only positive contributions carry relevance.',
    kinds: affine, params: [], constraint: '',
  },
  {
    name: 'alphabeta', title: 'LRP-αβ', formula: 'R_i = Σ_j (α (x_i w_ij)⁺ / Σ_i (x_i w_ij)⁺ − β (x_i w_ij)⁻ / Σ_i (x_i w_ij)⁻) R_j',
    description: 'Positive contributions weighted by α, negative ones by β.',
    kinds: affine,
    params: [{ name: 'alpha', label: 'α', default: 2, min: 1, max: null }, { name: 'beta', label: 'β', default: 1, min: 0, max: null }],
    constraint: 'alpha - beta = 1',
  },
  {
    name: 'zbox', title: 'LRP-zᴮ', formula: 'R_i = Σ_j (x_i w_ij − l_i w_ij⁺ − h_i w_ij⁻) R_j / Σ_i (x_i w_ij − l_i w_ij⁺ − h_i w_ij⁻)',
    description: 'For the first layer: inputs bounded by low ≤ x ≤ high (empty: the model’s pixel range).',
    kinds: affine,
    params: [{ name: 'low', label: 'low', default: null, min: null, max: null }, { name: 'high', label: 'high', default: null, min: null, max: null }],
    constraint: '',
  },
  {
    name: 'wsquare', title: 'LRP-w²', formula: 'R_i = Σ_j w_ij² R_j / Σ_i w_ij²',
    description: 'Relevance by squared weights, regardless of the input: for the first layer.',
    kinds: affine, params: [], constraint: '',
  },
  {
    name: 'flat', title: 'LRP-flat', formula: 'R_i = Σ_j R_j / Σ_i 1',
    description: 'Relevance spread evenly over each output’s receptive field: for the first layer.',
    kinds: affine, params: [], constraint: '',
  },
  {
    name: 'pass', title: 'Pass', formula: 'R_in = R_out',
    description: 'Relevance passes through unchanged (activations, BatchNorm, Flatten).',
    kinds: ['relu', 'relu6', 'batchnorm2d', 'flatten'], params: [], constraint: '',
  },
  {
    name: 'norm', title: 'Norm', formula: 'R_i = x_i · Σ_o R_o / (k_o · y_o)',
    description: 'Relevance split in proportion to each input’s share of the output (average pooling, Add).',
    kinds: ['avgpool2d', 'global_avgpool2d', 'add'], params: [], constraint: '',
  },
  {
    name: 'gradient', title: 'Gradient', formula: 'R_in = (∂y/∂x)ᵀ R_out',
    description: 'The plain gradient of the layer.',
    kinds: every, params: [], constraint: '',
  },
];

// TITLES are the methods' display names, the fallback of title() until
// composites() gives each method its title.
const TITLES = {
  lrp0: 'LRP-0', epsilon: 'LRP-ε', gamma: 'LRP-γ', zplus: 'LRP-z⁺', alpha2beta1: 'LRP-α2β1',
  epsilon_gamma_box: 'EpsilonGammaBox', epsilon_plus: 'EpsilonPlus', epsilon_plus_flat: 'EpsilonPlusFlat',
  epsilon_alpha2beta1: 'EpsilonAlpha2Beta1', epsilon_alpha2beta1_flat: 'EpsilonAlpha2Beta1Flat',
  montavon: 'Montavon et al.', wsquare_first: 'w² first', gradient: 'Gradient', gradient_x_input: 'Gradient × input',
  smoothgrad: 'SmoothGrad', integrated_gradients: 'Integrated gradients', taylor: 'Taylor',
  single_pixel: 'Single pixel', uniform: 'Uniform',
};

// title returns the display name of method: its composites() entry's title
// when the engine gives one, else the local table's, else the name itself.
export function title(method, composites) {
  return composites?.find((c) => c.name === method)?.title || TITLES[method] || method;
}
