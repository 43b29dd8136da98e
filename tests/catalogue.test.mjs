// Node tests of web/catalogue.js, the page's reading of the engine's
// catalogue: every method's description and title, written for its
// defaults, show the values a user sets (issue 18, point 5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describe, label, num, usedParams } from '../web/catalogue.js';
import { init } from '../web/lrp.js';

const composites = (await init()).composites();

test('num prints parameters as people write them', () => {
  assert.deepEqual([1e-6, 1e-9, 0.25, 2, 1.5, 0, -1].map(num), ['1e-6', '1e-9', '0.25', '2', '1.5', '0', '-1']);
});

test('every value set shows in the description and the label of every method that reads it', () => {
  let written = 0;
  for (const m of composites) {
    for (const p of m.params) {
      const params = { [p.name]: 0.375 };
      const d = describe(m.name, composites, params);
      const l = label(m.name, composites, params);
      assert.match(d, new RegExp(`${p.label}( = )?0\\.375`, 'u'), `${m.name} description with ${p.name}: ${d}`);
      assert.match(l, new RegExp(`${p.label}( = )?0\\.375`, 'u'), `${m.name} label with ${p.name}: ${l}`);
      if (p.default != null && new RegExp(`${p.label}( = )?${num(p.default)}`, 'u').test(m.description)) {
        written++;
        assert.doesNotMatch(d, new RegExp(`${p.label}( = )?${num(p.default)}\\b`, 'u'), `${m.name}: the default ${p.name} is gone`);
      }
    }
  }
  assert.ok(written >= 8, `${written} defaults written in the descriptions`);
});

test('the examples of the issue', () => {
  assert.equal(label('alpha2beta1', composites, { alpha: 1.5, beta: 0.5 }), 'LRP-α1.5β0.5');
  assert.equal(describe('alpha2beta1', composites, { alpha: 1.5, beta: 0.5 }), 'α1.5β0.5 on every dense and conv layer');
  assert.equal(label('epsilon_gamma_box', composites, { epsilon: 0.5 }), 'EpsilonGammaBox (ε = 0.5)');
  assert.match(describe('epsilon_gamma_box', composites, { epsilon: 0.5 }), /ε = 0\.5 on dense layers$/);
  assert.equal(label('epsilon_gamma_box', composites, { gamma: 0.25 }), 'EpsilonGammaBox', 'a default is not repeated');
  assert.deepEqual(usedParams('epsilon_gamma_box', composites, { alpha: 3, beta: 2, gamma: 0.5 }), { gamma: 0.5 }, 'α and β do nothing on EpsilonGammaBox');
  assert.deepEqual(usedParams('gradient', composites, { epsilon: 1 }), {}, 'a baseline reads none');
});
