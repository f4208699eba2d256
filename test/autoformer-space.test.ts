import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { compactJson } from '../src/lib/json-grammar';
import { Rng } from '../src/lib/rng';
import {
  AUTOFORMER_B,
  AUTOFORMER_S,
  AUTOFORMER_T,
  autoformerBSpace,
  autoformerSSpace,
  autoformerTSpace,
  type AutoformerArch,
  type AutoformerVariant,
} from '../src/spaces/autoformer';
import { ArchitectureError, type SearchSpace } from '../src/spaces/types';

/**
 * The published subnets: the RETRAIN sections of microsoft/Cream
 * AutoFormer/experiments/subnet/AutoFormer-{T,S,B}.yaml. Their params by
 * get_sampled_params_numel are 5.87 / 22.89 / 53.69 M (README: 5.8 / 22.9 /
 * 53.7 M) and get_complexity gives about 1.34 / 4.89 / 11.24 GFLOPs.
 */
const SUBNET_T: AutoformerArch = {
  depth: 13,
  embed_dim: 192,
  mlp_ratio: [3.5, 3.5, 3.0, 3.5, 3.0, 3.0, 4.0, 4.0, 3.5, 4.0, 3.5, 4.0, 3.5],
  num_heads: [3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4, 3, 3],
};
const SUBNET_S: AutoformerArch = {
  depth: 13,
  embed_dim: 384,
  mlp_ratio: [3.0, 3.5, 3.0, 3.5, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 3.5, 4.0],
  num_heads: [6, 6, 5, 7, 5, 5, 5, 6, 6, 7, 7, 6, 7],
};
const SUBNET_B: AutoformerArch = {
  depth: 14,
  embed_dim: 576,
  mlp_ratio: [3.5, 3.5, 4.0, 3.5, 4.0, 3.5, 3.5, 3.0, 4.0, 4.0, 3.0, 4.0, 3.0, 3.5],
  num_heads: [9, 9, 9, 9, 9, 10, 9, 9, 10, 9, 10, 9, 9, 10],
};

const SPACES: [SearchSpace<AutoformerArch>, AutoformerVariant, AutoformerArch, number, number, number][] = [
  // space, variant, subnet, params (M, repo count), README params (M), GFLOPs
  [autoformerTSpace, AUTOFORMER_T, SUBNET_T, 5.87, 5.8, 1.34],
  [autoformerSSpace, AUTOFORMER_S, SUBNET_S, 22.89, 22.9, 4.89],
  [autoformerBSpace, AUTOFORMER_B, SUBNET_B, 53.69, 53.7, 11.24],
];

const within = (actual: number, expected: number, rel: number) => Math.abs(actual - expected) / expected <= rel;

/** How many of the choices (depth, embed_dim, each shared layer's ratio and heads) differ. */
function changedChoices(a: AutoformerArch, b: AutoformerArch): number {
  let n = Number(a.depth !== b.depth) + Number(a.embed_dim !== b.embed_dim);
  for (let i = 0; i < Math.min(a.depth, b.depth); i++) {
    n += Number(a.mlp_ratio[i] !== b.mlp_ratio[i]) + Number(a.num_heads[i] !== b.num_heads[i]);
  }
  return n;
}

test('the published subnets have the published params and FLOPs (within 2%)', () => {
  for (const [space, , subnet, params, readme, gflops] of SPACES) {
    const cost = space.cost(subnet, 'imagenet');
    assert.ok(within(cost.paramsM, params, 0.02), `${space.name} params ${cost.paramsM} vs ${params}`);
    assert.ok(within(cost.paramsM, readme, 0.02), `${space.name} params ${cost.paramsM} vs README ${readme}`);
    assert.ok(within(cost.flopsM, gflops * 1000, 0.02), `${space.name} flops ${cost.flopsM} vs ${gflops * 1000}`);
  }
});

test('a deeper or wider subnet costs what the layer arithmetic says', () => {
  // Adding a layer of embed 192, ratio 4, 3 heads: 2 LNs, qkv and proj (q = 192), four 30x64
  // relative-position tables, and the 192 -> 768 -> 192 MLP, all with biases.
  const shallow = autoformerTSpace.cost({ ...SUBNET_T, depth: 12, mlp_ratio: SUBNET_T.mlp_ratio.slice(0, 12), num_heads: SUBNET_T.num_heads.slice(0, 12) }, 'imagenet');
  const deep = autoformerTSpace.cost({ ...SUBNET_T, depth: 13, mlp_ratio: [...SUBNET_T.mlp_ratio.slice(0, 12), 4], num_heads: [...SUBNET_T.num_heads.slice(0, 12), 3] }, 'imagenet');
  const e = 192;
  const q = 192;
  const layer = 4 * e + (3 * q * e + 3 * q) + (q * e + e) + 4 * 30 * 64 + (e * 768 + 768) + (768 * e + e);
  assert.ok(Math.abs((deep.paramsM - shallow.paramsM) * 1e6 - layer) < 1e-3, `${(deep.paramsM - shallow.paramsM) * 1e6} vs ${layer}`);
  assert.ok(deep.flopsM > shallow.flopsM);
});

test('legality errors name the field and the fix', () => {
  const t = autoformerTSpace;
  const twelve = (x: number) => Array.from({ length: 12 }, () => x);
  const cases: [() => unknown, RegExp, string][] = [
    [() => t.parse(JSON.stringify({ depth: 12, embed_dim: 192, mlp_ratio: twelve(4), num_heads: [...twelve(3), 3] })), /^num_heads: has 13 entries but depth is 12 \(give exactly one value per layer\)$/, 'num_heads'],
    [() => t.parse(`depth=12;embed_dim=192;mlp_ratio=${twelve(4).slice(1).join(',')};num_heads=${twelve(3).join(',')}`), /^mlp_ratio: has 11 entries but depth is 12/, 'mlp_ratio'],
    [() => t.parse(`depth=12;embed_dim=192;mlp_ratio=${twelve(4).join(',')};num_heads=3,3,3,5,${twelve(3).slice(4).join(',')}`), /^num_heads\[3\]: must be 3 or 4 \(got 5\)$/, 'num_heads[3]'],
    [() => t.parse(`depth=15;embed_dim=192;mlp_ratio=${twelve(4).join(',')};num_heads=${twelve(3).join(',')}`), /^depth: must be 12, 13 or 14 \(got 15\)$/, 'depth'],
    [() => t.parse(`depth=12;embed_dim=200;mlp_ratio=${twelve(4).join(',')};num_heads=${twelve(3).join(',')}`), /^embed_dim: must be 192, 216 or 240 \(got 200\)$/, 'embed_dim'],
    [() => t.parse(`depth=12;embed_dim=192;mlp_ratio=4,x,${twelve(4).slice(2).join(',')};num_heads=${twelve(3).join(',')}`), /^mlp_ratio\[1\]: must be 3, 3.5 or 4 \(got "x"\)$/, 'mlp_ratio[1]'],
    [() => t.parse(`depth=12;embed_dim=192;mlp_ratio=${Array(20).fill(4).join(',')};num_heads=${twelve(3).join(',')}`), /^mlp_ratio: has 20 entries but depth is 12 \(give exactly one value per layer\)$/, 'mlp_ratio'],
    [() => t.parse('depth=12;embed_dim=192;mlp_ratio=4'), /^num_heads: missing \(format: depth=D;embed_dim=E;/, 'num_heads'],
    [() => t.parse('depth=12;width=192'), /^'width' is not a field; use depth, embed_dim, mlp_ratio, num_heads/, 'width'],
    [() => t.parse('depth=12;depth=13'), /^depth: given twice/, 'depth'],
    [() => autoformerSSpace.parse(JSON.stringify({ ...SUBNET_S, mlp_ratio: [4.5, ...SUBNET_S.mlp_ratio.slice(1)] })), /^mlp_ratio\[0\]: must be 3, 3.5 or 4 \(got 4.5\)$/, 'mlp_ratio[0]'],
    [() => autoformerBSpace.parse(JSON.stringify({ ...SUBNET_B, num_heads: [7, ...SUBNET_B.num_heads.slice(1)] })), /^num_heads\[0\]: must be 8, 9 or 10 \(got 7\)$/, 'num_heads[0]'],
    [() => autoformerBSpace.parse(JSON.stringify({ ...SUBNET_B, dropout: 0.1 })), /^architecture: Unrecognized key/, 'architecture'],
    [() => autoformerBSpace.cost({ ...SUBNET_B, depth: 15 }, 'imagenet'), /^mlp_ratio: has 14 entries but depth is 15/, 'mlp_ratio'],
  ];
  for (const [run, message, where] of cases) {
    assert.throws(run, (err: unknown) => err instanceof ArchitectureError && message.test(err.message) && err.where === where, message.source);
  }
  // An LLM answer sees every issue: the list's range check too.
  const long = autoformerTSpace.schema.safeParse({ depth: 12, embed_dim: 192, mlp_ratio: Array(20).fill(4), num_heads: twelve(3) });
  assert.deepEqual(long.error?.issues.map((i) => i.message), [
    'must have one entry per layer: 12 to 14 entries, as many as depth, got 20',
    'has 20 entries but depth is 12 (give exactly one value per layer)',
  ]);
  assert.throws(() => autoformerTSpace.cost(SUBNET_T, 'cifar10'), /dataset: unknown AutoFormer dataset 'cifar10'/);
});

test('values the published subnets use are legal though the supernet ranges omit them', () => {
  // AutoFormer-T.yaml uses MLP ratio 3.0; the paper's B space lists 8 heads.
  assert.deepEqual(autoformerTSpace.parse(autoformerTSpace.format(SUBNET_T)), SUBNET_T);
  const eight = { ...SUBNET_B, num_heads: [8, ...SUBNET_B.num_heads.slice(1)] };
  assert.deepEqual(autoformerBSpace.parse(JSON.stringify(eight)), eight);
  // But the S space does not take B's values, nor T's extras.
  assert.throws(() => autoformerSSpace.parse(JSON.stringify({ ...SUBNET_S, num_heads: [8, ...SUBNET_S.num_heads.slice(1)] })), ArchitectureError);
  assert.throws(() => autoformerSSpace.parse(JSON.stringify(SUBNET_T)), /embed_dim: must be 320, 384 or 448 \(got 192\)/);
});

test('parse(format(a)) round-trips, text and JSON agree, and the key is the normalized text', () => {
  for (const [space, , subnet] of SPACES) {
    const text = space.format(subnet);
    assert.match(text, /^depth=\d+;embed_dim=\d+;mlp_ratio=[\d.,]+;num_heads=[\d,]+$/);
    assert.deepEqual(space.parse(text), subnet);
    assert.deepEqual(space.parse(JSON.stringify(subnet)), subnet);
    // Same architecture written differently (3.0 vs 3, spaces, fields reordered): same key.
    const messy = ` num_heads = ${subnet.num_heads.join(',')} ; mlp_ratio=${subnet.mlp_ratio.map((r) => r.toFixed(1)).join(',')};embed_dim=${subnet.embed_dim};depth=${subnet.depth};`;
    assert.equal(space.key(space.parse(messy)), space.key(subnet));
    const rng = Rng.fromSeed(5);
    const keys = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const arch = space.sample(rng);
      assert.deepEqual(space.parse(space.format(arch)), arch);
      keys.add(space.key(arch));
    }
    assert.ok(keys.size > 195, `${space.name}: ${keys.size} distinct keys of 200`);
  }
});

test('sampling and mutation are seeded, legal, and a mutation changes one choice', () => {
  for (const [space, variant] of SPACES) {
    const draw = (seed: number) => {
      const rng = Rng.fromSeed(seed);
      const out: string[] = [];
      for (let i = 0; i < 20; i++) {
        const a = space.sample(rng);
        out.push(space.format(a), space.format(space.mutate(a, rng)));
      }
      return out;
    };
    assert.deepEqual(draw(7), draw(7));
    assert.notDeepEqual(draw(7), draw(8));

    const rng = Rng.fromSeed(2);
    const seen = { depth: new Set<number>(), embed: new Set<number>(), mlp: new Set<number>(), heads: new Set<number>() };
    let depthMoves = 0;
    for (let i = 0; i < 600; i++) {
      const parent = space.sample(rng);
      const child = space.mutate(parent, rng);
      for (const a of [parent, child]) assert.equal(space.schema.safeParse(a).success, true, JSON.stringify(a));
      assert.equal(changedChoices(parent, child), 1, `${space.name}: ${space.format(parent)} -> ${space.format(child)}`);
      if (child.depth !== parent.depth) {
        depthMoves++;
        assert.equal(Math.abs(child.depth - parent.depth), 1);
        // An added layer copies its neighbour, the old last layer.
        if (child.depth > parent.depth) {
          assert.equal(child.mlp_ratio[parent.depth], parent.mlp_ratio[parent.depth - 1]);
          assert.equal(child.num_heads[parent.depth], parent.num_heads[parent.depth - 1]);
        }
      }
      seen.depth.add(parent.depth);
      seen.embed.add(parent.embed_dim);
      parent.mlp_ratio.forEach((r) => seen.mlp.add(r));
      parent.num_heads.forEach((h) => seen.heads.add(h));
    }
    assert.ok(depthMoves > 50, `${space.name}: ${depthMoves} depth mutations`);
    // Sampling covers exactly the supernet's trained values, never the extra accepted ones.
    const sorted = (s: Set<number>) => [...s].sort((a, b) => a - b);
    assert.deepEqual(sorted(seen.depth), [...variant.depth]);
    assert.deepEqual(sorted(seen.embed), [...variant.embedDim]);
    assert.deepEqual(sorted(seen.mlp), [...variant.mlpRatio]);
    assert.deepEqual(sorted(seen.heads), [...variant.numHeads]);
  }
});

test('the JSON schema converts for the LLM, with list lengths bounded by the depth range', () => {
  for (const [space, variant] of SPACES) {
    const json = z.toJSONSchema(space.schema) as {
      properties: Record<string, { enum?: number[]; minItems?: number; maxItems?: number; items?: { enum: number[] } }>;
    };
    assert.deepEqual(json.properties.depth!.enum, [...variant.depth]);
    assert.deepEqual(json.properties.embed_dim!.enum, [...variant.embedDim]);
    for (const field of ['mlp_ratio', 'num_heads']) {
      assert.equal(json.properties[field]!.minItems, variant.depth[0]);
      assert.equal(json.properties[field]!.maxItems, variant.depth[variant.depth.length - 1]);
    }
    assert.deepEqual(json.properties.num_heads!.items!.enum, [...new Set([...variant.numHeads, ...variant.extraNumHeads])].sort((a, b) => a - b));
    assert.ok(compactJson(z.toJSONSchema(z.object({ candidates: z.array(space.schema) })) as Record<string, unknown>), space.name);
    // The schema (which checks LLM answers) enforces the length rule that JSON Schema cannot express.
    const d = variant.depth[0]!;
    const bad = space.schema.safeParse({ depth: d, embed_dim: variant.embedDim[0], mlp_ratio: Array(d + 1).fill(variant.mlpRatio[0]), num_heads: Array(d).fill(variant.numHeads[0]) });
    assert.equal(bad.success, false);
    assert.deepEqual(bad.error?.issues.map((i) => i.path), [['mlp_ratio']]);
  }
});

test('names, datasets and prompt texts', () => {
  assert.deepEqual(SPACES.map(([s]) => s.name), ['autoformer-t', 'autoformer-s', 'autoformer-b']);
  for (const [space] of SPACES) {
    assert.deepEqual(space.datasets, ['imagenet']);
    assert.equal(space.defaultEvaluator, 'naswot');
    const text = [space.description, space.jsonFormat, ...space.dimensions].join('\n');
    assert.doesNotMatch(text, /imagenet|cifar|autoformer|top-1/i);
    assert.equal(space.dimensions.length, 4);
    const example = JSON.parse(/e\.g\. (\{.*\})$/.exec(space.jsonFormat)![1]!);
    assert.equal(space.schema.safeParse(example).success, true, `${space.name} example`);
  }
  assert.match(autoformerBSpace.description, /num_heads 9 or 10 \(8 is also accepted/);
  assert.match(autoformerTSpace.description, /mlp_ratio 3.5 or 4 \(3 is also accepted/);
});
