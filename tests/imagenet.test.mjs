// A torchvision ResNet-18 export through the JS API (issue 18): no
// normalization in its graph, 1,000 outputs. loadModel's info says that
// ImageNet's class names and mean and std are assumed, and preprocess
// feeds the model (p/255 − mean[c]) / std[c].
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { init } from '../web/lrp.js';

const resnet = new URL('../model/testdata/onnx/resnet18_narrow.onnx', import.meta.url);

test('a torchvision export loads with ImageNet names and normalization assumed', async () => {
  const lrp = await init();
  const info = await lrp.loadModel(new Uint8Array(readFileSync(resnet)));
  assert.deepEqual(info.inputShape, [3, 224, 224]);
  assert.equal(info.labels.length, 1000);
  assert.equal(info.labels[281], 'tabby');
  assert.equal(info.labelsFrom, 'imagenet');
  assert.equal(info.labelsAssumed, 'imagenet');
  assert.equal(info.normalization, 'imagenet');
  assert.equal(info.normalizationAssumed, 'imagenet');
  assert.equal(info.normalizationDefault, 'imagenet');
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  assert.deepEqual(info.mean, mean);
  assert.deepEqual(info.std, std);
  for (let c = 0; c < 3; c++) {
    assert.ok(Math.abs(info.bounds.low[c] - (0 - mean[c]) / std[c]) < 1e-6, `low bound ${c}`);
    assert.ok(Math.abs(info.bounds.high[c] - (1 - mean[c]) / std[c]) < 1e-6, `high bound ${c}`);
  }

  const w = 224, h = 224;
  const rgba = new Uint8Array(4 * w * h);
  for (let i = 0; i < w * h; i++) rgba.set([i % w, (i / w) | 0, (7 * i) & 255, 255], 4 * i);
  const x = await lrp.preprocess(rgba, w, h, 'image');
  let worst = 0;
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < w * h; i++) {
      worst = Math.max(worst, Math.abs(x[c * w * h + i] - (rgba[4 * i + c] / 255 - mean[c]) / std[c]));
    }
  }
  assert.ok(worst < 1e-6, `model input against (p/255 − mean[c]) / std[c]: worst ${worst}`);

  const r = await lrp.explain({ rgba, width: w, height: h }, {});
  assert.equal(r.top[0].label, info.labels[r.top[0].index]);
});

// configure changes the normalization and the names the session uses; a
// refused call (NaN through JSON is impossible, so a std of 0, a wrong
// channel count, a names file of the wrong length) changes nothing.
test('configure sets normalization and names, and a refused call changes nothing', async () => {
  const lrp = await init();
  await lrp.loadModel(new Uint8Array(readFileSync(resnet)));
  const w = 224, h = 224;
  const rgba = new Uint8Array(4 * w * h).fill(255);
  for (let i = 0; i < w * h; i++) rgba[4 * i] = 51; // red 0.2, green and blue 1

  let info = await lrp.configure({ normalization: 'none' });
  assert.equal(info.normalization, 'none');
  assert.equal(info.mean, null);
  let x = await lrp.preprocess(rgba, w, h, 'image');
  assert.ok(Math.abs(x[0] - 0.2) < 1e-6 && Math.abs(x[w * h] - 1) < 1e-6, `raw pixels: ${x[0]}, ${x[w * h]}`);

  info = await lrp.configure({ normalization: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.5, 1] } });
  assert.equal(info.normalization, 'custom');
  x = await lrp.preprocess(rgba, w, h, 'image');
  assert.ok(Math.abs(x[0] - (0.2 - 0.5) / 0.25) < 1e-6, `custom red: ${x[0]}`);
  assert.ok(Math.abs(x[w * h] - 1) < 1e-6, `custom green: ${x[w * h]}`);

  const before = JSON.stringify(info);
  await assert.rejects(lrp.configure({ normalization: { mean: [0, 0, 0], std: [1, 0, 1] } }), /std/);
  await assert.rejects(lrp.configure({ normalization: { mean: [0], std: [1] } }), /channel/);
  await assert.rejects(lrp.configure({ labelsFile: 'cat\ndog\n' }), /1000|names/);
  await assert.rejects(lrp.configure({ normalization: NaN }), /NaN|finite/);
  await assert.rejects(lrp.configure('x'.repeat(1 << 24)), /must be an object/);
  await assert.rejects(lrp.configure({ labelsFile: 'x'.repeat(9 << 20) }), /more than the \d+ allowed/);
  const again = await lrp.configure({});
  assert.equal(JSON.stringify(again), before, 'the refused calls changed nothing');

  const names = Array.from({ length: 1000 }, (_, i) => `class ${i}`);
  info = await lrp.configure({ labelsFile: names.join('\n'), normalization: 'default' });
  assert.equal(info.labels[7], 'class 7');
  assert.equal(info.normalization, 'imagenet');
  const r = await lrp.explain({ rgba, width: w, height: h }, {});
  assert.equal(r.top[0].label, `class ${r.top[0].index}`);
});
