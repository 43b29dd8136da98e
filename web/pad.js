// pad.js: the input card's drawing pad. It owns the #pad canvas and what
// goes onto it: strokes of a mouse, finger or pen (pointer events,
// coalesced moves), an opened image, webcam frames, and the undo stack.
// It computes nothing: it tells the page when the pad changed, and the
// page reads the pixels (read()) when it sends them to be explained.
//
// state.source ('draw' | 'image' | 'webcam'), state.inked (the pad holds
// something to explain) and state.drawing (the pointer of the stroke in
// progress) are the pad's; it reads state.model.
//
// A digit model (info.digit: one 28×28 grey digit) reads a photo or a
// webcam frame as if it were a digit. The pad says so in the Prediction
// card (#image-notice), with how to explain photos instead, and offers the
// digit preprocessing (find the digit, crop and centre it, as MNIST) as a
// choice for them: mode() is the preprocessing of the pad's pixels.
import { $ } from './dom.js';

// createPad binds the pad. on.explain(move, eventTime) asks for an
// explanation (move: the performance.now() of the pointer move that asked,
// null for any other reason), on.settled() says a stroke, image or webcam
// session ended, on.emptied() that the pad holds nothing any more,
// on.error(msg) shows a problem with the input ('' clears it), and
// on.busy() tells whether the live explanation is still running (a
// webcam frame waits for it).
export function createPad(state, on) {
  const pad = $('pad');
  const ctx = pad.getContext('2d', { willReadFrequently: true });
  const undoStack = [];
  let paper = '#fff';
  let ink = '#111';

  // reset clears the pad to the paper colour, at a new size when given.
  function reset(width, height) {
    const css = getComputedStyle(document.documentElement);
    paper = css.getPropertyValue('--paper').trim() || '#fff';
    ink = css.getPropertyValue('--ink').trim() || '#111';
    if (width && (pad.width !== width || pad.height !== height)) {
      pad.width = width;
      pad.height = height;
      pad.style.aspectRatio = `${width} / ${height}`;
      undoStack.length = 0;
      $('undo').disabled = true;
    }
    ctx.fillStyle = paper;
    ctx.fillRect(0, 0, pad.width, pad.height);
    setInked(false);
  }

  function setSource(s) {
    state.source = s;
    notice();
  }

  // notice shows #image-notice while a photo or webcam frame is on the pad
  // of a digit model.
  function notice() {
    const m = state.model;
    const show = !!m?.info.digit && (state.source === 'image' || state.source === 'webcam');
    $('image-notice').hidden = !show;
    if (!show) return;
    const who = m.builtin ? 'The built-in model' : `This model (${m.name})`;
    const what = state.source === 'webcam' ? 'A webcam frame' : 'A photo';
    $('image-notice-text').textContent = `${who} reads handwritten digits: one digit, grey, 28×28 pixels. ${what} is read as if it were a digit, ` +
      'so the prediction and the heatmap say little about it. To explain photos, drop an image classifier on the page: an ONNX or safetensors file.';
  }

  // mode is the preprocessing of the pad's pixels: a digit model's for a
  // drawing, and for a photo or webcam frame unless #digit-prep is
  // unticked ('image': the whole picture, grey, resized to 28×28).
  function mode() {
    if (!state.model?.info.digit) return 'image';
    return state.source === 'draw' || $('digit-prep').checked ? 'digit' : 'image';
  }
  $('digit-prep').addEventListener('change', () => state.inked && on.explain(null));

  function setInked(v) {
    state.inked = v;
    $('pad-empty').hidden = v || state.source === 'webcam';
    if (!v) on.emptied();
  }

  function pushUndo() {
    undoStack.push({ image: ctx.getImageData(0, 0, pad.width, pad.height), inked: state.inked });
    if (undoStack.length > 30) undoStack.shift();
    $('undo').disabled = false;
  }

  function undo() {
    const u = undoStack.pop();
    $('undo').disabled = undoStack.length === 0;
    if (!u) return;
    ctx.putImageData(u.image, 0, 0);
    setInked(u.inked);
    if (u.inked) on.explain(null);
  }

  // point maps a pointer event to pad pixels. The pad's box r is measured
  // once per stroke: measuring on every move would force a layout each time.
  function point(e, r) {
    return [((e.clientX - r.left) / r.width) * pad.width, ((e.clientY - r.top) / r.height) * pad.height];
  }

  pad.addEventListener('pointerdown', (e) => {
    if (state.drawing || state.source === 'webcam' || !state.model) return;
    if (e.pointerType === 'mouse' && e.button !== 0) return;
    e.preventDefault();
    pad.setPointerCapture(e.pointerId);
    pushUndo();
    if (state.source !== 'draw') setSource('draw');
    const rect = pad.getBoundingClientRect();
    const [x, y] = point(e, rect);
    state.drawing = { id: e.pointerId, x, y, rect };
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.strokeStyle = ink;
    ctx.fillStyle = ink;
    ctx.lineWidth = Number($('brush').value) * (pad.width / 280);
    ctx.beginPath();
    ctx.arc(x, y, ctx.lineWidth / 2, 0, 2 * Math.PI);
    ctx.fill();
    if (!state.inked) setInked(true);
    on.explain(performance.now(), e.timeStamp);
  });
  pad.addEventListener('pointermove', (e) => {
    const d = state.drawing;
    if (!d || e.pointerId !== d.id) return;
    const t = performance.now();
    ctx.beginPath();
    ctx.moveTo(d.x, d.y);
    for (const ev of e.getCoalescedEvents?.() ?? [e]) {
      [d.x, d.y] = point(ev, d.rect);
      ctx.lineTo(d.x, d.y);
    }
    ctx.stroke();
    on.explain(t, e.timeStamp);
  });
  const end = (e) => {
    if (!state.drawing || e.pointerId !== state.drawing.id) return;
    state.drawing = null;
    on.explain(null);
    on.settled();
  };
  pad.addEventListener('pointerup', end);
  pad.addEventListener('pointercancel', end);
  $('undo').addEventListener('click', undo);
  $('clear').addEventListener('click', () => {
    stopWebcam();
    pushUndo();
    reset();
  });

  // drawSource draws an image, bitmap or video frame onto the pad: the whole
  // of it for digits ("contain"), a centre crop filling the pad for image
  // models ("cover", as the usual resize-and-crop).
  function drawSource(src, w, h) {
    const contain = state.model?.info.digit;
    const s = contain ? Math.min(pad.width / w, pad.height / h) : Math.max(pad.width / w, pad.height / h);
    ctx.fillStyle = paper;
    ctx.fillRect(0, 0, pad.width, pad.height);
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(src, (pad.width - w * s) / 2, (pad.height - h * s) / 2, w * s, h * s);
  }

  async function openImage(file) {
    let bmp;
    try {
      bmp = await createImageBitmap(file);
    } catch {
      on.error(`${file.name}: this browser cannot read it as an image.`);
      return;
    }
    on.error('');
    stopWebcam();
    pushUndo();
    drawSource(bmp, bmp.width, bmp.height);
    bmp.close();
    setSource('image');
    setInked(true);
    on.explain(null);
    on.settled();
  }

  // ---------------------------------------------------------------- webcam

  const video = $('camera');
  let stream = null;
  let frameLoop = 0;

  async function startWebcam() {
    if (!navigator.mediaDevices?.getUserMedia) {
      on.error('This browser offers no camera access here.');
      return;
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
    } catch (err) {
      on.error(`The camera could not start: ${err.message || err.name}.`);
      return;
    }
    on.error('');
    pushUndo();
    setSource('webcam');
    $('pad-empty').hidden = true;
    video.srcObject = stream;
    await video.play().catch(() => {});
    setWebcamButton(true);
    // Each frame is drawn over the previous one on the pad and explained when
    // the worker is free; nothing is recorded or kept.
    const frame = () => {
      if (!stream) return;
      if (video.readyState >= 2 && !on.busy()) {
        drawSource(video, video.videoWidth, video.videoHeight);
        if (!state.inked) setInked(true);
        on.explain(null);
      }
      frameLoop = requestAnimationFrame(frame);
    };
    frameLoop = requestAnimationFrame(frame);
  }

  function stopWebcam() {
    if (!stream) return;
    cancelAnimationFrame(frameLoop);
    for (const t of stream.getTracks()) t.stop();
    stream = null;
    video.srcObject = null;
    setSource('image');
    setWebcamButton(false);
    on.settled();
  }

  function setWebcamButton(pressed) {
    const b = $('webcam');
    b.setAttribute('aria-pressed', String(pressed));
    b.textContent = pressed ? 'Stop webcam' : 'Start webcam';
  }

  $('webcam').addEventListener('click', () => (stream ? stopWebcam() : startWebcam()));

  return {
    reset,
    // fit resets the pad to width×height unless it has that size already.
    fit(width, height) {
      if (pad.width !== width || pad.height !== height) reset(width, height);
    },
    openImage,
    read: () => ctx.getImageData(0, 0, pad.width, pad.height),
    mode,
    // notice follows a new model.
    notice,
    // streaming: the webcam is on.
    get streaming() {
      return stream !== null;
    },
  };
}
