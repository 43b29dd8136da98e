// files.js: the ways a file reaches the page: the image, model and class
// names file inputs, the built-in model button, and a file dropped
// anywhere on the page (an image goes to the pad, a .txt or .json file
// holds the model's class names, anything else is opened as a model).
import { $ } from './dom.js';

function isImageFile(f) {
  return f.type.startsWith('image/') || /\.(png|jpe?g|gif|webp|bmp|avif)$/i.test(f.name);
}

function isNamesFile(f) {
  return /\.(txt|json)$/i.test(f.name) || f.type === 'text/plain' || f.type === 'application/json';
}

// bindFiles sends image files to open.openImage(file), model files to
// open.openModel(file), class names files to open.openLabels(file), and
// the built-in model button to open.openBuiltin().
export function bindFiles(open) {
  const picked = (e, use) => {
    const f = e.target.files[0];
    e.target.value = '';
    if (f) use(f);
  };
  $('image-file').addEventListener('change', (e) => picked(e, open.openImage));
  $('model-file').addEventListener('change', (e) => picked(e, open.openModel));
  $('labels-file').addEventListener('change', (e) => picked(e, open.openLabels));
  $('model-builtin').addEventListener('click', () => open.openBuiltin());
  const hasFiles = (e) => [...(e.dataTransfer?.types ?? [])].includes('Files');
  document.addEventListener('dragover', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    document.body.classList.add('dragging');
  });
  document.addEventListener('dragleave', (e) => {
    if (!e.relatedTarget) document.body.classList.remove('dragging');
  });
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    document.body.classList.remove('dragging');
    const f = e.dataTransfer?.files?.[0];
    if (!f) return;
    if (isImageFile(f)) open.openImage(f);
    else if (isNamesFile(f)) open.openLabels(f);
    else open.openModel(f);
  });
}
