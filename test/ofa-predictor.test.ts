import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  NOTE10_RESOLUTIONS,
  Note10LatencyTables,
  OFA_DATA_HELP,
  OfaAccuracyPredictor,
  OfaDataError,
  OfaSubnetError,
  note10LayerKeys,
  note10Latency,
  ofaDataCandidates,
  ofaDataFiles,
  parseLatencyTable,
  readLatencyTable,
  resolutionSlot,
  resolveOfaDataDir,
  type OfaSubnet,
} from '../src/evaluators/ofa-predictor';
import { parseSafetensors, SafetensorsError } from '../src/lib/safetensors';

// The data is read from OFA_DATA (else ./data/ofa, else ../shared/data/ofa), never from the repository.
const DIR = resolveOfaDataDir();
const FILES = ofaDataFiles(DIR);
const predictor = OfaAccuracyPredictor.load(FILES.predictor);
const tables = Note10LatencyTables.load(DIR);

const fill = (n: number, v: number): number[] => Array.from({ length: n }, () => v);
const MAX: OfaSubnet = { r: 224, d: fill(5, 4), ks: fill(20, 7), e: fill(20, 6) };
const MIN: OfaSubnet = { r: 160, d: fill(5, 2), ks: fill(20, 3), e: fill(20, 3) };

interface Published {
  name: string;
  mflops: number;
  top1: number;
  arch: OfaSubnet;
}

function published(): Published[] {
  const [header, ...rows] = readFileSync(FILES.specializedCsv, 'utf8').trim().split(/\r?\n/);
  const cols = header!.split(',');
  const at = (cells: string[], name: string): string => {
    const i = cols.indexOf(name);
    assert.ok(i >= 0, `${FILES.specializedCsv} lacks column ${name}`);
    return cells[i]!;
  };
  const ints = (text: string): number[] => text.split('-').map(Number);
  return rows.map((line) => {
    const c = line.split(',');
    return {
      name: at(c, 'name'),
      mflops: Number(at(c, 'published_mflops')),
      top1: Number(at(c, 'published_top1')),
      arch: { r: Number(at(c, 'resolution')), d: ints(at(c, 'd')), ks: ints(at(c, 'ks')), e: ints(at(c, 'e')) },
    };
  });
}

function safetensorsBytes(header: unknown, data: Uint8Array, headerLength?: number): Uint8Array {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const out = Buffer.alloc(8 + json.length + data.length);
  out.writeBigUInt64LE(BigInt(headerLength ?? json.length), 0);
  json.copy(out, 8);
  Buffer.from(data).copy(out, 8 + json.length);
  return out;
}
const floats = (...v: number[]): Uint8Array => new Uint8Array(Float32Array.from(v).buffer);

test('safetensors: a small well-formed buffer reads back its float32 values, shapes and metadata', () => {
  const bytes = safetensorsBytes(
    { a: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] }, b: { dtype: 'F32', shape: [1], data_offsets: [16, 20] }, __metadata__: { x: 'y' } },
    floats(1, -2, 0.5, 3, 7),
  );
  const st = parseSafetensors(bytes, 'ok.safetensors');
  assert.deepEqual(st.tensors.get('a')?.shape, [2, 2]);
  assert.deepEqual([...st.tensors.get('a')!.data], [1, -2, 0.5, 3]);
  assert.deepEqual([...st.tensors.get('b')!.data], [7]);
  assert.deepEqual(st.metadata, { x: 'y' });
});

test('safetensors: truncated or malformed buffers are rejected with an error naming the file and the problem', () => {
  const good = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  const cases: [string, Uint8Array, RegExp][] = [
    ['too short', new Uint8Array(5), /5 bytes, too short/],
    ['header length past the end', safetensorsBytes(good, floats(1, 2), 10_000), /header length 10000 exceeds .*truncated/],
    ['header not JSON', safetensorsBytes('{"a": ', floats(1, 2)), /header is not UTF-8 JSON/],
    ['header an array', safetensorsBytes([1, 2], floats(1, 2)), /header is not a JSON object/],
    ['F16 dtype', safetensorsBytes({ a: { dtype: 'F16', shape: [4], data_offsets: [0, 8] } }, floats(1, 2)), /tensor 'a': dtype "F16", only F32/],
    ['bad shape', safetensorsBytes({ a: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, floats(1, 2)), /tensor 'a': shape must be/],
    ['shape/offset mismatch', safetensorsBytes({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, floats(1, 2)), /shape \[3\] needs 12 bytes, data_offsets give 8/],
    ['truncated data', safetensorsBytes({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, floats(1, 2)), /outside the 8 data bytes \(truncated/],
    [
      'hole between tensors',
      safetensorsBytes({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, floats(1, 2, 3)),
      /tensor 'b' starts at byte 8, expected 4 \(a hole/,
    ],
    ['trailing bytes', safetensorsBytes(good, floats(1, 2, 3)), /4 bytes after the last tensor/],
  ];
  for (const [what, bytes, message] of cases) {
    assert.throws(
      () => parseSafetensors(bytes, 'bad.safetensors'),
      (err: unknown) => err instanceof SafetensorsError && err.message.startsWith('bad.safetensors: ') && message.test(err.message),
      what,
    );
  }
  // The real file cut short.
  const real = readFileSync(FILES.predictor);
  assert.throws(() => parseSafetensors(real.subarray(0, real.length - 100), FILES.predictor), /truncated/);
});

test('predictor: a safetensors file with the wrong tensors is refused, naming the tensor', () => {
  const st = parseSafetensors(safetensorsBytes({ '0.weight': { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, floats(1, 2)));
  assert.throws(() => OfaAccuracyPredictor.fromTensors(st, 'x.safetensors'), /x\.safetensors: not OFA's accuracy predictor: tensor '0\.weight' has shape \[2\], expected \[400, 128\]/);
  assert.throws(() => OfaAccuracyPredictor.load(join(DIR, 'no-such.safetensors')), (err: unknown) => err instanceof OfaDataError && err.message.includes('OFA_DATA'));
});

test('encode: kernel, expand and resolution one-hots as accuracy_predictor.py builds them', () => {
  const arch: OfaSubnet = {
    r: 192,
    d: [2, 3, 4, 2, 3],
    // Inactive slots hold junk (14, 15: 7; 19: 0) that must be ignored.
    ks: [3, 5, 0, 0, 7, 3, 5, 0, 5, 5, 7, 3, 3, 7, 7, 7, 7, 5, 3, 0],
    e: [6, 4, 3, 3, 3, 4, 6, 6, 4, 4, 6, 3, 6, 3, 4, 6, 3, 6, 4, 0],
  };
  const x = predictor.encode(arch);
  assert.equal(x.length, 128);
  // kernel one-hot of slot s at 3s + index in (3, 5, 7); expand at 60 + 3s + index in (3, 4, 6); resolution at 120 + (r - 112) // 16.
  const kernels = [0, 4, 14, 15, 19, 25, 28, 32, 33, 36, 41, 50, 52, 54];
  const expands = [62, 64, 72, 76, 80, 85, 88, 92, 93, 98, 99, 108, 113, 115];
  const ones = [...x.keys()].filter((i) => x[i] === 1);
  assert.deepEqual(ones, [...kernels, ...expands, 125]);
  assert.ok(x.every((v) => v === 0 || v === 1));
  // Per group: one one in each active slot's kernel and expand group, none in the inactive ones.
  const active = [0, 1, 4, 5, 6, 8, 9, 10, 11, 12, 13, 16, 17, 18];
  for (let slot = 0; slot < 20; slot++) {
    const want = active.includes(slot) ? 1 : 0;
    assert.equal(x[3 * slot]! + x[3 * slot + 1]! + x[3 * slot + 2]!, want, `kernel group ${slot}`);
    assert.equal(x[60 + 3 * slot]! + x[61 + 3 * slot]! + x[62 + 3 * slot]!, want, `expand group ${slot}`);
  }
  assert.equal(x.subarray(120).reduce((a, b) => a + b, 0), 1);
  // Junk in inactive slots changes nothing, in the encoding or the prediction.
  const clean = { ...arch, ks: arch.ks.map((k, i) => (active.includes(i) ? k : 0)), e: arch.e.map((v, i) => (active.includes(i) ? v : 0)) };
  assert.deepEqual(predictor.encode(clean), x);
  assert.equal(predictor.predict(clean), predictor.predict(arch));
  assert.equal(predictor.predictFeatures(x), predictor.predict(arch));
});

test('encode: resolution slots and the predictor range', () => {
  assert.deepEqual([112, 128, 160, 176, 192, 208, 224, 236, 239].map(resolutionSlot), [0, 1, 3, 4, 5, 6, 7, 7, 7]);
  for (const r of NOTE10_RESOLUTIONS) assert.equal(predictor.encode({ ...MIN, r })[120 + resolutionSlot(r)], 1);
  assert.throws(() => predictor.predict({ ...MIN, r: 240 }), /resolution 240 is outside the accuracy predictor's range 112\.\.239/);
  assert.throws(() => predictor.predict({ ...MIN, r: 100 }), OfaSubnetError);
});

test('encode: invalid subnets are rejected naming the slot', () => {
  assert.throws(() => predictor.encode({ ...MIN, d: [2, 2, 5, 2, 2] }), /d\[2\]: must be 2, 3 or 4 \(got 5\)/);
  assert.throws(() => predictor.encode({ ...MIN, ks: [3, 4, ...fill(18, 3)] }), /ks\[1\]: must be 3, 5 or 7 \(got 4\)/);
  assert.throws(() => predictor.encode({ ...MIN, e: fill(19, 3) }), /e: must be a list of 20 expand ratios/);
  assert.throws(() => note10Latency({ ...MIN, e: [3, 3, 3, 3, 5, ...fill(15, 3)] }, tables), /e\[4\]: must be 3, 4 or 6 \(got 5\)/);
});

test('predictor: the three published subnets get plausible fractions, the larger ones above the smallest', () => {
  const rows = published();
  assert.equal(rows.length, 3);
  const preds = rows.map((p) => predictor.predict(p.arch));
  rows.forEach((p, i) => console.log(`  ${p.name}: predicted ${(100 * preds[i]!).toFixed(2)}% (published top-1 ${p.top1}%)`));
  for (const [i, acc] of preds.entries()) {
    assert.ok(acc > 0.75 && acc < 0.85, `${rows[i]!.name}: ${acc}`);
    // A proxy that runs a few points above the fine-tuned top-1, not far from it.
    assert.ok(Math.abs(100 * acc - rows[i]!.top1) < 6, `${rows[i]!.name}: ${acc} vs ${rows[i]!.top1}`);
  }
  const smallest = rows.reduce((a, b) => (b.mflops < a.mflops ? b : a));
  const pSmallest = predictor.predict(smallest.arch);
  for (const p of rows) if (p !== smallest) assert.ok(predictor.predict(p.arch) > pSmallest, `${p.name} vs ${smallest.name}`);
});

test('predictor: the max subnet ranks above the min subnet', () => {
  const max = predictor.predict(MAX);
  const min = predictor.predict(MIN);
  console.log(`  max subnet: predicted ${(100 * max).toFixed(2)}%, min subnet: predicted ${(100 * min).toFixed(2)}%`);
  assert.ok(max > min + 0.03, `${max} vs ${min}`);
  assert.ok(min > 0.6 && max < 0.9);
});

test('latency: min subnet is faster than max, both positive; published subnets at r=224 are in a plausible range', () => {
  const min = note10Latency(MIN, tables);
  const max = note10Latency(MAX, tables);
  console.log(`  Note10 latency: min ${min.toFixed(2)} ms, max ${max.toFixed(2)} ms`);
  assert.ok(min > 0 && max > 0);
  assert.ok(min < max / 3, `${min} vs ${max}`);
  let checked = 0;
  for (const p of published()) {
    if (!tables.resolutions.includes(p.arch.r)) {
      assert.throws(() => note10Latency(p.arch, tables), /available resolutions: 160, 176, 192, 208, 224/);
      console.log(`  ${p.name}: r=${p.arch.r} has no Note10 table; at r=224 ${note10Latency({ ...p.arch, r: 224 }, tables).toFixed(2)} ms`);
      continue;
    }
    const ms = note10Latency(p.arch, tables);
    console.log(`  ${p.name}: Note10 ${ms.toFixed(2)} ms at r=${p.arch.r}`);
    assert.ok(ms > min && ms < max, `${p.name}: ${ms}`);
    assert.ok(ms > 15 && ms < 80, `${p.name}: ${ms}`);
    checked++;
  }
  assert.ok(checked >= 2);
  // Latency grows with resolution for the same subnet.
  const byR = NOTE10_RESOLUTIONS.map((r) => note10Latency({ ...MAX, r }, tables));
  assert.deepEqual([...byR].sort((a, b) => a - b), byR);
});

test('latency: an unknown resolution errors naming the available ones', () => {
  assert.throws(
    () => note10Latency({ ...MIN, r: 200 }, tables),
    (err: unknown) => err instanceof OfaDataError && /no lookup table for resolution 200; available resolutions: 160, 176, 192, 208, 224/.test(err.message),
  );
});

test('latency: the subnets of the space use exactly the keys of every table', () => {
  for (const r of NOTE10_RESOLUTIONS) {
    const used = new Set<string>();
    for (const k of [3, 5, 7]) for (const e of [3, 4, 6]) for (const key of note10LayerKeys({ r, d: fill(5, 4), ks: fill(20, k), e: fill(20, e) })) used.add(key);
    const table = readLatencyTable(FILES.note10Table(r));
    assert.deepEqual([...used].sort(), [...table.keys()].sort(), `r=${r}`);
  }
});

test('latency: a missing key errors naming it', () => {
  const t = new Note10LatencyTables(new Map([[160, { file: 'tiny.yaml', table: parseLatencyTable('Other:\n  count: 1\n  mean: 1\n  std: 0\n') }]]));
  assert.throws(() => note10Latency(MIN, t), /tiny\.yaml has no entry 'Conv-input:160x160x3-output:80x80x24'/);
});

test('lookup-table parser: reads the YAML mapping of entries, rejects anything else naming the line and key', () => {
  const ok = parseLatencyTable('A-input:1x1:\n  count: 3\n  mean: 0.5\n  std: 1e-3\nB:\n  count: 2\n  mean: 2\n  std: 0\n', 'ok.yaml');
  assert.deepEqual(ok.get('A-input:1x1'), { count: 3, mean: 0.5, std: 0.001 });
  assert.equal(ok.size, 2);
  // It is YAML: comments and other indentation are fine.
  assert.deepEqual([...parseLatencyTable('# measured\nA:\n    count: 1  # runs\n    mean: 1\n    std: 0\n')], [['A', { count: 1, mean: 1, std: 0 }]]);
  const bad: [string, RegExp][] = [
    ['A:\n  count: 1\n  mean: 1\n', /line 1: entry 'A' lacks std/],
    ['A:\n  count: 1\n  mean: 1\n  std: 0\n  min: 0\n', /line 5: unknown field 'min' in entry 'A'/],
    ['A:\n  count: 1\n  mean: x\n  std: 0\n', /line 3: mean of entry 'A' is the text "x", not a non-negative number/],
    ['A:\n  count: 1\n  mean: "1"\n  std: 0\n', /line 3: mean of entry 'A' is the text "1", not a non-negative number/],
    ['A:\n  count: 1\n  mean: -1\n  std: 0\n', /line 3: mean of entry 'A' is -1, not a non-negative number/],
    ['A:\n  count: 1\n  mean: .inf\n  std: 0\n', /line 3: mean of entry 'A' is Infinity, not a non-negative number/],
    ['A:\n  count: 1.5\n  mean: 1\n  std: 0\n', /line 2: count of entry 'A' is 1.5, not an integer/],
    ['A:\n  count: 1\n  mean: 1\n  std: 0\nA:\n  count: 1\n  mean: 1\n  std: 0\n', /line 5: duplicate key 'A'/],
    ['A:\n  count: 1\n  mean: 1\n  std: 0\n  std: 0\n', /line 5: 'std' given twice in entry 'A'/],
    ['A: 3\n', /line 1: entry 'A' is 3, not a mapping of count, mean and std/],
    ['1:\n  count: 1\n  mean: 1\n  std: 0\n', /line 1: key 1 is not text/],
    ['- A\n', /line 1: a list, not a mapping/],
    ['A:\n    count: 1\n  mean: 2\n', /line 3: All mapping items must start at the same column/],
    ['', /no entries/],
    ['# nothing\n', /no entries/],
  ];
  for (const [text, message] of bad) {
    assert.throws(() => parseLatencyTable(text, 'bad.yaml'), (err: unknown) => err instanceof OfaDataError && err.message.startsWith('bad.yaml: ') && message.test(err.message), text);
  }
});

test('data directory: OFA_DATA first, then ./data/ofa, then ../shared/data/ofa; a missing one explains how to get the files', () => {
  assert.deepEqual(ofaDataCandidates({ OFA_DATA: '/x/ofa' }, '/repo'), ['/x/ofa']);
  assert.deepEqual(ofaDataCandidates({}, '/repo'), ['/repo/data/ofa', '/shared/data/ofa']);
  assert.equal(resolveOfaDataDir({ env: { OFA_DATA: DIR } }), DIR);
  assert.equal(resolveOfaDataDir({ dir: DIR, env: { OFA_DATA: '/nope' } }), DIR);
  assert.throws(
    () => resolveOfaDataDir({ env: { OFA_DATA: '/nonexistent/ofa' } }),
    (err: unknown) => err instanceof OfaDataError && err.message.includes('/nonexistent/ofa') && err.message.includes(OFA_DATA_HELP),
  );
  assert.match(OFA_DATA_HELP, /acc_predictor\.pth.*safetensors.*_lookup_table\.yaml/s);
  assert.throws(() => Note10LatencyTables.load('/nonexistent/ofa'), /latency table not found: \/nonexistent\/ofa\/note10\/160_lookup_table\.yaml\. Set OFA_DATA/);
});

test('speed: thousands of predictions and latency lookups per second', () => {
  const archs: OfaSubnet[] = [];
  const pick = (i: number, values: number[]): number => values[(i * 7919 + 13) % values.length]!;
  for (let i = 0; i < 500; i++) {
    archs.push({
      r: pick(i, [...NOTE10_RESOLUTIONS]),
      d: fill(5, 0).map((_, s) => pick(i + s * 3, [2, 3, 4])),
      ks: fill(20, 0).map((_, s) => pick(i * 5 + s, [3, 5, 7])),
      e: fill(20, 0).map((_, s) => pick(i * 11 + s * 2, [3, 4, 6])),
    });
  }
  const time = (f: (a: OfaSubnet) => number, rounds: number): number => {
    let sink = 0;
    const start = process.hrtime.bigint();
    for (let k = 0; k < rounds; k++) for (const a of archs) sink += f(a);
    assert.ok(Number.isFinite(sink));
    return Number(process.hrtime.bigint() - start) / 1e6 / (rounds * archs.length);
  };
  time((a) => predictor.predict(a), 1); // warm up
  time((a) => note10Latency(a, tables), 1);
  const predictMs = time((a) => predictor.predict(a), 4);
  const latencyMs = time((a) => note10Latency(a, tables), 4);
  console.log(`  ${(predictMs * 1000).toFixed(1)} µs per prediction, ${(latencyMs * 1000).toFixed(1)} µs per Note10 latency`);
  assert.ok(predictMs < 1, `${predictMs} ms per prediction`);
  assert.ok(latencyMs < 0.5, `${latencyMs} ms per latency`);
});
