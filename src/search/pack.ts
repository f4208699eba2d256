import { lzwDecompress } from '../lib/lzw';
import { deflateText, inflateText } from '../lib/packed-text';
import type { Cost } from '../spaces/types';
import type { Evaluation, SearchState } from './types';

/**
 * The evaluations a search carries across continue-as-new, in columns
 * (keys only where they differ from the architecture's text, origins as one
 * character each, numbers as JSON numbers, exact), the whole
 * DEFLATE-compressed. As objects a 5,000-evaluation search's list is 1.6 MB
 * (NAS-Bench-201) to 2 MB (OFA) of JSON, at Temporal's payload limit; packed
 * it is 80 KB (NAS-Bench-201) to 150-250 KB (OFA). The search needs all of
 * it (no architecture is evaluated twice, and strategies read the whole
 * history), so nothing is dropped, only written more tightly.
 */
export interface PackedEvaluations {
  /**
   * 2: `columns` is DEFLATE (src/lib/packed-text.ts), what this code writes.
   * 1: LZW (src/lib/lzw.ts), written by earlier releases and still read: a
   * run they continued as new carries it in its input, which replay reads.
   */
  v: 1 | 2;
  n: number;
  /** `Columns` as JSON, compressed. */
  columns: string;
}

interface Columns {
  arch: string[];
  /** [index, key] where the key is not the architecture's text. */
  keys: [number, string][];
  /** The origins met, and one character per evaluation: its origin's index in ORIGIN_DIGITS. */
  origins: string[];
  origin: string;
  valAcc: number[];
  /** Absent when no evaluation has one. */
  testAcc?: (number | null)[];
  flopsM: number[];
  paramsM: number[];
  latencyMs?: (number | null)[];
  /** [index, cost] for a cost of another shape than {flopsM, paramsM, latencyMs?}, as recorded. */
  costs: [number, Cost][];
  /** '1' feasible, '0' not, one per evaluation. */
  feasible: string;
  /** Iterations as [iteration, how many evaluations in a row had it] pairs, flattened. */
  iterations: number[];
}

const ORIGIN_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Whether the cost is exactly {flopsM, paramsM} or {flopsM, paramsM, latencyMs} in that order, so the columns rebuild it. */
function plainCost(cost: Cost): boolean {
  const keys = Object.keys(cost);
  return (
    keys[0] === 'flopsM' &&
    keys[1] === 'paramsM' &&
    (keys.length === 2 || (keys.length === 3 && keys[2] === 'latencyMs')) &&
    keys.every((k) => typeof cost[k as keyof Cost] === 'number')
  );
}

/** The packed columns, or undefined for evaluations they cannot rebuild exactly (which are then carried as they are). */
export function packEvaluations(evaluated: readonly Evaluation[]): PackedEvaluations | undefined {
  const origins: string[] = [];
  let origin = '';
  const keys: [number, string][] = [];
  const costs: [number, Cost][] = [];
  const iterations: number[] = [];
  let feasible = '';
  let anyTest = false;
  let anyLatency = false;
  for (const [i, e] of evaluated.entries()) {
    let o = origins.indexOf(e.origin);
    if (o < 0) {
      if (origins.length === ORIGIN_DIGITS.length) return undefined;
      o = origins.push(e.origin) - 1;
    }
    origin += ORIGIN_DIGITS[o];
    if (e.key !== e.arch) keys.push([i, e.key]);
    if (!plainCost(e.cost)) costs.push([i, e.cost]);
    feasible += e.feasible ? '1' : '0';
    if (iterations.length > 0 && iterations[iterations.length - 2] === e.iteration) iterations[iterations.length - 1]!++;
    else iterations.push(e.iteration, 1);
    anyTest ||= e.testAcc !== undefined;
    anyLatency ||= e.cost.latencyMs !== undefined;
  }
  const columns: Columns = {
    arch: evaluated.map((e) => e.arch),
    keys,
    origins,
    origin,
    valAcc: evaluated.map((e) => e.valAcc),
    ...(anyTest ? { testAcc: evaluated.map((e) => e.testAcc ?? null) } : {}),
    flopsM: evaluated.map((e) => e.cost.flopsM),
    paramsM: evaluated.map((e) => e.cost.paramsM),
    ...(anyLatency ? { latencyMs: evaluated.map((e) => e.cost.latencyMs ?? null) } : {}),
    costs,
    feasible,
    iterations,
  };
  const packed: PackedEvaluations = { v: 2, n: evaluated.length, columns: deflateText(JSON.stringify(columns)) };
  // Carried state must come back exactly as it went (key order included), or
  // a resumed search would differ from one that never continued as new.
  return JSON.stringify(unpackEvaluations(packed)) === JSON.stringify(evaluated) ? packed : undefined;
}

export function unpackEvaluations(packed: PackedEvaluations): Evaluation[] {
  const text =
    packed.v === 2 ? inflateText(packed.columns)
    : packed.v === 1 ? lzwDecompress(packed.columns)
    : undefined;
  if (text === undefined) throw new Error(`packed evaluations of version ${String(packed.v)}; this code reads versions 1 and 2`);
  const c = JSON.parse(text) as Columns;
  if (c.arch.length !== packed.n) throw new Error(`packed evaluations: ${c.arch.length} architectures for ${packed.n} evaluations`);
  const keys = new Map(c.keys);
  const costs = new Map(c.costs);
  const iterations: number[] = [];
  for (let i = 0; i < c.iterations.length; i += 2) {
    for (let k = 0; k < c.iterations[i + 1]!; k++) iterations.push(c.iterations[i]!);
  }
  return c.arch.map((arch, i): Evaluation => {
    const testAcc = c.testAcc?.[i];
    const latencyMs = c.latencyMs?.[i];
    return {
      arch,
      key: keys.get(i) ?? arch,
      origin: c.origins[ORIGIN_DIGITS.indexOf(c.origin[i]!)] as Evaluation['origin'],
      valAcc: c.valAcc[i]!,
      ...(testAcc !== undefined && testAcc !== null ? { testAcc } : {}),
      cost: costs.get(i) ?? { flopsM: c.flopsM[i]!, paramsM: c.paramsM[i]!, ...(latencyMs !== undefined && latencyMs !== null ? { latencyMs } : {}) },
      feasible: c.feasible[i] === '1',
      iteration: iterations[i]!,
    };
  });
}

/** What crosses continue-as-new of the search state: `evaluated` left empty, and packed beside it. */
export interface CarriedSearchState {
  state: SearchState;
  /** `state.evaluated`, packed; absent where it was carried as it is (runs of earlier releases, or state the columns cannot hold). */
  packed?: PackedEvaluations;
}

export function packState(state: SearchState): CarriedSearchState {
  const packed = packEvaluations(state.evaluated);
  return packed ? { state: { ...state, evaluated: [] }, packed } : { state };
}

export function unpackState(carried: CarriedSearchState): SearchState {
  return carried.packed ? { ...carried.state, evaluated: unpackEvaluations(carried.packed) } : carried.state;
}
