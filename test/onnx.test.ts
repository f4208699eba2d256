import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../src/lib/rng';
import { buildOnnx, countModel, decodeModel, measureLatency, runBatch, type BuiltModel, type LatencyResult } from '../src/onnx';
import { relativeIndices } from '../src/onnx/graphs/autoformer';
import { fillUniform } from '../src/onnx/graphs/graph';
import { autoformerBSpace, autoformerSSpace, autoformerTSpace } from '../src/spaces/autoformer';
import { nb201Space, type Nb201Arch } from '../src/spaces/nb201';
import { ofaMbv3W10Space, ofaMbv3W12Space, type OfaArch } from '../src/spaces/ofa-mbv3';
import { sposSpace } from '../src/spaces/spos';
import type { SearchSpace } from '../src/spaces/types';

/** One graph configuration: a space, a dataset, and optionally a fixed resolution (OFA). */
interface Case {
  label: string;
  space: SearchSpace<any>;
  dataset: string;
  classes: number;
  resolution?: number;
}

const CASES: Case[] = [
  { label: 'nb201/cifar10', space: nb201Space, dataset: 'cifar10', classes: 10 },
  { label: 'nb201/imagenet16', space: nb201Space, dataset: 'imagenet16', classes: 120 },
  { label: 'ofa-mbv3-w10@160', space: ofaMbv3W10Space, dataset: 'imagenet', classes: 1000, resolution: 160 },
  { label: 'ofa-mbv3-w10@224', space: ofaMbv3W10Space, dataset: 'imagenet', classes: 1000, resolution: 224 },
  { label: 'ofa-mbv3-w12@160', space: ofaMbv3W12Space, dataset: 'imagenet', classes: 1000, resolution: 160 },
  { label: 'ofa-mbv3-w12@224', space: ofaMbv3W12Space, dataset: 'imagenet', classes: 1000, resolution: 224 },
  { label: 'spos-shufflenetv2', space: sposSpace, dataset: 'imagenet', classes: 1000 },
  { label: 'autoformer-t', space: autoformerTSpace, dataset: 'imagenet', classes: 1000 },
  { label: 'autoformer-s', space: autoformerSSpace, dataset: 'imagenet', classes: 1000 },
  { label: 'autoformer-b', space: autoformerBSpace, dataset: 'imagenet', classes: 1000 },
];

const SAMPLES = 5;

function archOf(c: Case, k: number): unknown {
  const arch = c.space.sample(Rng.fromSeed(k));
  return c.resolution === undefined ? arch : { ...(arch as OfaArch), r: c.resolution };
}

function randomInput(shape: readonly number[], seed: number): Float32Array {
  const rng = Rng.fromSeed(seed);
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = 2 * rng.next() - 1;
  return data;
}

/** Exact agreement, or (for a float summed in another order) within 1e-6 relative. */
function agrees(actual: number, expected: number): boolean {
  return actual === expected || Math.abs(actual - expected) <= 1e-6 * Math.abs(expected);
}

for (const c of CASES) {
  test(`${c.label}: FLOPs and params counted from the graph equal cost() for ${SAMPLES} sampled architectures`, () => {
    for (let k = 0; k < SAMPLES; k++) {
      const arch = archOf(c, k);
      const built = buildOnnx(c.space.name, arch, c.dataset, { seed: k });
      const expected = c.space.cost(arch, c.dataset);
      const what = `${c.label} sample ${k} (${c.space.format(arch)})`;
      assert.ok(agrees(built.flopsM, expected.flopsM), `${what}: graph ${built.flopsM} MFLOPs, cost() ${expected.flopsM}`);
      assert.ok(agrees(built.paramsM, expected.paramsM), `${what}: graph ${built.paramsM} M params, cost() ${expected.paramsM}`);
    }
  });
}

async function forward(built: BuiltModel, outputs: string[]): Promise<Record<string, Float32Array>> {
  return runBatch(built.model, randomInput(built.inputShape, 7), built.inputShape, outputs);
}

for (const c of CASES) {
  test(`${c.label}: the model loads in onnxruntime and a batch-1 forward pass gives finite logits`, async () => {
    const built = buildOnnx(c.space.name, archOf(c, 1), c.dataset, { seed: 1 });
    assert.equal(built.inputShape[0], 1);
    if (c.resolution !== undefined) assert.deepEqual(built.inputShape, [1, 3, c.resolution, c.resolution]);
    const out = await forward(built, built.outputs);
    const logits = out[built.outputs[0]!]!;
    assert.equal(logits.length, c.classes);
    assert.ok(logits.every(Number.isFinite), 'logits are finite');
    assert.ok(logits.some((v) => v !== 0), 'logits are not all zero');
  });
}

test('the model is ONNX IR 8 / opset 17 from collm-nas with a symbolic batch, and counts the same decoded or not', () => {
  const built = buildOnnx('spos-shufflenetv2', sposSpace.sample(Rng.fromSeed(3)), 'imagenet');
  const m = decodeModel(built.model);
  assert.equal(m.irVersion, 8);
  assert.equal(m.opset, 17);
  assert.equal(m.producerName, 'collm-nas');
  assert.deepEqual(m.inputs.map((i) => [i.name, i.shape]), [[built.inputName, ['N', 3, 224, 224]]]);
  assert.deepEqual(m.outputs.map((o) => o.shape), [['N', 1000]]);
  const counted = countModel(m);
  assert.equal(counted.flopsM, built.flopsM);
  assert.equal(counted.paramsM, built.paramsM);
  // Every value has a shape: the counter never has to guess.
  const shaped = new Set([...m.valueInfo, ...m.inputs, ...m.outputs].map((v) => v.name));
  for (const n of m.nodes) for (const o of n.outputs) assert.ok(shaped.has(o) || n.opType === 'Constant', `no shape for ${o}`);
});

test('the same architecture and seed give byte-identical models; another seed changes only the weights', () => {
  const nb = nb201Space.sample(Rng.fromSeed(11));
  const a = buildOnnx('nb201', nb, 'cifar10', { seed: 4 });
  const b = buildOnnx('nb201', nb, 'cifar10', { seed: 4 });
  assert.deepEqual(a.model, b.model);
  const other = buildOnnx('nb201', nb, 'cifar10', { seed: 5 });
  assert.notDeepEqual(a.model, other.model);
  assert.equal(other.model.length, a.model.length);
  const ofa = ofaMbv3W12Space.sample(Rng.fromSeed(2));
  assert.deepEqual(buildOnnx('ofa-mbv3-w12', ofa, 'imagenet', { seed: 9 }).model, buildOnnx('ofa-mbv3-w12', ofa, 'imagenet', { seed: 9 }).model);
  // The text form builds the same model as the JSON form.
  assert.deepEqual(buildOnnx('nb201', nb201Space.format(nb), 'cifar10', { seed: 4 }).model, a.model);
});

test("NB201: 'none' edges, zero nodes and edges off every input-output path give valid graphs that count like cost()", async () => {
  const archs: Nb201Arch[] = [
    ['none', 'none', 'none', 'none', 'none', 'none'], // every node is zero
    ['nor_conv_3x3', 'none', 'none', 'skip_connect', 'none', 'none'], // node 1's conv feeds nothing
    ['none', 'none', 'nor_conv_1x1', 'none', 'none', 'nor_conv_3x3'], // convs read the zero node 1
    ['avg_pool_3x3', 'none', 'none', 'none', 'nor_conv_3x3', 'none'],
  ];
  for (const arch of archs) {
    const built = buildOnnx('nb201', arch, 'cifar10');
    const cost = nb201Space.cost(arch, 'cifar10');
    assert.equal(built.flopsM, cost.flopsM, arch.join(','));
    assert.equal(built.paramsM, cost.paramsM, arch.join(','));
    const logits = (await forward(built, built.outputs))[built.outputs[0]!]!;
    assert.equal(logits.length, 10);
    assert.ok(logits.every(Number.isFinite), arch.join(','));
  }
});

test('exposeActivations adds every ReLU output (NB201), ReLU and h-swish (OFA), GELU input (AutoFormer) as outputs', async () => {
  // No zero nodes (a ReLU reading one is rightly all zeros, see the test above).
  const nb: Nb201Arch = ['nor_conv_3x3', 'nor_conv_1x1', 'avg_pool_3x3', 'skip_connect', 'nor_conv_3x3', 'nor_conv_1x1'];
  const plain = buildOnnx('nb201', nb, 'imagenet16');
  assert.deepEqual(plain.activationOutputs, []);
  const built = buildOnnx('nb201', nb, 'imagenet16', { exposeActivations: true });
  const m = decodeModel(built.model);
  const relus = m.nodes.filter((n) => n.opType === 'Relu').map((n) => n.outputs[0]);
  assert.deepEqual(built.activationOutputs, relus);
  assert.equal(built.flopsM, plain.flopsM);
  const batch = 3;
  const shape = [batch, ...built.inputShape.slice(1)];
  const out = await runBatch(built.model, randomInput(shape, 1), shape, built.activationOutputs);
  // Each output has the size its declared shape gives (onnxruntime-node has mislabelled outputs before).
  const declared = new Map(m.outputs.map((o) => [o.name, o.shape.slice(1).reduce<number>((x, d) => x * (d as number), batch)]));
  for (const name of built.activationOutputs) {
    const a = out[name]!;
    assert.equal(a.length, declared.get(name), name);
    const positive = a.filter((v) => v > 0).length / a.length;
    assert.ok(a.every((v) => v >= 0 && Number.isFinite(v)), name);
    // Random weights at He scale: ReLUs are neither dead nor always on.
    assert.ok(positive > 0.1 && positive < 0.9, `${name}: ${positive} positive`);
  }

  const ofa = decodeModel(buildOnnx('ofa-mbv3-w10', ofaMbv3W10Space.sample(Rng.fromSeed(4)), 'imagenet', { exposeActivations: true }).model);
  const ofaActs = ofa.nodes.filter((n) => n.opType === 'Relu' || n.opType === 'HardSwish').length;
  assert.equal(ofa.outputs.length, 1 + ofaActs);

  const af = autoformerTSpace.sample(Rng.fromSeed(4)) as { depth: number };
  assert.equal(buildOnnx('autoformer-t', af, 'imagenet', { exposeActivations: true }).activationOutputs.length, af.depth);
});

test('measureLatency times a small model: positive, p10 <= median <= p90', async () => {
  const built = buildOnnx('nb201', nb201Space.sample(Rng.fromSeed(0)), 'imagenet16');
  const r = await measureLatency(built.model, built.inputShape, { batch: 2, warmup: 2, repeats: 15, intraOpThreads: 1 });
  assert.ok(r.p10Ms > 0);
  assert.ok(r.p10Ms <= r.medianMs && r.medianMs <= r.p90Ms, JSON.stringify(r));
  assert.ok(r.cv >= 0 && Number.isFinite(r.cv));
  assert.equal(r.repeats, 15);
  assert.equal(r.batch, 2);
  assert.ok(r.peakRssMB > 0);
});

test('measureLatency measures one model at a time: a second call times its runs only after the first has finished', async () => {
  const built = buildOnnx('nb201', nb201Space.sample(Rng.fromSeed(1)), 'cifar10');
  const repeats = 20;
  const options = { batch: 4, warmup: 1, repeats, intraOpThreads: 1 };
  const done: number[] = [];
  const timed = (): Promise<LatencyResult> => measureLatency(built.model, built.inputShape, options).then((r) => (done.push(performance.now()), r));
  const [, second] = await Promise.all([timed(), timed()]);
  // Side by side the two would finish together; one after the other, at least
  // the second's own timed runs (each >= its p10 but for one in ten) lie between.
  assert.ok(done[1]! - done[0]! >= 0.9 * repeats * second.p10Ms, `${done[1]! - done[0]!} ms between, runs of ${second.p10Ms} ms`);

  // A measurement that fails does not hold up the ones behind it.
  await assert.rejects(measureLatency(built.model, built.inputShape, { ...options, batch: 0 }), /batch and repeats must be positive/);
  assert.equal((await measureLatency(built.model, built.inputShape, options)).repeats, repeats);
});

test('weights come from Rng.fromSeed: the fast fill gives exactly the Rng stream', () => {
  const state = Rng.fromSeed(42).state();
  const fast = new Float32Array(1000);
  const after = fillUniform(state, fast, 0.5);
  const rng = Rng.fromSeed(42);
  for (let i = 0; i < fast.length; i++) assert.equal(fast[i], Math.fround((2 * rng.next() - 1) * 0.5));
  assert.deepEqual(after, rng.state());
});

test('AutoFormer relative-position indices: class token row and column 0, clipped distances shifted by max + 1', () => {
  const { v, h } = relativeIndices(196, 14);
  const t = 197;
  assert.equal(v.length, t * t);
  for (let j = 0; j < t; j++) {
    assert.equal(v[j], 0);
    assert.equal(h[j * t], 0);
  }
  // Query patch 0 (row 0, col 0) to key patch 15 (row 1, col 1): one down, one right.
  assert.equal(v[1 * t + 16], 1 + 15);
  assert.equal(h[1 * t + 16], 1 + 15);
  // Same patch: distance 0.
  assert.equal(v[20 * t + 20], 15);
  assert.ok(Math.max(...v, ...h) <= 29 && Math.min(...v.filter((x) => x > 0)) >= 2);
});

test('unknown spaces and datasets are refused with the choices', () => {
  assert.throws(() => buildOnnx('nope', [], 'cifar10'), /spaces with graphs: nb201/);
  assert.throws(() => buildOnnx('spos-shufflenetv2', sposSpace.sample(Rng.fromSeed(0)), 'cifar10'), /imagenet only/);
  assert.throws(() => buildOnnx('nb201', nb201Space.sample(Rng.fromSeed(0)), 'imagenet'), /cifar10, cifar100, imagenet16 only/);
});
