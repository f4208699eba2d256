import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { z } from 'zod';
import { Rng } from '../src/lib/rng';
import {
  archIssues,
  costOfaMbv3,
  countOfaMbv3,
  createOfaMbv3Space,
  ofaMbv3W10Space,
  ofaMbv3W12Space,
  widthsFor,
  type OfaArch,
} from '../src/spaces/ofa-mbv3';
import { ArchitectureError } from '../src/spaces/types';

/** OFA's published assets (OFA_DATA, else ../shared/data/ofa beside the checkout); never copied into the repo. */
const REPO_ROOT = path.resolve(__dirname, '..');
const OFA_DATA = path.resolve(REPO_ROOT, process.env.OFA_DATA ?? '../shared/data/ofa');

interface Published {
  name: string;
  widthMult: number;
  arch: OfaArch;
  mflops: number;
}

function publishedSubnets(): Published[] {
  const file = path.join(OFA_DATA, 'specialized-flops.csv');
  assert.ok(existsSync(file), `${file} not found: set OFA_DATA to the folder holding OFA's specialized-flops.csv`);
  const [header, ...rows] = readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l.length > 0);
  const cols = header!.split(',');
  const col = (row: string[], name: string): string => {
    const i = cols.indexOf(name);
    assert.ok(i >= 0, `${file}: no column ${name}`);
    return row[i]!;
  };
  const ints = (text: string) => text.split('-').map(Number);
  return rows.map((line) => {
    const row = line.split(',');
    return {
      name: col(row, 'name'),
      widthMult: Number(col(row, 'width_mult')),
      arch: { r: Number(col(row, 'resolution')), d: ints(col(row, 'd')), ks: ints(col(row, 'ks')), e: ints(col(row, 'e')) },
      mflops: Number(col(row, 'published_mflops')),
    };
  });
}

/**
 * Exact counts of the three subnets under OFA's profiler rules (the published
 * names round them to 389/482/595), and the #Params once-for-all's README lists
 * for them (one decimal, in millions).
 */
const EXPECTED: Record<string, { mflops: number; paramsM: number }> = {
  'flops-389M_top1-79.1_finetune-75': { mflops: 389.5, paramsM: 8.4 },
  'flops-482M_top1-79.6_finetune-75': { mflops: 482.4, paramsM: 9.1 },
  'flops-595M_top1-80.0_finetune-75': { mflops: 595.2, paramsM: 9.1 },
};

test('FLOPs and params of the published subnets match their published figures', () => {
  const subnets = publishedSubnets();
  assert.equal(subnets.length, 3);
  for (const s of subnets) {
    const cost = costOfaMbv3(s.arch, s.widthMult);
    const expected = EXPECTED[s.name];
    assert.ok(expected, `unexpected subnet ${s.name}`);
    assert.ok(Math.abs(cost.flopsM - s.mflops) / s.mflops < 0.02, `${s.name}: ${cost.flopsM} MMACs vs published ${s.mflops}`);
    assert.ok(Math.abs(cost.flopsM - expected.mflops) / expected.mflops < 0.005, `${s.name}: ${cost.flopsM} vs ${expected.mflops}`);
    assert.ok(Math.abs(cost.paramsM - expected.paramsM) <= 0.05, `${s.name}: ${cost.paramsM} M params vs published ${expected.paramsM}`);
  }
});

test('widths follow make_divisible(base * width, 8)', () => {
  const flat = (w: number) => {
    const x = widthsFor(w);
    return [x.stem, x.firstBlock, ...x.stages, x.finalExpand, x.featureMix];
  };
  assert.deepEqual(flat(1.0), [16, 16, 24, 40, 80, 112, 160, 960, 1280]);
  assert.deepEqual(flat(1.2), [24, 24, 32, 48, 96, 136, 192, 1152, 1536]);
});

const SUBNET: OfaArch = {
  r: 224,
  d: [2, 3, 3, 4, 4],
  ks: [3, 3, 0, 0, 5, 5, 3, 0, 5, 5, 3, 0, 5, 5, 3, 3, 3, 3, 7, 3],
  e: [3, 3, 0, 0, 3, 6, 3, 0, 4, 4, 3, 0, 6, 4, 4, 4, 6, 6, 6, 3],
};
const text = (a: OfaArch) => JSON.stringify(a);
const withR = (r: number): OfaArch => ({ ...SUBNET, r });

test('cost: any resolution through the cost function, only the listed ones in the space', () => {
  const at = (r: number) => countOfaMbv3(withR(r), 1.2);
  // Odd sides round up (236 -> 118 -> 59 -> 30 -> 15 -> 8), so 236 costs more than (236/224)^2 times 224.
  assert.ok(at(236).macs > at(224).macs * (236 / 224) ** 2);
  assert.ok(at(160).macs < at(176).macs && at(176).macs < at(224).macs);
  assert.equal(at(160).params, at(260).params, 'parameters do not depend on resolution');
  assert.ok(countOfaMbv3(SUBNET, 1.0).macs < at(224).macs, 'width 1.0 is cheaper than 1.2');
  assert.deepEqual(ofaMbv3W12Space.cost(SUBNET, 'imagenet'), costOfaMbv3(SUBNET, 1.2));
  assert.deepEqual(ofaMbv3W10Space.cost(SUBNET, 'imagenet'), costOfaMbv3(SUBNET, 1.0));
  assert.throws(() => ofaMbv3W12Space.cost(SUBNET, 'cifar10'), /dataset: .*imagenet/);
  assert.throws(() => countOfaMbv3({ ...SUBNET, ks: SUBNET.ks.map((k) => (k === 0 ? 0 : 4)) }, 1.2), ArchitectureError);
  assert.throws(() => ofaMbv3W12Space.parse(text(withR(236))), /r: must be one of 160, 176, 192, 208 or 224 \(got 236\)/);
  const wide = createOfaMbv3Space({ widthMult: 1.2, resolutions: [224, 236, 260] });
  assert.deepEqual(wide.cost(wide.parse(text(withR(236))), 'imagenet'), costOfaMbv3(withR(236), 1.2));
});

function rejects(space: typeof ofaMbv3W12Space, input: string, where: string, message: RegExp): void {
  assert.throws(
    () => space.parse(input),
    (err: unknown) => err instanceof ArchitectureError && err.where === where && message.test(err.message),
    `${input} should fail at ${where} with ${message}`,
  );
}

test('legality errors name the field', () => {
  const s = ofaMbv3W12Space;
  const set = (field: 'ks' | 'e' | 'd', i: number, v: unknown) => {
    const a = structuredClone(SUBNET) as unknown as Record<string, unknown[]>;
    a[field]![i] = v;
    return JSON.stringify(a);
  };
  rejects(s, set('ks', 13, 4), 'ks[13]', /^ks\[13\]: must be 3, 5 or 7 \(got 4\)$/);
  rejects(s, set('e', 4, 5), 'e[4]', /^e\[4\]: must be 3, 4 or 6 \(got 5\)$/);
  rejects(s, set('ks', 4, 0), 'ks[4]', /^ks\[4\]: must be 3, 5 or 7 \(got 0\): d\[1\] = 3 puts this slot in use$/);
  rejects(s, set('ks', 3, 4), 'ks[3]', /^ks\[3\]: must be 3, 5 or 7 \(got 4\), or 0 as d\[0\] = 2 leaves this slot unused$/);
  rejects(s, set('d', 1, 5), 'd[1]', /^d\[1\]: must be 2, 3 or 4 \(got 5\)$/);
  rejects(s, set('d', 0, '2'), 'd[0]', /d\[0\]: must be 2, 3 or 4 \(got "2"\)/);
  rejects(s, text(withR(225)), 'r', /^r: must be one of 160, 176, 192, 208 or 224 \(got 225\)$/);
  rejects(s, JSON.stringify({ ...SUBNET, ks: SUBNET.ks.slice(1) }), 'ks', /^ks: must be a list of 20 kernel sizes, 4 per stage/);
  rejects(s, JSON.stringify({ ...SUBNET, e: undefined }), 'e', /^e: must be a list of 20 expand ratios, 4 per stage \(got nothing\)$/);
  rejects(s, JSON.stringify({ ...SUBNET, w: 1.2 }), 'w', /^w: unknown field/);
  rejects(s, '[224]', 'architecture', /must be a JSON object with the fields r, d, ks and e/);
  rejects(s, '{"r": 224,', 'architecture', /not valid JSON/);
  // Every problem is reported, not just the first.
  const many = JSON.stringify({ ...SUBNET, r: 100, d: [2, 3, 3, 4, 1] });
  assert.throws(() => s.parse(many), /ArchitectureError: r: .*; d\[4\]: must be 2, 3 or 4 \(got 1\)$/);
  assert.equal(archIssues(SUBNET, [224]).length, 0);
});

test('the schema enforces legality with the same field-named messages', () => {
  const schema = ofaMbv3W12Space.schema;
  assert.ok(schema.safeParse(SUBNET).success);
  const activeZero = schema.safeParse({ ...SUBNET, e: SUBNET.e.map((v, i) => (i === 8 ? 0 : v)) });
  assert.ok(!activeZero.success);
  assert.deepEqual(activeZero.error.issues.map((i) => i.path), [['e', 8]]);
  assert.match(activeZero.error.issues[0]!.message, /must be 3, 4 or 6 \(got 0\)/);
  assert.ok(!schema.safeParse(withR(236)).success, 'r outside the list');
  assert.ok(!schema.safeParse({ ...SUBNET, ks: SUBNET.ks.map((k) => (k === 3 ? 4 : k)) }).success, 'kernel 4');
});

test('the schema converts to JSON Schema: fixed-length lists of enums', () => {
  const json = z.toJSONSchema(ofaMbv3W12Space.schema) as {
    type: string;
    required: string[];
    properties: Record<string, { enum?: number[]; minItems?: number; maxItems?: number; items?: { enum: number[] } }>;
  };
  assert.equal(json.type, 'object');
  assert.deepEqual(json.required, ['r', 'd', 'ks', 'e']);
  assert.deepEqual(json.properties.r!.enum, [160, 176, 192, 208, 224]);
  assert.deepEqual([json.properties.d!.minItems, json.properties.d!.maxItems, json.properties.d!.items!.enum], [5, 5, [2, 3, 4]]);
  assert.deepEqual([json.properties.ks!.minItems, json.properties.ks!.maxItems, json.properties.ks!.items!.enum], [20, 20, [0, 3, 5, 7]]);
  assert.deepEqual(json.properties.e!.items!.enum, [0, 3, 4, 6]);
  // Inside the Generator's answer shape, as the coordinator builds it.
  assert.doesNotThrow(() => z.toJSONSchema(z.object({ candidates: z.array(ofaMbv3W10Space.schema).min(3).max(3) })));
});

test('the key ignores unused slots and tells subnets apart', () => {
  const s = ofaMbv3W12Space;
  // Stage 1 uses 2 of 4 slots: whatever sits in slots 2-3 is the same subnet.
  const filled: OfaArch = { ...SUBNET, ks: SUBNET.ks.map((k) => k || 7), e: SUBNET.e.map((v) => v || 6) };
  assert.notDeepEqual(filled, SUBNET);
  assert.equal(s.key(s.parse(text(filled))), s.key(SUBNET));
  assert.equal(s.format(filled), s.format(SUBNET));
  assert.deepEqual(JSON.parse(s.format(filled)).ks.slice(2, 4), [0, 0], 'format writes unused slots as 0');
  // One active choice changed is another subnet.
  assert.notEqual(s.key({ ...SUBNET, ks: SUBNET.ks.map((k, i) => (i === 0 ? 5 : k)) }), s.key(SUBNET));
  assert.notEqual(s.key({ ...SUBNET, e: SUBNET.e.map((v, i) => (i === 19 ? 4 : v)) }), s.key(SUBNET));
  assert.notEqual(s.key(withR(192)), s.key(SUBNET));
  assert.notEqual(s.key({ ...filled, d: [3, 3, 3, 4, 4] }), s.key(filled), 'a deeper stage uses the filled slot');
});

test('parse and format round-trip, and the text is short', () => {
  for (const space of [ofaMbv3W10Space, ofaMbv3W12Space]) {
    const rng = Rng.fromSeed(11);
    for (let i = 0; i < 300; i++) {
      const arch = space.sample(rng);
      const formatted = space.format(arch);
      assert.deepEqual(space.parse(formatted), arch);
      assert.equal(space.format(space.parse(formatted)), formatted);
      assert.ok(formatted.length <= 130, `${formatted.length} characters: ${formatted}`);
    }
  }
  // Whitespace and field order do not matter to parse.
  const spaced = `{ "e": ${JSON.stringify(SUBNET.e)}, "ks": ${JSON.stringify(SUBNET.ks)}, "d": [2, 3, 3, 4, 4], "r": 224 }`;
  assert.deepEqual(ofaMbv3W12Space.parse(spaced), SUBNET);
});

/** The effective choices two subnets differ in: r, each depth, and kernel/expand of slots both use. */
function differences(a: OfaArch, b: OfaArch): string[] {
  const out: string[] = a.r === b.r ? [] : ['r'];
  for (let s = 0; s < 5; s++) {
    if (a.d[s] !== b.d[s]) out.push(`d[${s}]`);
    for (let j = 0; j < Math.min(a.d[s]!, b.d[s]!); j++) {
      if (a.ks[4 * s + j] !== b.ks[4 * s + j]) out.push(`ks[${4 * s + j}]`);
      if (a.e[4 * s + j] !== b.e[4 * s + j]) out.push(`e[${4 * s + j}]`);
    }
  }
  return out;
}

test('sampling and mutation are seeded, legal, and change one effective choice', () => {
  const s = ofaMbv3W12Space;
  const draw = (seed: number) => {
    const rng = Rng.fromSeed(seed);
    return Array.from({ length: 20 }, () => {
      const a = s.sample(rng);
      return [s.format(a), s.format(s.mutate(a, rng))];
    });
  };
  assert.deepEqual(draw(7), draw(7));
  assert.notDeepEqual(draw(7), draw(8));

  const rng = Rng.fromSeed(1);
  const kinds = new Set<string>();
  const keys = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const parent = s.sample(rng);
    keys.add(s.key(parent));
    assert.deepEqual(archIssues(parent, [160, 176, 192, 208, 224]), []);
    assert.ok(s.schema.safeParse(parent).success);
    const child = s.mutate(parent, rng);
    assert.deepEqual(archIssues(child, [160, 176, 192, 208, 224]), [], s.format(child));
    assert.ok(s.schema.safeParse(child).success);
    const diff = differences(parent, child);
    assert.equal(diff.length, 1, `${s.format(parent)} -> ${s.format(child)}: ${diff.join(', ')}`);
    assert.notEqual(s.key(child), s.key(parent));
    kinds.add(diff[0]!.replace(/\[.*/, ''));
  }
  assert.deepEqual([...kinds].sort(), ['d', 'e', 'ks', 'r'], 'every kind of choice gets mutated');
  assert.ok(keys.size > 1990, `samples are diverse (${keys.size} distinct)`);
});

test('mutation accepts unused slots holding values and reuses them when a stage grows', () => {
  const s = ofaMbv3W12Space;
  const filled: OfaArch = { ...SUBNET, ks: SUBNET.ks.map((k) => k || 7), e: SUBNET.e.map((v) => v || 6) };
  const rng = Rng.fromSeed(5);
  let grew = 0;
  for (let i = 0; i < 400; i++) {
    const child = s.mutate(filled, rng);
    assert.equal(differences(filled, child).length, 1);
    if (child.d[0]! > 2) {
      grew++;
      // Stage 1 grew into slots 2-3, which held 7 / 6.
      for (let j = 2; j < child.d[0]!; j++) assert.deepEqual([child.ks[j], child.e[j]], [7, 6]);
    }
  }
  assert.ok(grew > 0);
});

test('a one-resolution space never mutates r; a bad option fails fast', () => {
  const s = createOfaMbv3Space({ widthMult: 1.0, resolutions: [224] });
  assert.doesNotThrow(() => s.parse(/e\.g\. (\{.*\})$/.exec(s.jsonFormat)![1]!), 'the example fits the space');
  const rng = Rng.fromSeed(2);
  for (let i = 0; i < 300; i++) {
    const a = s.sample(rng);
    assert.equal(a.r, 224);
    assert.equal(s.mutate(a, rng).r, 224);
  }
  assert.throws(() => createOfaMbv3Space({ widthMult: 1.0, resolutions: [] }), /resolutions/);
  assert.throws(() => createOfaMbv3Space({ widthMult: 0 }), /widthMult/);
});

test('the two spaces: names, datasets, and prompt text without benchmark names', () => {
  assert.equal(ofaMbv3W10Space.name, 'ofa-mbv3-w10');
  assert.equal(ofaMbv3W12Space.name, 'ofa-mbv3-w12');
  for (const s of [ofaMbv3W10Space, ofaMbv3W12Space]) {
    assert.deepEqual(s.datasets, ['imagenet']);
    assert.equal(s.dimensions.length, 4);
    assert.doesNotMatch(s.description, /imagenet|cifar|once-for-all|\bOFA\b|benchmark/i);
    assert.match(s.description, /160, 176, 192, 208 or 224/);
    // The example in jsonFormat is a legal architecture of the space.
    const example = /e\.g\. (\{.*\})$/.exec(s.jsonFormat)?.[1];
    assert.ok(example, 'jsonFormat ends with an example');
    assert.doesNotThrow(() => s.parse(example));
  }
  assert.match(ofaMbv3W10Space.description, /24, 40, 80, 112, 160 output channels/);
  assert.match(ofaMbv3W12Space.description, /32, 48, 96, 136, 192 output channels/);
});
