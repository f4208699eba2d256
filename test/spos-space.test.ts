import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { compactJson } from '../src/lib/json-grammar';
import { Rng } from '../src/lib/rng';
import { BLOCKS, NUM_BLOCKS, costSpos, parseSpos, sposSpace, type SposArch, type SposOp } from '../src/spaces/spos';
import { ArchitectureError } from '../src/spaces/types';

/** The searched architecture in megvii-model/SinglePathOneShot's README: 323M FLOPs, 3.5M params. */
const PUBLISHED: SposArch = { ops: [2, 1, 0, 1, 2, 0, 2, 0, 2, 0, 2, 3, 0, 0, 0, 0, 3, 2, 3, 3] };

const within = (actual: number, expected: number, rel: number) => Math.abs(actual - expected) / expected <= rel;
const allOps = (op: SposOp): SposArch => ({ ops: Array.from({ length: NUM_BLOCKS }, () => op) });

test('the published architecture costs 323 MFLOPs and 3.5 M params (within 2%)', () => {
  const cost = sposSpace.cost(PUBLISHED, 'imagenet');
  assert.ok(within(cost.flopsM, 323, 0.02), `flops ${cost.flopsM}`);
  assert.ok(within(cost.paramsM, 3.5, 0.02), `params ${cost.paramsM}`);
});

test('one op change costs exactly what the block diagram says', () => {
  // Block 19 (stride 1, 7x7, 320 channels per branch): xception replaces [1x1, dw3, 1x1] by
  // [dw3, 1x1] x 3, i.e. two more depthwise 3x3 convs and one more 1x1 conv, each with an affine BN.
  const base = allOps(0);
  const ops = base.ops.slice();
  ops[19] = 3;
  const a = costSpos(base, 'imagenet');
  const b = costSpos({ ops }, 'imagenet');
  const side = 7 * 7;
  const macs = 2 * (9 * 320 * side) + 320 * 320 * side;
  const params = 2 * (9 * 320 + 2 * 320) + (320 * 320 + 2 * 320);
  assert.ok(Math.abs((b.flopsM - a.flopsM) * 1e6 - macs) < 1e-3, `${b.flopsM - a.flopsM}`);
  assert.ok(Math.abs((b.paramsM - a.paramsM) * 1e6 - params) < 1e-3, `${b.paramsM - a.paramsM}`);
  // The search's 330 MFLOPs limit cuts through the space: the cheapest op everywhere is under it, xception everywhere over.
  assert.ok(costSpos(allOps(0), 'imagenet').flopsM < 330);
  assert.ok(costSpos(allOps(3), 'imagenet').flopsM > 330);
});

test('the backbone has the published stage shapes', () => {
  assert.equal(NUM_BLOCKS, 20);
  assert.deepEqual(
    BLOCKS.filter((b) => b.stride === 2).map((b) => [b.index, b.inp, b.out, b.inSide, b.outSide]),
    [
      [0, 16, 64, 112, 56],
      [4, 64, 160, 56, 28],
      [8, 160, 320, 28, 14],
      [16, 320, 640, 14, 7],
    ],
  );
  // Stride-1 blocks read half their input (channel split) and use half their output as the branch width.
  for (const b of BLOCKS.filter((x) => x.stride === 1)) assert.deepEqual([b.inp, b.mid], [b.out / 2, b.out / 2]);
});

test('parse accepts the digit string, the tuple and JSON, and format gives the digits', () => {
  const digits = '21012020202300003233';
  assert.deepEqual(parseSpos(digits), PUBLISHED);
  assert.deepEqual(parseSpos('(2, 1, 0, 1, 2, 0, 2, 0, 2, 0, 2, 3, 0, 0, 0, 0, 3, 2, 3, 3)'), PUBLISHED);
  assert.deepEqual(parseSpos(JSON.stringify(PUBLISHED)), PUBLISHED);
  assert.equal(sposSpace.format(PUBLISHED), digits);
  assert.equal(sposSpace.key(PUBLISHED), digits);
});

test('legality errors name the field and the fix', () => {
  const cases: [string, RegExp, string][] = [
    ['21072020202300003233', /^ops\[3\]: must be 0, 1, 2 or 3 \(got 7\)$/, 'ops[3]'],
    ['2101202020230000323x', /^ops\[19\]: must be 0, 1, 2 or 3 \(got "x"\)$/, 'ops[19]'],
    ['2101202020230000323', /^ops: found 19 ops .* the network has 20 blocks/, 'ops'],
    ['{"ops": [0, 1]}', /^ops: must list 20 ops, one per block \(got 2\)$/, 'ops'],
    ['{"ops": [0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0], "width": 1}', /Unrecognized key/, 'architecture'],
    ['{"ops": [0,', /not valid JSON/, 'architecture'],
  ];
  for (const [text, message, where] of cases) {
    assert.throws(
      () => sposSpace.parse(text),
      (err: unknown) => err instanceof ArchitectureError && message.test(err.message) && (where === '' || err.where === where),
      text,
    );
  }
  assert.throws(() => sposSpace.format({ ops: [0, 1, 2] as SposOp[] }), ArchitectureError);
  assert.throws(() => sposSpace.cost({ ops: [9, ...allOps(0).ops.slice(1)] as SposOp[] }, 'imagenet'), /ops\[0\]: must be 0, 1, 2 or 3/);
  assert.throws(() => sposSpace.cost(PUBLISHED, 'cifar10'), /dataset: unknown SPOS dataset 'cifar10'/);
});

test('parse(format(a)) round-trips and the key separates every architecture', () => {
  const rng = Rng.fromSeed(11);
  const keys = new Set<string>();
  for (let i = 0; i < 300; i++) {
    const arch = sposSpace.sample(rng);
    assert.deepEqual(sposSpace.parse(sposSpace.format(arch)), arch);
    keys.add(sposSpace.key(arch));
  }
  assert.equal(keys.size, 300, '4^20 architectures: 300 random draws should all differ');
});

test('sampling and mutation are seeded, legal, and a mutation changes one block', () => {
  const draw = (seed: number) => {
    const rng = Rng.fromSeed(seed);
    const out: string[] = [];
    for (let i = 0; i < 20; i++) {
      const a = sposSpace.sample(rng);
      out.push(sposSpace.format(a), sposSpace.format(sposSpace.mutate(a, rng)));
    }
    return out;
  };
  assert.deepEqual(draw(7), draw(7));
  assert.notDeepEqual(draw(7), draw(8));
  const rng = Rng.fromSeed(1);
  const seen = Array.from({ length: NUM_BLOCKS }, () => new Set<number>());
  for (let i = 0; i < 500; i++) {
    const parent = sposSpace.sample(rng);
    parent.ops.forEach((op, b) => seen[b]!.add(op));
    const child = sposSpace.mutate(parent, rng);
    assert.equal(child.ops.filter((op, b) => op !== parent.ops[b]).length, 1, 'a mutation changes exactly one block');
    assert.equal(sposSpace.schema.safeParse(child).success, true);
    assert.equal(sposSpace.schema.safeParse(parent).success, true);
  }
  for (const s of seen) assert.equal(s.size, 4, 'every op is sampled at every block');
});

test('the JSON schema converts for the LLM and keeps the block count', () => {
  const json = z.toJSONSchema(sposSpace.schema) as { properties: { ops: { minItems: number; maxItems: number; items: { enum: number[] } } } };
  assert.equal(json.properties.ops.minItems, 20);
  assert.equal(json.properties.ops.maxItems, 20);
  assert.deepEqual(json.properties.ops.items.enum, [0, 1, 2, 3]);
  assert.ok(compactJson(z.toJSONSchema(z.object({ candidates: z.array(sposSpace.schema) })) as Record<string, unknown>));
  // The schema is what checks an LLM's answer: its issues carry the same path.
  const bad = sposSpace.schema.safeParse({ ops: [0, 0, 0, 7, ...allOps(0).ops.slice(4)] });
  assert.equal(bad.success, false);
  assert.deepEqual(bad.error?.issues[0]?.path, ['ops', 3]);
});

test('the prompt texts describe the space without naming a dataset or benchmark', () => {
  const text = [sposSpace.description, sposSpace.jsonFormat, ...sposSpace.dimensions].join('\n');
  assert.doesNotMatch(text, /imagenet|cifar|SPOS|one-shot|single path one|top-1/i);
  assert.equal(sposSpace.dimensions.length, 4);
  assert.match(sposSpace.description, /shuffle 3x3/);
  // The example in jsonFormat is itself legal.
  const example = JSON.parse(/e\.g\. (\{.*\})$/.exec(sposSpace.jsonFormat)![1]!);
  assert.equal(sposSpace.schema.safeParse(example).success, true);
  assert.equal(sposSpace.name, 'spos-shufflenetv2');
  assert.equal(sposSpace.defaultEvaluator, 'naswot');
  assert.deepEqual(sposSpace.datasets, ['imagenet']);
});
