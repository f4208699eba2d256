import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, resolveSearchConfig } from '../src/config/resolve';
import { ActivationCodes, inputBatch, logAbsDet, naswotScore, spearman } from '../src/evaluators/naswot';
import { Rng } from '../src/lib/rng';
import { nb201Space } from '../src/spaces/nb201';
import { nb201Table } from './helpers';

test('the kernel counts agreeing units; log |det| and Spearman are right on known cases', () => {
  const codes = new ActivationCodes(3);
  // Three inputs over 40 units in two layers: 0 agrees with 1 on 38 units, with 2 on 0 units.
  const on = new Float32Array(30).fill(1);
  codes.add(0, [on, new Float32Array(10).fill(1)]);
  codes.add(1, [on, Float32Array.from({ length: 10 }, (_, i) => (i < 2 ? -1 : 1))]);
  codes.add(2, [new Float32Array(30).fill(-1), new Float32Array(10).fill(0)]);
  assert.equal(codes.units, 40);
  assert.deepEqual(codes.kernel(), [
    [40, 38, 0],
    [38, 40, 2],
    [0, 2, 40],
  ]);
  assert.throws(() => codes.add(1, [on]), /input 1 has 30 activation units, the first had 40/);
  assert.ok(Math.abs(logAbsDet([[2, 1], [1, 3]]) - Math.log(5)) < 1e-12);
  assert.ok(Math.abs(logAbsDet([[0, 2], [3, 0]]) - Math.log(6)) < 1e-12, 'a pivot is needed');
  assert.equal(logAbsDet([[1, 2], [2, 4]]), -Infinity);
  assert.equal(spearman([1, 2, 3, 4], [10, 20, 30, 40]), 1);
  assert.equal(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1);
  assert.ok(Math.abs(spearman([1, 2, 2, 3], [1, 3, 2, 4]) - 0.9486832980505138) < 1e-12, 'ties get average ranks');
});

test('the inputs: 20 real images per set, normalised; augmented and noise differ from them; seeded', () => {
  const images = inputBatch('cifar10', 'images', 32, 0);
  assert.equal(images.n, 20);
  assert.equal(images.data.length, 20 * 3 * 32 * 32);
  const mean = images.data.reduce((a, b) => a + b, 0) / images.data.length;
  assert.ok(Math.abs(mean) < 1, `normalised mean ${mean}`);
  const augmented = inputBatch('cifar10', 'augmented', 32, 1);
  assert.notDeepEqual(augmented.data, images.data);
  assert.deepEqual(inputBatch('cifar10', 'augmented', 32, 1).data, augmented.data);
  assert.equal(inputBatch('imagenet', 'images', 64, 0).data.length, 20 * 3 * 64 * 64, 'ImageNet samples resized to the input resolution');
});

test('NASWOT ranks NAS-Bench-201 cells with their measured accuracy, deterministically', async () => {
  const rng = Rng.fromSeed(9);
  const archs = Array.from({ length: 30 }, () => nb201Space.sample(rng));
  const scores: number[] = [];
  for (const arch of archs) scores.push((await naswotScore('nb201', arch, 'cifar10', { input: 'images', seed: 0 })).score);
  const acc = archs.map((a) => nb201Table().lookup(nb201Space.format(a), 'cifar10').valAcc);
  const rho = spearman(scores, acc);
  // Mellor et al. report about 0.74 on this benchmark; BENCHMARKS.md has the 1,000-architecture figure.
  assert.ok(rho > 0.4, `Spearman ${rho.toFixed(3)} over 30 cells`);
  assert.equal((await naswotScore('nb201', archs[0], 'cifar10', { input: 'images', seed: 0 })).score, scores[0]);
  assert.notEqual((await naswotScore('nb201', archs[0], 'cifar10', { input: 'noise', seed: 0 })).score, scores[0]);
});

test('supernet spaces default to naswot; a latency device no evaluator measures brings in onnx-cost', () => {
  for (const space of ['spos-shufflenetv2', 'autoformer-t', 'ofa-mbv3-w10']) {
    assert.equal(resolveSearchConfig({ space, budget: 5 }).evaluation.evaluator, 'naswot', space);
  }
  const onnx = resolveSearchConfig({ budget: 5, constraint: { metric: 'latency', max: 2, device: 'onnx:cpu' } });
  assert.equal(onnx.evaluation.evaluator, 'nb201-table');
  assert.equal(onnx.evaluation.costEvaluator, 'onnx-cost');
  assert.deepEqual(onnx.evaluation.costOptions, { warmup: 3, repeats: 10, batch: 16 });
  assert.equal(onnx.evaluation.latencyFrom, 'cost');
  const problems = (raw: unknown): string => {
    try {
      resolveSearchConfig(raw);
      return '';
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      return err.message;
    }
  };
  assert.match(problems({ budget: 5, evaluation: { evaluator: 'onnx-cost' } }), /evaluation\.evaluator: onnx-cost measures costs only/);
  assert.match(problems({ budget: 5, evaluation: { costEvaluator: 'naswot' } }), /evaluation\.costEvaluator: naswot scores accuracy/);
  assert.match(problems({ budget: 5, evaluation: { costEvaluator: 'onnx-cost', costOptions: { repeats: 1 } } }), /evaluation\.costOptions\.repeats/);
  assert.match(problems({ budget: 5, constraint: { metric: 'latency', max: 2, device: 'tpu' } }), /constraint\.device: evaluator nb201-table reports no latency for 'tpu'|nor does any cost evaluator/);
});
