import { z } from 'zod';
import { Nb201Table, resolveNb201Table } from './table';
import type { EvaluatorPlugin } from '../types';

export interface Nb201Settings {
  /** Path to nb201.csv on this worker; default: NB201_TABLE, ./data/nb201, ../shared/data/nb201. */
  table?: string;
}

/**
 * NAS-Bench-201 evaluation by table lookup: every architecture's accuracy was
 * measured once by the benchmark's authors. The table is read once per worker
 * process, on the first evaluation (or at start-up, by `check`).
 */
export const nb201TableEvaluator: EvaluatorPlugin<Record<string, never>, Nb201Settings> = {
  name: 'nb201-table',
  description: 'NAS-Bench-201 accuracies and costs looked up in the benchmark table (latency from hw.csv)',
  accuracyLabel: 'validation accuracy',
  batch: true,
  spaces: ['nb201'],
  // The devices of hw.csv (HW-NAS-Bench's hwnb_*, HELP's help_*); the table names those it has when one is unknown.
  latency: (device) => /^(hwnb|help)_/.test(device),
  options: z.object({}).strict(),
  create(settings) {
    let table: Nb201Table | undefined;
    const load = (): Nb201Table => (table ??= Nb201Table.load(settings?.table ?? resolveNb201Table()));
    return {
      check() {
        load();
      },
      evaluate: (request) => Promise.resolve(load().lookup(request.arch, request.dataset, request.latencyDevice)),
    };
  },
};
