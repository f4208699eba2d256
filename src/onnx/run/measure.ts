import { InferenceSession, Tensor } from 'onnxruntime-node';
import { Rng } from '../../lib/rng';
import { createSerialQueue } from '../../lib/serial';

/**
 * Running built models with onnxruntime-node: latency measurement (for a
 * latency constraint or objective) and plain forward passes whose outputs a
 * zero-cost proxy reads.
 */

export interface LatencyOptions {
  batch: number;
  /** Runs before timing starts (allocations, kernel selection, caches); discarded. */
  warmup: number;
  repeats: number;
  /** Default ['cpu']. */
  executionProviders?: string[];
  /** Default: onnxruntime's choice (one thread per physical core). */
  intraOpThreads?: number;
  /** Seed of the random input (default 0). */
  seed?: number;
}

export interface LatencyResult {
  medianMs: number;
  p10Ms: number;
  p90Ms: number;
  /** Standard deviation / mean of the timed runs. */
  cv: number;
  repeats: number;
  batch: number;
  /** Highest resident set size seen during the measurement, MiB. */
  peakRssMB: number;
}

async function open(model: Uint8Array, executionProviders: readonly string[], intraOpThreads?: number): Promise<InferenceSession> {
  return InferenceSession.create(model, {
    executionProviders,
    graphOptimizationLevel: 'all',
    ...(intraOpThreads !== undefined ? { intraOpNumThreads: intraOpThreads } : {}),
  });
}

/** Linear-interpolated quantile of sorted values (q in [0, 1]). */
function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

function randomInput(shape: readonly number[], seed: number): Float32Array {
  const rng = Rng.fromSeed(seed);
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  // Uniform with unit variance, like the normalized images the networks expect.
  for (let i = 0; i < data.length; i++) data[i] = (2 * rng.next() - 1) * Math.sqrt(3);
  return data;
}

/**
 * Latency measurements in this process, one at a time. An eval worker has
 * one slot per device, and `npm start` gives it ten CPU slots: measured side
 * by side, candidates timed each other (a 1 ms NAS-Bench-201 cell read 30 to
 * 125 ms with ten slots on two cores), so every latency is measured alone.
 */
const oneAtATime = createSerialQueue();

/**
 * Times `repeats` forward passes at `batch` after `warmup` discarded ones,
 * after any measurement already running in this process has finished.
 * `inputShape` is the model's input shape (its batch entry is replaced).
 *
 * Peak RSS: resident memory is sampled after the session is created and after
 * every run; when the process's lifetime high-water mark (resourceUsage's
 * maxRSS) rose during the measurement, that mark is the peak, as it also sees
 * peaks between samples.
 */
export function measureLatency(model: Uint8Array, inputShape: readonly number[], options: LatencyOptions): Promise<LatencyResult> {
  return oneAtATime(() => measureAlone(model, inputShape, options));
}

async function measureAlone(model: Uint8Array, inputShape: readonly number[], options: LatencyOptions): Promise<LatencyResult> {
  const { batch, warmup, repeats } = options;
  if (!(Number.isInteger(batch) && batch > 0) || !(Number.isInteger(repeats) && repeats > 0) || !(Number.isInteger(warmup) && warmup >= 0)) {
    throw new RangeError(`measureLatency: batch and repeats must be positive integers and warmup a non-negative one (got ${batch}, ${repeats}, ${warmup})`);
  }
  const maxRssBefore = process.resourceUsage().maxRSS;
  let peak = process.memoryUsage.rss();
  const session = await open(model, options.executionProviders ?? ['cpu'], options.intraOpThreads);
  try {
    const shape = [batch, ...inputShape.slice(1)];
    const feeds = { [session.inputNames[0]!]: new Tensor('float32', randomInput(shape, options.seed ?? 0), shape) };
    peak = Math.max(peak, process.memoryUsage.rss());
    for (let i = 0; i < warmup; i++) await session.run(feeds);
    const times: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const start = process.hrtime.bigint();
      await session.run(feeds);
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
      peak = Math.max(peak, process.memoryUsage.rss());
    }
    const maxRssAfter = process.resourceUsage().maxRSS;
    // maxRSS is in KiB.
    if (maxRssAfter > maxRssBefore) peak = Math.max(peak, maxRssAfter * 1024);
    const sorted = times.slice().sort((a, b) => a - b);
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    const std = Math.sqrt(times.reduce((a, t) => a + (t - mean) ** 2, 0) / times.length);
    return {
      medianMs: quantile(sorted, 0.5),
      p10Ms: quantile(sorted, 0.1),
      p90Ms: quantile(sorted, 0.9),
      cv: mean > 0 ? std / mean : 0,
      repeats,
      batch,
      peakRssMB: peak / (1024 * 1024),
    };
  } finally {
    await session.release();
  }
}

/**
 * One forward pass of `input` (row-major, `shape` with the batch first),
 * returning the named outputs as flat float arrays. Opens and
 * releases a session per call: a proxy scores each architecture once.
 *
 * Every output is fetched and the named ones picked here: onnxruntime-node
 * returns a subset of outputs under the wrong names when `fetches` is given
 * (microsoft/onnxruntime#26865, seen with 1.23.2).
 */
export async function runBatch(
  model: Uint8Array,
  input: Float32Array,
  shape: readonly number[],
  outputs: readonly string[],
  options: { executionProviders?: string[]; intraOpThreads?: number } = {},
): Promise<Record<string, Float32Array>> {
  const session = await open(model, options.executionProviders ?? ['cpu'], options.intraOpThreads);
  try {
    const missing = outputs.filter((name) => !session.outputNames.includes(name));
    if (missing.length > 0) throw new Error(`runBatch: not outputs of the model: ${missing.join(', ')}`);
    const result = await session.run({ [session.inputNames[0]!]: new Tensor('float32', input, shape.slice()) });
    const out: Record<string, Float32Array> = {};
    for (const name of outputs) {
      const t = result[name];
      if (!t || !(t.data instanceof Float32Array)) throw new Error(`runBatch: output '${name}' is missing or not float32`);
      out[name] = t.data;
    }
    return out;
  } finally {
    await session.release();
  }
}
