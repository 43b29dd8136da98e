// dom.js: the small helpers every module of the page uses to make and
// update elements and to print numbers. No state.

export const $ = (id) => document.getElementById(id);

export const el = (tag, props = {}, ...kids) => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...kids);
  return e;
};

// setText and setStyle touch the DOM only on a change: results arrive at up
// to 60 per second while drawing, and every write costs a style recalc.
export const setText = (e, v) => {
  if (e.textContent !== v) e.textContent = v;
};
export const setStyle = (e, prop, v) => {
  if (e.style[prop] !== v) e.style[prop] = v;
};

export const fmt = (v, digits = 4) => (Number.isFinite(v) ? (Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : Number(v.toPrecision(digits)).toString()) : String(v));
export const ms = (v) => (Number.isFinite(v) ? `${v < 10 ? v.toFixed(2) : v.toFixed(0)} ms` : '–');
export const mb = (n) => (n < 2 ** 20 ? `${Math.max(1, Math.round(n / 1024))} KB` : `${(n / 2 ** 20).toFixed(n < 10 * 2 ** 20 ? 1 : 0)} MB`);

// showError shows msg in the note with this id, or hides the note when msg is empty.
export function showError(id, msg) {
  const e = $(id);
  setText(e, msg);
  if (e.hidden !== !msg) e.hidden = !msg;
}

// putRGBA draws RGBA pixels (w×h) on a canvas, sized to them.
export function putRGBA(canvas, rgba, w, h) {
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  const data = rgba instanceof Uint8ClampedArray ? rgba : new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  canvas.getContext('2d').putImageData(new ImageData(data, w, h), 0, 0);
}

// download offers blob to the user as a file named name.
export function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}
