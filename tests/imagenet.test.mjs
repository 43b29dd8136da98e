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
    assert.ok(Math.abs(info.boundsLow[c] - (0 - mean[c]) / std[c]) < 1e-6, `low bound ${c}`);
    assert.ok(Math.abs(info.boundsHigh[c] - (1 - mean[c]) / std[c]) < 1e-6, `high bound ${c}`);
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
