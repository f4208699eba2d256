import { AUTOFORMER_B, AUTOFORMER_S, AUTOFORMER_T, autoformerCodec, type AutoformerVariant } from '../spaces/autoformer';
import { nb201Space, type Nb201Arch } from '../spaces/nb201';
import { checkOfaArch, ofaMbv3W10Space, parseOfa } from '../spaces/ofa-mbv3';
import { sposSpace, type SposArch } from '../spaces/spos';
import { buildAutoformer } from './graphs/autoformer';
import { countModel } from './count/count';
import type { BuiltGraph } from './graphs/graph';
import { buildNb201 } from './graphs/nb201';
import { buildOfaMbv3 } from './graphs/ofa-mbv3';
import { buildSpos } from './graphs/spos';

/**
 * ONNX models of any candidate of every search space, with FLOPs and
 * parameters counted from the built graph (count/count.ts), in the units and
 * the convention of the space's own cost(). The entry point for the rest of
 * src/; by concern:
 *
 * - proto/: the ONNX protobuf written (proto.ts) and read back (decode.ts);
 * - graphs/: graph bookkeeping (graph.ts), the layer API (builder.ts) and one
 *   network per space (nb201.ts, ofa-mbv3.ts, spos.ts, autoformer.ts);
 * - count/: FLOPs and parameters counted from a model's bytes;
 * - run/: running models with onnxruntime-node (latency, forward passes).
 */

export { countModel, FLOPS_CONVENTION, type GraphCount } from './count/count';
export { decodeModel, type DecodedModel } from './proto/decode';
export { measureLatency, runBatch, type LatencyOptions, type LatencyResult } from './run/measure';

export interface BuildOptions {
  /** Seed of the weight generator (default 0): the same arch and seed give the same bytes. */
  seed?: number;
  /** Adds every ReLU / h-swish output (AutoFormer: every GELU input) as a graph output, for NASWOT. */
  exposeActivations?: boolean;
}

export interface BuiltModel {
  model: Uint8Array;
  inputName: string;
  /** Input shape with batch 1 (the model's batch dimension is symbolic, "N"). */
  inputShape: number[];
  /** The network's own outputs (the logits). */
  outputs: string[];
  flopsM: number;
  paramsM: number;
  /** Extra outputs with exposeActivations, in network order; empty otherwise. */
  activationOutputs: string[];
}

type GraphBuilder = (arch: unknown, dataset: string, seed: number, expose: boolean) => BuiltGraph;

/** The datasets a space has graphs for; others are refused naming them. */
function checked(spaceName: string, datasets: readonly string[], build: GraphBuilder): GraphBuilder {
  return (arch, dataset, seed, expose) => {
    if (!datasets.includes(dataset)) {
      throw new Error(`dataset: the ${spaceName} space has graphs for ${datasets.join(', ')} only (got '${dataset}')`);
    }
    return build(arch, dataset, seed, expose);
  };
}

const nb201: GraphBuilder = (arch, dataset, seed, expose) =>
  buildNb201(typeof arch === 'string' ? nb201Space.parse(arch) : (arch as Nb201Arch), dataset, seed, expose);

// Any resolution: published subnets use some outside the searched list.
const ofa = (name: string, width: number): GraphBuilder => (arch, _dataset, seed, expose) =>
  buildOfaMbv3(typeof arch === 'string' ? parseOfa(arch, 'any') : checkOfaArch(arch, 'any'), width, seed, expose, name);

const spos: GraphBuilder = (arch, _dataset, seed, expose) =>
  buildSpos(typeof arch === 'string' ? sposSpace.parse(arch) : (arch as SposArch), seed, expose);

const autoformer = (variant: AutoformerVariant): GraphBuilder => (arch, _dataset, seed, expose) => {
  const codec = autoformerCodec(variant);
  return buildAutoformer(codec, typeof arch === 'string' ? codec.parse(arch) : codec.check(arch), seed, expose, variant.name);
};

/** The spaces with a graph builder, by space name: one line each. */
const GRAPHS: Readonly<Record<string, GraphBuilder>> = {
  [nb201Space.name]: checked(nb201Space.name, nb201Space.datasets, nb201),
  'ofa-mbv3-w10': checked('ofa-mbv3-w10', ofaMbv3W10Space.datasets, ofa('ofa-mbv3-w10', 1.0)),
  'ofa-mbv3-w12': checked('ofa-mbv3-w12', ofaMbv3W10Space.datasets, ofa('ofa-mbv3-w12', 1.2)),
  [sposSpace.name]: checked(sposSpace.name, sposSpace.datasets, spos),
  [AUTOFORMER_T.name]: checked(AUTOFORMER_T.name, ['imagenet'], autoformer(AUTOFORMER_T)),
  [AUTOFORMER_S.name]: checked(AUTOFORMER_S.name, ['imagenet'], autoformer(AUTOFORMER_S)),
  [AUTOFORMER_B.name]: checked(AUTOFORMER_B.name, ['imagenet'], autoformer(AUTOFORMER_B)),
};

/** Spaces whose candidates can be built as ONNX graphs (what onnx-cost and naswot can evaluate). */
export const GRAPH_SPACES: readonly string[] = Object.keys(GRAPHS);

function build(spaceName: string, arch: unknown, dataset: string, seed: number, expose: boolean): BuiltGraph {
  const builder = GRAPHS[spaceName];
  if (!builder) throw new Error(`space: no ONNX graph for '${spaceName}'; spaces with graphs: ${GRAPH_SPACES.join(', ')}`);
  return builder(arch, dataset, seed, expose);
}

/**
 * Builds the ONNX model of `arch` (the space's JSON form, or its text form)
 * and counts it. Weights are random (seeded), He-scaled; see graphs/builder.ts.
 */
export function buildOnnx(spaceName: string, arch: unknown, dataset: string, options: BuildOptions = {}): BuiltModel {
  const built = build(spaceName, arch, dataset, options.seed ?? 0, options.exposeActivations ?? false);
  const { flopsM, paramsM } = countModel(built.model);
  return { ...built, flopsM, paramsM };
}
