import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Where the OFA data lives. The files are once-for-all's published assets and
 * are not part of this repository: they are read from a directory the user
 * configures (OFA_DATA), never copied here.
 */

export const OFA_DATA_HELP =
  'Set OFA_DATA to a directory holding acc_predictor.safetensors and note10/{160,176,192,208,224}_lookup_table.yaml. ' +
  "They are once-for-all's published assets (MIT Han Lab): the accuracy predictor is acc_predictor.pth " +
  '(https://hanlab.mit.edu/files/OnceForAll/tutorial/acc_predictor.pth), converted losslessly to safetensors ' +
  '(float32, keys 0.*, 2.*, 4.*, 6.*; e.g. safetensors.torch.save_file(torch.load("acc_predictor.pth"), "acc_predictor.safetensors")); ' +
  'the Note10 tables are ofa/note10/<resolution>_lookup_table.yaml in the public file repository github.com/han-cai/files. ' +
  'See SOURCE.md in the shared data folder.';

export class OfaDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OfaDataError';
  }
}

/** Where the data directory is looked for: OFA_DATA, then ./data/ofa, then ../shared/data/ofa beside the checkout. */
export function ofaDataCandidates(env: NodeJS.ProcessEnv = process.env, root = process.cwd()): string[] {
  if (env.OFA_DATA) return [resolve(env.OFA_DATA)];
  return [join(root, 'data/ofa'), join(root, '../shared/data/ofa')];
}

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

export interface OfaDataOptions {
  /** The data directory; when absent, OFA_DATA and then the default places are tried. */
  dir?: string;
  env?: NodeJS.ProcessEnv;
  /** The repository root the default places are relative to (the working directory by default). */
  root?: string;
}

/** Resolves the data directory; throws OfaDataError with OFA_DATA_HELP when there is none. */
export function resolveOfaDataDir(options: OfaDataOptions = {}): string {
  const candidates = options.dir !== undefined ? [resolve(options.dir)] : ofaDataCandidates(options.env, options.root);
  const found = candidates.find(isDirectory);
  if (!found) throw new OfaDataError(`OFA data directory not found (looked at ${candidates.join(', ')}). ${OFA_DATA_HELP}`);
  return found;
}

/** The files inside a data directory. */
export function ofaDataFiles(dir: string): {
  predictor: string;
  note10Dir: string;
  note10Table(resolution: number): string;
  specializedCsv: string;
} {
  const note10Dir = join(dir, 'note10');
  return {
    predictor: join(dir, 'acc_predictor.safetensors'),
    note10Dir,
    note10Table: (resolution) => join(note10Dir, `${resolution}_lookup_table.yaml`),
    specializedCsv: join(dir, 'specialized-flops.csv'),
  };
}
