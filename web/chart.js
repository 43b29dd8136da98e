// chart.js: the perturbation curves of the evaluation panel on a canvas:
// the class logit against the patches removed (ROAD: the percentage of
// pixels removed, 10 … 90 %), one line per method (MoRF;
// LeRF too on request, thinner and faded), with axes and ticks, at the
// screen's pixel density. Every method has a colour and a dash pattern of
// its own (curveStyle), so that thirteen lines, some of which coincide
// (LRP-0 and gradient × input on a ReLU network), can be told apart, in
// colour or not; the legend is the page's (evaluation.js), drawn with
// lineSample. It draws only what it is given.
import { fmt } from './dom.js';

// Twelve colours at least ΔE₇₆ = 27 apart, readable on the light and the
// dark background, and twelve dash patterns: a method is told by either.
const colors = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#17becf', '#8c564b', '#e377c2', '#7f7f00', '#bcbd22', '#4b4bd8', '#00a86b'];
const dashes = [[], [8, 4], [2, 3], [10, 3, 2, 3], [5, 5], [1, 4], [12, 4, 4, 4], [6, 2, 2, 2, 2, 2], [3, 6], [14, 5], [8, 3, 1, 3, 1, 3], [4, 2]];

// curveStyle is the colour and dash pattern of the i-th method m; the
// random order is drawn dotted in the page's muted colour. Methods past
// the twelfth repeat a colour with another dash.
export function curveStyle(m, i) {
  if (m === 'random') return { color: getComputedStyle(document.documentElement).getPropertyValue('--muted').trim(), dash: [1, 2] };
  return { color: colors[i % colors.length], dash: dashes[(i + Math.floor(i / colors.length)) % dashes.length] };
}

// lineSample returns a small SVG line in style ({color, dash}), for the
// legend and the table; bold makes it as thick as a highlighted curve.
export function lineSample({ color, dash }, bold = false) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('width', '30');
  svg.setAttribute('height', '10');
  svg.setAttribute('aria-hidden', 'true');
  svg.classList.add('line-sample');
  const line = document.createElementNS(ns, 'line');
  for (const [k, v] of Object.entries({ x1: 1, y1: 5, x2: 29, y2: 5, stroke: color, 'stroke-width': bold ? 3 : 2, 'stroke-dasharray': dash.join(' ') || 'none' })) line.setAttribute(k, String(v));
  svg.append(line);
  return svg;
}

// drawCurves plots res, an evaluation ({target, patch, patches, steps,
// removed, fill, methods: [{method, morf, lerf}]}), on canvas. styles are
// the methods' curveStyles, hidden the methods not drawn, current the
// method drawn thick and on top, yLabel the y axis title, and lerf whether
// the LeRF curves are drawn too. Point k of a curve is drawn at the
// patches removed, removed[k] (k when not given), or for ROAD at the
// percentage of pixels removed, 100·removed[k]/patches. It returns
// {widths, xLabel}: the line width of each method drawn, and the x axis's
// title.
export function drawCurves(canvas, res, { styles, hidden = new Set(), current, yLabel, lerf }) {
  const css = getComputedStyle(document.documentElement);
  const text = css.getPropertyValue('--text').trim();
  const muted = css.getPropertyValue('--muted').trim();
  const line = css.getPropertyValue('--line').trim();
  const W = canvas.clientWidth || 640;
  const font = '12px system-ui, sans-serif';
  const H = W >= 560 ? Math.max(260, Math.round(W * 0.5)) : Math.round(W * 0.7);
  const dpr = window.devicePixelRatio || 1;
  canvas.style.height = `${H}px`;
  canvas.width = Math.round(W * dpr);
  canvas.height = Math.round(H * dpr);
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, W, H);

  const shown = res.methods.map((c, i) => ({ c, i })).filter(({ c }) => !hidden.has(c.method));
  const road = res.fill === 'road';
  const m = { left: 52, right: road ? 22 : 12, top: 14, bottom: 42 }; // room for the last tick's "90 %"
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  let lo = Infinity;
  let hi = -Infinity;
  for (const { c } of shown) for (const v of lerf ? [...c.morf, ...c.lerf] : c.morf) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
  if (!shown.length) [lo, hi] = [0, 1];
  const yt = niceTicks(lo, hi, 5);
  [lo, hi] = [yt[0], yt.at(-1)];
  const at = (k) => { // the x value of point k
    const r = res.removed?.[k] ?? k;
    return road ? (100 * r) / res.patches : r;
  };
  const xMax = Math.ceil(at(res.steps)) || 1; // ROAD's last point, ⌊0.9·pixels⌋, is drawn just left of 90 %
  const X = (k) => m.left + (at(k) / xMax) * pw;
  const xAt = (v) => m.left + (v / xMax) * pw;
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
  for (const v of niceTicks(0, xMax, W >= 560 ? (road ? 9 : 8) : 5).filter((v) => v <= xMax + 1e-9)) {
    const x = Math.round(xAt(v)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(x, m.top + ph);
    ctx.lineTo(x, m.top + ph + 4);
    ctx.stroke();
    ctx.fillText(road ? `${v} %` : String(v), x, m.top + ph + 6);
  }
  ctx.strokeStyle = muted;
  ctx.beginPath();
  ctx.moveTo(m.left + 0.5, m.top);
  ctx.lineTo(m.left + 0.5, m.top + ph + 0.5);
  ctx.lineTo(m.left + pw, m.top + ph + 0.5);
  ctx.stroke();
  ctx.fillStyle = text;
  const xLabel = road
    ? 'pixels removed, percentiles of the relevance (ROAD: imputed from their neighbours)'
    : `patches removed (${res.patch}×${res.patch}, ${res.fill} fill)`;
  ctx.fillText(xLabel, m.left + pw / 2, m.top + ph + 24);
  ctx.save();
  ctx.translate(13, m.top + ph / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = 'middle';
  ctx.fillText(yLabel, 0, 0);
  ctx.restore();

  const widths = {};
  const curve = (c, i, v, faded) => {
    const { color, dash } = styles[i];
    const w = c.method === current ? 3.5 : 1.75;
    ctx.strokeStyle = color;
    ctx.globalAlpha = faded ? 0.45 : 1;
    ctx.lineWidth = faded ? w * 0.6 : w;
    ctx.setLineDash(dash);
    ctx.beginPath();
    v.forEach((y, k) => (k ? ctx.lineTo(X(k), Y(y)) : ctx.moveTo(X(k), Y(y))));
    ctx.stroke();
    if (!faded) widths[c.method] = w;
  };
  ctx.save();
  ctx.beginPath();
  ctx.rect(m.left, m.top - 2, pw + 2, ph + 4);
  ctx.clip();
  ctx.lineJoin = 'round';
  // The current method last, on top of the others.
  const order = [...shown.filter(({ c }) => c.method !== current), ...shown.filter(({ c }) => c.method === current)];
  if (lerf) for (const { c, i } of order) if (c.method !== 'random') curve(c, i, c.lerf, true);
  for (const { c, i } of order) curve(c, i, c.morf, false);
  ctx.restore();
  ctx.setLineDash([]);
  ctx.globalAlpha = 1;
  return { widths, xLabel };
}

// niceTicks returns about n round values spanning lo…hi (1, 2 or 5 × 10ᵏ apart).
export function niceTicks(lo, hi, n) {
  if (!(hi > lo)) [lo, hi] = [lo - 1, hi + 1];
  const raw = (hi - lo) / n;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * p).find((s) => s >= raw);
  const ticks = [];
  for (let v = Math.floor(lo / step) * step; v <= hi + step * 1e-9 || ticks.length < 2; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks.at(-1) < hi) ticks.push(Number((ticks.at(-1) + step).toPrecision(12)));
  return ticks;
}
