/**
 * How well cheap proxies rank OFA MobileNetV3 (width 1.2) subnets the way
 * once-for-all's accuracy predictor does: the Spearman ρ of the predicted
 * top-1 with the NASWOT score, the cost model's FLOPs and params, and the
 * batch-1 latency that onnx-cost measures on this CPU, with each proxy's
 * cost per subnet. For the ranking stage, where a cheap score picks which
 * candidates get the expensive evaluation.
 *   npx tsx scripts/rank/ofa-correlation.ts                      # 1,000 subnets, latency on the first 200
 *   npx tsx scripts/rank/ofa-correlation.ts --n 1000 --naswot-n 200 --latency-n 200
 *   npx tsx scripts/rank/ofa-correlation.ts --n 20 --latency-n 5 --seed 1
 * NASWOT takes seconds per subnet on a CPU: `--naswot-n` scores only the first so many.
 *
 * Latencies are timed on this machine: run it with nothing else busy.
 */
import { naswotScore, spearman } from '../../src/evaluators/naswot';
import { onnxCostEvaluator } from '../../src/evaluators/onnx-cost';
import { Rng } from '../../src/lib/rng';
import { buildOnnx, measureLatency } from '../../src/onnx';
import { getSpace } from '../../src/spaces';
import { inProcessEvaluator } from '../in-process';
import { arg } from '../args';

const SPACE = 'ofa-mbv3-w12';

interface Proxy {
  name: string;
  values: number[];
  seconds: number;
}

/** Runs `f` on each arch, timing the whole loop. */
async function timed(name: string, archs: readonly unknown[], f: (arch: unknown) => number | Promise<number>): Promise<Proxy> {
  const values: number[] = [];
  const t0 = performance.now();
  for (const arch of archs) values.push(await f(arch));
  return { name, values, seconds: (performance.now() - t0) / 1000 };
}

async function main(): Promise<void> {
  const n = Number(arg('n', '1000'));
  const latencyN = Math.min(n, Number(arg('latency-n', '200')));
  const naswotN = Math.min(n, Number(arg('naswot-n', String(n))));
  const rng = Rng.fromSeed(Number(arg('seed', '0')));
  const space = getSpace(SPACE);
  const dataset = space.datasets[0]!;
  const archs = Array.from({ length: n }, () => space.sample(rng));

  const predictor = inProcessEvaluator({ space: SPACE, dataset, evaluation: { evaluator: 'ofa-predictor', options: {} } });
  const accuracy = await timed('predictor', archs, async (arch) => (await predictor({ arch: space.format(arch), key: '', origin: 'random' })).valAcc);

  // onnx-cost's batch-1 measurement with its default warmup and repeats; its measure() would also time batch 16, which ranking does not need.
  const latency = onnxCostEvaluator.options.parse({});
  const proxies = [
    await timed('naswot', archs.slice(0, naswotN), async (arch) => (await naswotScore(SPACE, arch, dataset, { input: 'images', seed: 0 })).score),
    await timed('FLOPs (cost model)', archs, (arch) => space.cost(arch, dataset).flopsM),
    await timed('params (cost model)', archs, (arch) => space.cost(arch, dataset).paramsM),
    await timed('ONNX latency, batch 1', archs.slice(0, latencyN), async (arch) => {
      const built = buildOnnx(SPACE, arch, dataset);
      return (await measureLatency(built.model, built.inputShape, { batch: 1, warmup: latency.warmup, repeats: latency.repeats })).medianMs;
    }),
  ];

  console.log(`\nOFA ${SPACE}: Spearman ρ with the predicted ImageNet top-1, ${n} random subnets (seed ${arg('seed', '0')}); predictor ${((1000 * accuracy.seconds) / n).toFixed(2)} ms/subnet`);
  console.log('| proxy | n | Spearman ρ | s/subnet |');
  console.log('|---|---|---|---|');
  for (const p of proxies) {
    const k = p.values.length;
    console.log(`| ${p.name} | ${k} | ${spearman(p.values, accuracy.values.slice(0, k)).toFixed(3)} | ${(p.seconds / k).toPrecision(2)} |`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
