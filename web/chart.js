// chart.js: the perturbation curves of the evaluation panel on a canvas:
// the class logit against the patches removed, one line per method (MoRF
// solid, LeRF dashed on request), with axes, ticks and a legend, at the
// screen's pixel density. It draws only what it is given.
import { fmt } from './dom.js';

const colors = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#bcbd22', '#17becf', '#393b79', '#ad494a', '#637939', '#7b4173'];

// curveColor is the colour of method m, the i-th curve; the random order
// is drawn in the page's muted colour.
export function curveColor(m, i) {
  return m === 'random' ? getComputedStyle(document.documentElement).getPropertyValue('--muted').trim() : colors[i % colors.length];
}

// drawCurves plots res, an evaluation ({target, patch, steps, fill,
// methods: [{method, morf, lerf}]}), on canvas. names are the legend's
// names of res.methods, current the method drawn bold, yLabel the y axis
// title, and lerf whether the LeRF curves are drawn too.
export function drawCurves(canvas, res, { names, current, yLabel, lerf }) {
  const css = getComputedStyle(document.documentElement);
  const text = css.getPropertyValue('--text').trim();
  const muted = css.getPropertyValue('--muted').trim();
  const line = css.getPropertyValue('--line').trim();
  const W = canvas.clientWidth || 640;
  const font = '12px system-ui, sans-serif';
  // The legend sits right of the plot on a wide canvas, below it on a narrow one.
  const side = W >= 560;
  const cols = side ? 1 : 2;
  const legendRows = Math.ceil(names.length / cols);
  const legendW = side ? 190 : W;
  const plotH = side ? Math.max(260, Math.round(W * 0.42)) : Math.round(W * 0.62);
  const H = side ? Math.max(plotH, 24 + 18 * legendRows) : plotH + 12 + 18 * legendRows;
  const dpr = window.devicePixelRatio || 1;
  canvas.style.height = `${H}px`;
  canvas.width = Math.round(W * dpr);
  canvas.height = Math.round(H * dpr);
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, W, H);

  const m = { left: 52, right: side ? legendW + 12 : 12, top: 14, bottom: 42 };
  const pw = W - m.left - m.right;
  const ph = plotH - m.top - m.bottom;
  let lo = Infinity;
  let hi = -Infinity;
  for (const c of res.methods) for (const v of lerf ? [...c.morf, ...c.lerf] : c.morf) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
  const yt = niceTicks(lo, hi, 5);
  [lo, hi] = [yt[0], yt.at(-1)];
  const L = res.steps;
  const X = (k) => m.left + (k / L) * pw;
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
  for (const k of niceTicks(0, L, side ? 8 : 5).filter((k) => k <= L)) {
    const x = Math.round(X(k)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(x, m.top + ph);
    ctx.lineTo(x, m.top + ph + 4);
    ctx.stroke();
    ctx.fillText(String(k), x, m.top + ph + 6);
  }
  ctx.strokeStyle = muted;
  ctx.beginPath();
  ctx.moveTo(m.left + 0.5, m.top);
  ctx.lineTo(m.left + 0.5, m.top + ph + 0.5);
  ctx.lineTo(m.left + pw, m.top + ph + 0.5);
  ctx.stroke();
  ctx.fillStyle = text;
  ctx.fillText(`patches removed (${res.patch}×${res.patch}, ${res.fill} fill)`, m.left + pw / 2, m.top + ph + 24);
  ctx.save();
  ctx.translate(13, m.top + ph / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = 'middle';
  ctx.fillText(yLabel, 0, 0);
  ctx.restore();

  const curve = (c, v, color, dashed) => {
    ctx.strokeStyle = color;
    ctx.lineWidth = c.method === current || c.method === 'random' ? 2.5 : 1.5;
    ctx.setLineDash(dashed ? [5, 4] : c.method === 'random' ? [2, 3] : []);
    ctx.beginPath();
    v.forEach((y, k) => (k ? ctx.lineTo(X(k), Y(y)) : ctx.moveTo(X(k), Y(y))));
    ctx.stroke();
  };
  ctx.save();
  ctx.beginPath();
  ctx.rect(m.left, m.top - 2, pw + 2, ph + 4);
  ctx.clip();
  ctx.lineJoin = 'round';
  if (lerf) res.methods.forEach((c, i) => c.method !== 'random' && curve(c, c.lerf, curveColor(c.method, i), true));
  res.methods.forEach((c, i) => curve(c, c.morf, curveColor(c.method, i), false));
  ctx.restore();
  ctx.setLineDash([]);

  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  const lx = side ? W - legendW : 12;
  const ly = side ? m.top + 6 : plotH + 6;
  const colW = side ? legendW : (W - 12) / cols;
  names.forEach((n, i) => {
    const c = res.methods[i];
    const x = lx + (i % cols) * colW;
    const y = ly + Math.floor(i / cols) * 18 + 6;
    ctx.strokeStyle = curveColor(c.method, i);
    ctx.lineWidth = c.method === current || c.method === 'random' ? 2.5 : 1.5;
    ctx.setLineDash(c.method === 'random' ? [2, 3] : []);
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.lineTo(x + 22, y);
    ctx.stroke();
    ctx.fillStyle = text;
    ctx.font = c.method === current ? `600 ${font}` : font;
    ctx.fillText(n, x + 28, y);
  });
  ctx.setLineDash([]);
  ctx.font = font;
  if (lerf) {
    ctx.fillStyle = muted;
    const y = ly + legendRows * 18 + 10;
    if (side && y < H - 4) ctx.fillText('solid: MoRF · dashed: LeRF', lx, y);
  }
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
