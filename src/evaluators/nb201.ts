import type { EvalResult } from '../search/types';
import { Nb201Table, resolveNb201Table } from './nb201-table';
import type { EvalContext, EvalRequest, Evaluator } from './types';

export interface Nb201EvaluatorOptions {
  /** Path to nb201.csv; default: NB201_TABLE, ./data/nb201, ../shared/data/nb201. */
  table?: string;
  /**
   * Pretend each evaluation trains for this long. The table answers at once;
   * a delay makes a tabular search behave like a real one (progress to watch,
   * work in flight when a worker dies).
   */
  simulateMs?: number;
}

/** NAS-Bench-201 evaluation by table lookup. The table is read once per worker process. */
export function nb201Evaluator(options: Nb201EvaluatorOptions = {}): Evaluator {
  let table: Nb201Table | undefined;
  const load = (): Nb201Table => (table ??= Nb201Table.load(options.table ?? resolveNb201Table()));
  return {
    space: 'nb201',
    check() {
      load();
    },
    async evaluate(request: EvalRequest, context: EvalContext): Promise<EvalResult> {
      const result = load().lookup(request.arch, request.dataset, request.latencyDevice);
      if (options.simulateMs) await context.sleep(options.simulateMs);
      return result;
    },
  };
}
