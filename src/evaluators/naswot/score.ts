/**
 * The NASWOT score (Mellor et al., "Neural Architecture Search without
 * Training", ICML 2021): for a mini-batch of N inputs, each input's binary
 * code is which ReLU units it switches on, over the whole network; the kernel
 * K[i][j] is the number of units on which inputs i and j agree
 * (N_A - Hamming distance); the score is log |det K|. Networks that separate
 * inputs into distinct linear regions score higher, and train better.
 */

/** Binary activation codes of N inputs, packed 32 units to a word; every input must see the same units. */
export class ActivationCodes {
  private readonly words: (Uint32Array | undefined)[];
  /** Units per input (N_A), known from the first input added. */
  units = 0;

  constructor(readonly n: number) {
    this.words = new Array<Uint32Array | undefined>(n);
  }

  /** Input i's pre-activations of every layer, in network order; a unit is on when > 0. */
  add(i: number, layers: readonly Float32Array[]): void {
    const units = layers.reduce((n, l) => n + l.length, 0);
    if (this.units === 0) this.units = units;
    if (units !== this.units) throw new Error(`naswot: input ${i} has ${units} activation units, the first had ${this.units}`);
    const words = new Uint32Array(Math.ceil(units / 32));
    let u = 0;
    for (const layer of layers) {
      for (let k = 0; k < layer.length; k++, u++) if (layer[k]! > 0) words[u >>> 5]! |= 1 << (u & 31);
    }
    this.words[i] = words;
  }

  /** K[i][j] = units on which inputs i and j agree. */
  kernel(): number[][] {
    const k = Array.from({ length: this.n }, () => new Array<number>(this.n).fill(this.units));
    for (let i = 0; i < this.n; i++) {
      for (let j = i + 1; j < this.n; j++) {
        const a = this.words[i]!;
        const b = this.words[j]!;
        let hamming = 0;
        for (let w = 0; w < a.length; w++) hamming += popcount(a[w]! ^ b[w]!);
        k[i]![j] = k[j]![i] = this.units - hamming;
      }
    }
    return k;
  }
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** log |det A| by LU decomposition with partial pivoting (A is small: N × N, N = 20); -Infinity when singular. */
export function logAbsDet(a: readonly (readonly number[])[]): number {
  const n = a.length;
  const m = a.map((row) => Float64Array.from(row));
  let sum = 0;
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[pivot]![c]!)) pivot = r;
    if (m[pivot]![c] === 0) return -Infinity;
    [m[c], m[pivot]] = [m[pivot]!, m[c]!];
    const p = m[c]![c]!;
    sum += Math.log(Math.abs(p));
    for (let r = c + 1; r < n; r++) {
      const f = m[r]![c]! / p;
      if (f === 0) continue;
      for (let k = c; k < n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  return sum;
}

/** Spearman rank correlation (average ranks for ties), for validating the proxy against measured accuracy. */
export function spearman(x: readonly number[], y: readonly number[]): number {
  const rank = (v: readonly number[]): number[] => {
    const order = v.map((value, i) => ({ value, i })).sort((a, b) => a.value - b.value);
    const ranks = new Array<number>(v.length);
    for (let s = 0; s < order.length; ) {
      let e = s;
      while (e + 1 < order.length && order[e + 1]!.value === order[s]!.value) e++;
      for (let k = s; k <= e; k++) ranks[order[k]!.i] = (s + e) / 2;
      s = e + 1;
    }
    return ranks;
  };
  const rx = rank(x);
  const ry = rank(y);
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const mx = mean(rx);
  const my = mean(ry);
  let num = 0;
  let dx = 0;
  let dy = 0;
  for (let i = 0; i < rx.length; i++) {
    num += (rx[i]! - mx) * (ry[i]! - my);
    dx += (rx[i]! - mx) ** 2;
    dy += (ry[i]! - my) ** 2;
  }
  return num / Math.sqrt(dx * dy);
}
