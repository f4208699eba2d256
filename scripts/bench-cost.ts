/**
 * The cost side of the evaluators, measured:
 *   npm run bench:cost                        # everything below
 *   npm run bench:cost -- --naswot-archs 1000 --samples 3
 *
 * 1. Per space: time to build a candidate's ONNX graph, open it and time it
 *    (onnx-cost's work per candidate), its latency at batch 1, and the
 *    repeatability of that latency: the coefficient of variation over
 *    repeats within a measurement, and across measurements of the same graph.
 * 2. NASWOT on NAS-Bench-201 (CIFAR-10): Spearman rank correlation of the
 *    score with the validation accuracy over random architectures, for the
 *    20 real images, the same flipped and cropped, and noise (the control).
 */
import { naswotScore, spearman, type InputKind } from '../src/evaluators/naswot';
import { Nb201Table, resolveNb201Table } from '../src/evaluators/nb201/table';
import { Rng } from '../src/lib/rng';
import { buildOnnx, GRAPH_SPACES, measureLatency } from '../src/onnx';
import { getSpace } from '../src/spaces';
import { fmt, meanStd } from './bench-nb201';
import { arg } from './args';

async function costTable(samples: number): Promise<void> {
  console.log('| space | build ms/candidate | build + time ms/candidate | latency ms (batch 1, median) | CV within a measurement | CV across 5 measurements |');
  console.log('|---|---|---|---|---|---|');
  for (const name of GRAPH_SPACES) {
    const space = getSpace(name);
    const rng = Rng.fromSeed(1);
    const build: number[] = [];
    const total: number[] = [];
    const latency: number[] = [];
    const within: number[] = [];
    const across: number[] = [];
    for (let i = 0; i < samples; i++) {
      const arch = space.sample(rng);
      const t0 = performance.now();
      const built = buildOnnx(name, arch, space.datasets[0]!);
      const t1 = performance.now();
      const m = await measureLatency(built.model, built.inputShape, { batch: 1, warmup: 3, repeats: 10 });
      total.push(performance.now() - t0);
      build.push(t1 - t0);
      latency.push(m.medianMs);
      within.push(m.cv);
      const again: number[] = [m.medianMs];
      for (let k = 0; k < 4; k++) again.push((await measureLatency(built.model, built.inputShape, { batch: 1, warmup: 3, repeats: 10 })).medianMs);
      const s = meanStd(again);
      across.push(s.std / s.mean);
    }
    console.log(`| ${name} | ${meanStd(build).mean.toFixed(0)} | ${meanStd(total).mean.toFixed(0)} | ${fmt(meanStd(latency))} | ${meanStd(within).mean.toFixed(3)} | ${meanStd(across).mean.toFixed(3)} |`);
  }
}

async function naswotTable(archs: number): Promise<void> {
  const table = Nb201Table.load(resolveNb201Table());
  const space = getSpace('nb201');
  const rng = Rng.fromSeed(2026);
  const sample: unknown[] = [];
  const keys = new Set<string>();
  while (sample.length < archs) {
    const a = space.sample(rng);
    const key = space.format(a);
    if (keys.has(key)) continue;
    keys.add(key);
    sample.push(a);
  }
  const acc = sample.map((a) => table.lookup(space.format(a), 'cifar10').valAcc);
  console.log(`\nNASWOT on NAS-Bench-201 CIFAR-10, ${archs} random architectures (validation accuracy; random weights, seed 0)`);
  console.log('| input | Spearman ρ | s/arch |');
  console.log('|---|---|---|');
  for (const input of ['images', 'augmented', 'noise'] as InputKind[]) {
    const scores: number[] = [];
    const t0 = performance.now();
    for (const a of sample) scores.push((await naswotScore('nb201', a, 'cifar10', { input, seed: 0 })).score);
    const s = (performance.now() - t0) / 1000 / archs;
    console.log(`| ${input} | ${spearman(scores, acc).toFixed(3)} | ${s.toFixed(3)} |`);
  }
}

async function main(): Promise<void> {
  if (!process.argv.includes('--skip-cost')) await costTable(Number(arg('samples', '3')));
  if (!process.argv.includes('--skip-naswot')) await naswotTable(Number(arg('naswot-archs', '1000')));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
