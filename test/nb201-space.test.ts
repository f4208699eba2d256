import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../src/lib/rng';
import {
  OPS,
  canonicalNb201,
  costNb201,
  enumerateNb201,
  formatNb201,
  nb201Space,
  parseNb201,
} from '../src/spaces/nb201';
import { ArchitectureError } from '../src/spaces/types';
import { nb201Table } from './helpers';

test('parse and format round-trip over all 15,625 architectures', () => {
  let n = 0;
  const texts = new Set<string>();
  for (const arch of enumerateNb201()) {
    const text = formatNb201(arch);
    assert.deepEqual(parseNb201(text), arch);
    texts.add(text);
    n++;
  }
  assert.equal(n, 15_625);
  assert.equal(texts.size, 15_625);
});

test('parse errors say which position is wrong', () => {
  const cases: [string, RegExp][] = [
    ['|nor_conv_3x3~0|+|none~0|none~1|', /expected 3 node groups/],
    ['|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|', /node 1, input 0: unknown operation 'conv'/],
    ['|none~0|+|none~0|none~1|+|none~0|skip~1|none~2|', /node 3, input 1: unknown operation 'skip'/],
    ['|none~0|+|none~0|none~2|+|none~0|none~1|none~2|', /node 2, input 1: .* names input 2, expected ~1/],
    ['|none~0|+|none~0|+|none~0|none~1|none~2|', /node 2 must have 2 input edge\(s\), found 1/],
    ['none~0|+|none~0|none~1|+|none~0|none~1|none~2|', /node 1 group .* must start and end with '\|'/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseNb201(text), (err: unknown) => err instanceof ArchitectureError && message.test(err.message), text);
  }
});

test('FLOPs and params equal the table for every architecture and dataset', () => {
  const table = nb201Table();
  let checked = 0;
  for (const arch of enumerateNb201()) {
    const text = formatNb201(arch);
    for (const dataset of ['cifar10', 'cifar100', 'imagenet16']) {
      const row = table.lookup(text, dataset);
      const cost = costNb201(arch, dataset);
      assert.ok(Math.abs(cost.flopsM - row.cost.flopsM) < 1e-9, `${text} ${dataset} flops ${cost.flopsM} vs ${row.cost.flopsM}`);
      assert.ok(Math.abs(cost.paramsM - row.cost.paramsM) < 1e-9, `${text} ${dataset} params ${cost.paramsM} vs ${row.cost.paramsM}`);
      checked++;
    }
  }
  assert.equal(checked, 3 * 15_625);
});

test('canonical key ignores edges off every input-to-output path', () => {
  const key = (t: string) => nb201Space.key(parseNb201(t));
  // Node 1 feeds nothing, so its input edge does not matter.
  assert.equal(
    key('|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|'),
    key('|avg_pool_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|'),
  );
  // Node 2 has no input, so its edge to the output carries zeros.
  assert.equal(
    key('|none~0|+|none~0|none~1|+|skip_connect~0|none~1|nor_conv_1x1~2|'),
    key('|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|'),
  );
  // Every edge on a path matters.
  assert.notEqual(
    key('|nor_conv_3x3~0|+|none~0|skip_connect~1|+|none~0|none~1|skip_connect~2|'),
    key('|nor_conv_1x1~0|+|none~0|skip_connect~1|+|none~0|none~1|skip_connect~2|'),
  );
  // No path at all: every such cell outputs zeros.
  assert.equal(key('|nor_conv_3x3~0|+|skip_connect~0|none~1|+|none~0|none~1|none~2|'), key('|none~0|+|none~0|none~1|+|none~0|none~1|none~2|'));
});

test('canonical form is idempotent, keeps the ops on paths, and collapses the space', () => {
  const keys = new Set<string>();
  for (const arch of enumerateNb201()) {
    const c = canonicalNb201(arch);
    assert.deepEqual(canonicalNb201(c), c);
    c.forEach((op, e) => assert.ok(op === arch[e] || op === 'none'));
    keys.add(formatNb201(c));
  }
  // Fewer functions than cells, but far more than a trivial key would give.
  assert.ok(keys.size < 15_625 && keys.size > 5_000, `distinct keys: ${keys.size}`);
  // The fully connected cells are all their own class.
  assert.ok(keys.has('|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|'));
});

test('sampling and mutation are seeded and deterministic', () => {
  const draw = (seed: number) => {
    const rng = Rng.fromSeed(seed);
    return Array.from({ length: 20 }, () => formatNb201(nb201Space.sample(rng)));
  };
  assert.deepEqual(draw(7), draw(7));
  assert.notDeepEqual(draw(7), draw(8));
  const rng = Rng.fromSeed(1);
  for (let i = 0; i < 500; i++) {
    const parent = nb201Space.sample(rng);
    const child = nb201Space.mutate(parent, rng);
    const changed = child.filter((op, e) => op !== parent[e]).length;
    assert.equal(changed, 1, 'a mutation changes exactly one edge');
    assert.ok(child.every((op) => (OPS as readonly string[]).includes(op)));
  }
});

test('random sampling covers every op on every edge', () => {
  const rng = Rng.fromSeed(3);
  const seen = Array.from({ length: 6 }, () => new Set<string>());
  for (let i = 0; i < 2000; i++) nb201Space.sample(rng).forEach((op, e) => seen[e]!.add(op));
  for (const s of seen) assert.equal(s.size, OPS.length);
});

test("the table's optimum: the best-by-validation cell and the best test figure, per dataset", () => {
  const table = nb201Table();
  // The figures NAS-Bench-201 publishes as its optimum (test, and validation in brackets).
  const published = { cifar10: [94.37, 91.61], cifar100: [73.51, 73.49], imagenet16: [47.31, 46.73] } as const;
  for (const [dataset, [test, val]] of Object.entries(published)) {
    const o = table.optimum(dataset);
    assert.equal(o.maxTestAcc.toFixed(2), test.toFixed(2), dataset);
    assert.equal(o.valAcc.toFixed(2), val.toFixed(2), dataset);
    assert.equal(table.lookup(o.arch, dataset).valAcc, o.valAcc);
    assert.equal(table.lookup(o.arch, dataset).testAcc, o.testAcc);
  }
  // ImageNet16-120's best-by-validation cell tests 1.1 points below its best test cell.
  assert.ok(table.optimum('imagenet16').testAcc < 46.3);
  assert.throws(() => table.optimum('mnist'), /dataset: 'mnist'.*use one of/);
});
