import { z } from 'zod';
import { EVALUATORS } from '../evaluators/registry';
import type { EvalContext } from '../evaluators/types';
import type { EvalResult } from '../search/types';
import { getSpace } from '../spaces';
import type { Cost, SearchSpace } from '../spaces/types';

/**
 * What the CLI can answer without a Temporal server: an architecture's cost,
 * or one evaluation run in this process. Architectures come in the space's
 * JSON representation (what an LLM writes) or its text form.
 */

/** An architecture from the command line: JSON checked against the space's schema, else the text form. */
export function readArch(space: SearchSpace<unknown>, text: string, forCost = false): unknown {
  const parse = (forCost && space.parseForCost) || space.parse;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return parse(text); // the text form, e.g. a NAS-Bench-201 cell string
  }
  // Spaces whose text form is JSON (or a bare number, like SPOS's digits) parse it themselves.
  if (!Array.isArray(json)) return parse(text);
  const checked = space.schema.safeParse(json);
  if (!checked.success) {
    throw new Error(`--arch is not an architecture of ${space.name}:\n${z.prettifyError(checked.error)}\n(format: ${space.jsonFormat})`);
  }
  return checked.data;
}

export function costOf(spaceName: string, archText: string, dataset?: string): Cost & { space: string; dataset: string } {
  const space = getSpace(spaceName);
  const ds = dataset ?? space.datasets[0]!;
  const arch = readArch(space, archText, true);
  return { space: space.name, dataset: ds, ...space.cost(arch, ds) };
}

/** One evaluation in this process, with this process's evaluator settings (environment, defaults). */
export async function evaluateOnce(args: {
  space: string;
  evaluator?: string;
  arch: string;
  dataset?: string;
  options?: unknown;
  latencyDevice?: string;
}): Promise<EvalResult & { evaluator: string; accuracyLabel: string }> {
  const space = getSpace(args.space);
  const plugin = EVALUATORS.get(args.evaluator ?? space.defaultEvaluator);
  if (plugin.spaces !== 'any' && !plugin.spaces.includes(space.name)) {
    throw new Error(`--evaluator: ${plugin.name} does not evaluate space ${space.name} (it scores ${plugin.spaces.join(', ')})`);
  }
  const options = plugin.options.safeParse(args.options ?? {});
  if (!options.success) throw new Error(`--options: ${z.prettifyError(options.error)}`);
  const arch = readArch(space, args.arch);
  const evaluator = plugin.create(undefined);
  evaluator.check();
  const controller = new AbortController();
  const context: EvalContext = {
    device: 'cpu',
    heartbeat: () => {},
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    signal: controller.signal,
  };
  const request = {
    evaluator: plugin.name,
    options: options.data as Record<string, unknown>,
    space: space.name,
    dataset: args.dataset ?? space.datasets[0]!,
    arch: space.format(arch),
    ...(args.latencyDevice ? { latencyDevice: args.latencyDevice } : {}),
  };
  if (plugin.measuresOnly && evaluator.measure) {
    // A cost evaluator scores nothing: its measurements alone (NaN marks the missing accuracy).
    return { valAcc: NaN, ...(await evaluator.measure(request, context)), evaluator: plugin.name, accuracyLabel: plugin.accuracyLabel };
  }
  const result = await evaluator.evaluate(request, context);
  return { ...result, evaluator: plugin.name, accuracyLabel: plugin.accuracyLabel };
}
