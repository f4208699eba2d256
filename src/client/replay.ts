import { readFileSync } from 'node:fs';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';

/**
 * Replays a search's exported history (`temporal workflow show --output
 * json`, or the CLI's `export`) against the workflow code in this checkout:
 * the check that upgrading the workers will not break the searches running
 * on the old code.
 */
export interface ReplayOutcome {
  file: string;
  events: number;
  deterministic: boolean;
  /** Why not, when it is not. */
  error?: string;
}

const WORKFLOWS_PATH = require.resolve('../workflows');

export function readHistoryFile(file: string): ReturnType<typeof historyFromJSON> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`${file}: cannot read the history file (${code === 'ENOENT' ? 'no such file' : (code ?? (err as Error).message)}); export one with \`collm-nas export <workflow-id> ${file}\``);
  }
  try {
    return historyFromJSON(JSON.parse(text));
  } catch (err) {
    throw new Error(`${file}: not a workflow history (${(err as Error).message}); export one with \`collm-nas export <workflow-id> ${file}\``);
  }
}

export async function replayHistoryFile(file: string, workflowId = 'replay'): Promise<ReplayOutcome> {
  const history = readHistoryFile(file);
  const events = history.events?.length ?? 0;
  try {
    await Worker.runReplayHistory({ workflowsPath: WORKFLOWS_PATH, replayName: `replay ${file}` }, history, workflowId);
    return { file, events, deterministic: true };
  } catch (err) {
    if (err instanceof DeterminismViolationError) return { file, events, deterministic: false, error: err.message };
    throw err;
  }
}
