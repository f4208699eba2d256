import { z } from 'zod';
import { getSpace } from '../../spaces';
import type { EvaluatorPlugin } from '../types';
import { resolveOfaDataDir, ofaDataFiles } from './data';
import { Note10LatencyTables, note10Latency } from './latency';
import { OfaAccuracyPredictor } from './predictor';
import type { OfaSubnet } from './subnet';

export interface OfaPredictorSettings {
  /** The OFA data directory on this worker; default: OFA_DATA, ./data/ofa, ../shared/data/ofa. */
  dir?: string;
}

/** The device name a latency constraint uses for the Note10 tables. */
export const NOTE10 = 'note10';

/**
 * once-for-all's own accuracy predictor as an evaluator: a complete OFA search
 * on any machine, as OFA's tutorial runs it. Its accuracy is a *prediction*
 * for the width-1.2 supernet (a proxy for ranking, a few points above the
 * published top-1 after fine-tuning), and is labelled so wherever it is shown.
 * Latency on device "note10" is the sum of the Note10 lookup tables.
 */
export const ofaPredictorEvaluator: EvaluatorPlugin<Record<string, never>, OfaPredictorSettings> = {
  name: 'ofa-predictor',
  description: "once-for-all's ImageNet accuracy predictor (predicted top-1) and Note10 latency tables",
  accuracyLabel: 'predicted ImageNet top-1 (OFA accuracy predictor)',
  batch: true,
  spaces: ['ofa-mbv3-w12'],
  latency: (device) => device === NOTE10,
  options: z.object({}).strict(),
  create(settings) {
    // Read on first use: the predictor by every evaluation, the tables by latency-constrained ones only.
    let dir: string | undefined;
    let predictor: OfaAccuracyPredictor | undefined;
    let tables: Note10LatencyTables | undefined;
    const dataDir = (): string => (dir ??= resolveOfaDataDir(settings?.dir ? { dir: settings.dir } : {}));
    const getPredictor = (): OfaAccuracyPredictor => (predictor ??= OfaAccuracyPredictor.load(ofaDataFiles(dataDir()).predictor));
    const getTables = (): Note10LatencyTables => (tables ??= Note10LatencyTables.load(dataDir()));
    return {
      check() {
        getPredictor();
      },
      evaluate(request) {
        const space = getSpace(request.space);
        const arch = space.parse(request.arch) as OfaSubnet;
        const cost = space.cost(arch, request.dataset);
        if (request.latencyDevice !== undefined) cost.latencyMs = note10Latency(arch, getTables());
        return Promise.resolve({ valAcc: 100 * getPredictor().predict(arch), cost });
      },
    };
  },
};
