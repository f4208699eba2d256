import { readSafetensors, SafetensorsError, type Safetensors } from '../../lib/safetensors';
import { OFA_DATA_HELP, OfaDataError } from './data';
import { checkOfaSubnet, isActiveSlot, OFA_EXPANDS, OFA_KERNELS, OFA_SLOTS, OfaSubnetError, type OfaSubnet } from './subnet';

/**
 * once-for-all's ImageNet top-1 accuracy predictor for the width-1.2
 * MobileNetV3 supernet (ofa/tutorial/accuracy_predictor.py): an MLP
 * Linear(128,400) ReLU Linear(400,400) ReLU Linear(400,400) ReLU Linear(400,1)
 * over a one-hot encoding of the subnet.
 *
 * Its output is a fraction (0.80 = 80%) and a *prediction*: it runs a few
 * points above the published top-1 of the same subnets after fine-tuning and
 * is a proxy for ranking subnets, not a measured accuracy. Callers that show
 * it should show percent and label it "predicted".
 */

/** Feature layout: [0, 60) kernel one-hots, [60, 120) expand one-hots, [120, 128) resolution one-hot. */
export const OFA_FEATURES = 128;
const KS_OFFSET = 0;
const EX_OFFSET = 3 * OFA_SLOTS;
const R_OFFSET = 6 * OFA_SLOTS;
const HIDDEN = 400;

/** The predictor's resolution one-hot has 8 slots of 16 pixels from 112: slot = (r - 112) // 16. */
export const PREDICTOR_MIN_RESOLUTION = 112;
export const PREDICTOR_MAX_RESOLUTION = 239;

/** Which of the 8 resolution slots `r` falls in (e.g. 160 → 3, 224 → 7, 236 → 7). */
export function resolutionSlot(r: number): number {
  if (!Number.isInteger(r) || r < PREDICTOR_MIN_RESOLUTION || r > PREDICTOR_MAX_RESOLUTION) {
    throw new OfaSubnetError(
      `OFA subnet: resolution ${String(r)} is outside the accuracy predictor's range ` +
        `${PREDICTOR_MIN_RESOLUTION}..${PREDICTOR_MAX_RESOLUTION} (8 one-hot slots of 16 pixels: 112-127, 128-143, ..., 224-239)`,
    );
  }
  return Math.floor((r - PREDICTOR_MIN_RESOLUTION) / 16);
}

/**
 * Indices of the encoding's ones, in feature order. Upstream's one-hot
 * position of a value is its index in (3, 5, 7) for kernels and (3, 4, 6) for
 * expand ratios (the iteration order of the Python sets it builds them from);
 * inactive slots get no one.
 */
function activeFeatures(arch: OfaSubnet, out: number[]): number {
  checkOfaSubnet(arch);
  const rSlot = resolutionSlot(arch.r);
  let n = 0;
  for (let slot = 0; slot < OFA_SLOTS; slot++) {
    if (isActiveSlot(arch.d, slot)) out[n++] = KS_OFFSET + 3 * slot + OFA_KERNELS.indexOf(arch.ks[slot]!);
  }
  for (let slot = 0; slot < OFA_SLOTS; slot++) {
    if (isActiveSlot(arch.d, slot)) out[n++] = EX_OFFSET + 3 * slot + OFA_EXPANDS.indexOf(arch.e[slot]!);
  }
  out[n++] = R_OFFSET + rSlot;
  return n;
}

const LAYERS: { key: string; out: number; in: number }[] = [
  { key: '0', out: HIDDEN, in: OFA_FEATURES },
  { key: '2', out: HIDDEN, in: HIDDEN },
  { key: '4', out: HIDDEN, in: HIDDEN },
  { key: '6', out: 1, in: HIDDEN },
];

/** A weight [out, in] as [in, out], so that a layer adds one contiguous row per non-zero input. */
function transpose(w: Float32Array, out: number, inputs: number): Float32Array {
  const t = new Float32Array(w.length);
  for (let o = 0; o < out; o++) for (let i = 0; i < inputs; i++) t[i * out + o] = w[o * inputs + i]!;
  return t;
}

export class OfaAccuracyPredictor {
  private readonly ones: number[] = new Array<number>(2 * OFA_SLOTS + 1);
  private readonly h = [new Float64Array(HIDDEN), new Float64Array(HIDDEN)];

  private constructor(
    readonly file: string,
    /** Per layer: weight transposed to [in, out], and bias. */
    private readonly weights: Float32Array[],
    private readonly biases: Float64Array[],
  ) {}

  /** Reads acc_predictor.safetensors; errors name the file and what is wrong. */
  static load(file: string): OfaAccuracyPredictor {
    let st: Safetensors;
    try {
      st = readSafetensors(file);
    } catch (err) {
      if (err instanceof SafetensorsError) throw new OfaDataError(`${err.message}. ${OFA_DATA_HELP}`);
      throw err;
    }
    return OfaAccuracyPredictor.fromTensors(st, file);
  }

  /** Builds the predictor from parsed tensors, checking names and shapes. */
  static fromTensors(st: Safetensors, file = '<tensors>'): OfaAccuracyPredictor {
    const fail = (what: string): never => {
      throw new OfaDataError(`${file}: not OFA's accuracy predictor: ${what}. ${OFA_DATA_HELP}`);
    };
    const expected = new Set(LAYERS.flatMap((l) => [`${l.key}.weight`, `${l.key}.bias`]));
    const unexpected = [...st.tensors.keys()].filter((k) => !expected.has(k));
    if (unexpected.length > 0) fail(`unexpected tensor(s) ${unexpected.join(', ')}; expected ${[...expected].join(', ')}`);
    const weights: Float32Array[] = [];
    const biases: Float64Array[] = [];
    for (const layer of LAYERS) {
      const get = (name: string, shape: number[]): Float32Array => {
        const t = st.tensors.get(name) ?? fail(`missing tensor '${name}'`);
        if (t.shape.length !== shape.length || t.shape.some((n, i) => n !== shape[i])) {
          fail(`tensor '${name}' has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
        }
        if (!t.data.every(Number.isFinite)) fail(`tensor '${name}' holds a NaN or infinite value`);
        return t.data;
      };
      weights.push(transpose(get(`${layer.key}.weight`, [layer.out, layer.in]), layer.out, layer.in));
      biases.push(Float64Array.from(get(`${layer.key}.bias`, [layer.out])));
    }
    return new OfaAccuracyPredictor(file, weights, biases);
  }

  /** The 128-d input vector exactly as accuracy_predictor.py's spec2feats builds it. */
  encode(arch: OfaSubnet): Float32Array {
    const x = new Float32Array(OFA_FEATURES);
    const n = activeFeatures(arch, this.ones);
    for (let j = 0; j < n; j++) x[this.ones[j]!] = 1;
    return x;
  }

  /** Predicted ImageNet top-1 as a fraction (0.80 = 80%); show it as percent, labelled "predicted". */
  predict(arch: OfaSubnet): number {
    const n = activeFeatures(arch, this.ones);
    // First layer: the input is one-hot, so it is the sum of the rows of the ones.
    const h0 = this.h[0]!;
    const w0 = this.weights[0]!;
    h0.set(this.biases[0]!);
    for (let j = 0; j < n; j++) {
      const row = this.ones[j]! * HIDDEN;
      for (let o = 0; o < HIDDEN; o++) h0[o]! += w0[row + o]!;
    }
    return this.forwardFrom(h0);
  }

  /** The MLP on any 128-d input (e.g. one from `encode`). */
  predictFeatures(x: ArrayLike<number>): number {
    if (x.length !== OFA_FEATURES) throw new RangeError(`expected ${OFA_FEATURES} features, got ${x.length}`);
    const h0 = this.h[0]!;
    const w0 = this.weights[0]!;
    h0.set(this.biases[0]!);
    for (let i = 0; i < OFA_FEATURES; i++) {
      const v = x[i]!;
      if (v === 0) continue;
      const row = i * HIDDEN;
      for (let o = 0; o < HIDDEN; o++) h0[o]! += v * w0[row + o]!;
    }
    return this.forwardFrom(h0);
  }

  /** Layers 2, 4 and 6 from the first layer's pre-activation (in h[0]). */
  private forwardFrom(first: Float64Array): number {
    let input: Float64Array = first;
    let output: Float64Array = this.h[1]!;
    for (let layer = 1; layer <= 2; layer++) {
      const w = this.weights[layer]!;
      output.set(this.biases[layer]!);
      for (let i = 0; i < HIDDEN; i++) {
        const v = input[i]!;
        if (v <= 0) continue; // ReLU: zero inputs add nothing
        const row = i * HIDDEN;
        for (let o = 0; o < HIDDEN; o++) output[o]! += v * w[row + o]!;
      }
      [input, output] = [output, input];
    }
    const w = this.weights[3]!;
    let y = this.biases[3]![0]!;
    for (let i = 0; i < HIDDEN; i++) {
      const v = input[i]!;
      if (v > 0) y += v * w[i]!;
    }
    return y;
  }
}
