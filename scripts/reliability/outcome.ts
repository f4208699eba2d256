/**
 * What one trial found: counted by the trial and its faults, judged by the
 * checks, summed by the report. Its own module because all three fill or read it.
 */
import type { Kind } from './plan';

export interface Outcome {
  index: number;
  kind: Kind;
  workflowId: string;
  /** Worker processes killed with SIGKILL, in `killEvents` moments. */
  kills: number;
  killEvents: number;
  /** Processes started again: killed workers, or the dev server. */
  restarts: number;
  hangs: number;
  /** Kill moments with an evaluation / an LLM call running on a killed worker; server stops with evaluations running. */
  midEval: number;
  midLlm: number;
  midEvalStops: number;
  /** Activities whose last attempt followed a heartbeat timeout: work a fault took away and a retry redid. */
  evalsRetried: number;
  llmRetried: number;
  finished: boolean;
  equal: boolean;
  duplicates: number;
  missing: number;
  runs: number;
  wallMs: number;
  /** hang: evaluations running on the frozen worker, those retried after a heartbeat timeout, those completed by the other worker. */
  frozen: number;
  caught: number;
  movedElsewhere: number;
  /** failing: candidates recorded as failed, and of those, the ones whose last attempt was the limit. */
  failed: number;
  failedAtLimit: number;
  problems: string[];
}

export function newOutcome(index: number, kind: Kind, workflowId: string): Outcome {
  return {
    index, kind, workflowId, kills: 0, killEvents: 0, restarts: 0, hangs: 0, midEval: 0, midLlm: 0, midEvalStops: 0, evalsRetried: 0, llmRetried: 0, finished: false, equal: false,
    duplicates: 0, missing: 0, runs: 0, wallMs: 0, frozen: 0, caught: 0, movedElsewhere: 0, failed: 0, failedAtLimit: 0, problems: [],
  };
}
