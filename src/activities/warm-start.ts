import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { meetsConstraint } from '../search/constraint';
import type { SearchResult } from '../search/summary';
import type { Constraint } from '../search/types';
import { getSpace } from '../spaces';
import { scheduledRunsQuery } from '../workflows/search-attributes';

/**
 * Warm start of a scheduled search: the best architectures of the last
 * completed run of a schedule, found through Temporal's visibility (the
 * `TemporalScheduledById` search attribute Temporal sets on every run a
 * schedule starts) and that run's result, so no side database is needed.
 * It runs as an activity because it reads the server; its answer lands in
 * history, so a replay never asks again and never re-validates.
 */
export interface WarmStartRequest {
  scheduleId: string;
  /** How many architectures to seed with. */
  top: number;
  /** The new search's space, dataset and constraint: the seeds must fit them. */
  space: string;
  dataset: string;
  constraint?: Constraint;
  /** Architectures the search seeds with anyway (its config's), not repeated. */
  seedArchitectures: readonly string[];
}

/** How a search was warm-started; it goes into the run's memo as `warmStart`. */
export interface WarmStart {
  /** The schedule looked through; null when the run was not started by one and the config names none. */
  schedule: string | null;
  /** Workflow id of the completed run the seeds came from; null for a cold start. */
  from: string | null;
  fromRunId?: string;
  /** The seeds, in the space's text format, best first; evaluated after the config's own seeds. */
  architectures: string[];
  /** That run's architectures left out, and why (not in the space, already a seed, over the constraint). */
  dropped: { arch: string; reason: string }[];
  /** Why the start is cold, or anything else worth knowing. */
  note?: string;
}

/** How many of the newest completed runs are compared: visibility lists newest first, so the first few suffice. */
const NEWEST_RUNS = 20;

export function createWarmStartActivities(clientOf: () => Client = () => Context.current().client) {
  return {
    async findWarmStart(request: WarmStartRequest): Promise<WarmStart> {
      const client = clientOf();
      const cold = (note: string): WarmStart => ({ schedule: request.scheduleId, from: null, architectures: [], dropped: [], note });
      const previous = await lastCompletedRun(client, request.scheduleId);
      if (!previous) return cold(`no completed run of schedule ${request.scheduleId} yet: cold start`);

      const result = (await client.workflow.getHandle(previous.workflowId, previous.runId).result()) as SearchResult | undefined;
      if (!result || !Array.isArray(result.history)) {
        return { ...cold(`run ${previous.workflowId} left no search result to seed from: cold start`), from: previous.workflowId, fromRunId: previous.runId };
      }
      return { schedule: request.scheduleId, from: previous.workflowId, fromRunId: previous.runId, ...pickSeeds(request, result) };
    },
  };
}

export type WarmStartActivities = ReturnType<typeof createWarmStartActivities>;

async function lastCompletedRun(client: Client, scheduleId: string): Promise<{ workflowId: string; runId: string } | undefined> {
  let newest: { workflowId: string; runId: string; closed: number } | undefined;
  let seen = 0;
  for await (const run of client.workflow.list({ query: scheduledRunsQuery(scheduleId, 'Completed'), pageSize: NEWEST_RUNS })) {
    const closed = run.closeTime?.getTime() ?? 0;
    if (!newest || closed > newest.closed) newest = { workflowId: run.workflowId, runId: run.runId, closed };
    if (++seen >= NEWEST_RUNS) break;
  }
  return newest && { workflowId: newest.workflowId, runId: newest.runId };
}

/**
 * The previous run's best feasible architectures, checked against the new
 * search as its seeds would be: members of its space (the schedule's config
 * may have changed since), not repeating each other or the config's seeds,
 * and meeting its cost constraint where the space knows the cost up front.
 */
export function pickSeeds(request: WarmStartRequest, result: Pick<SearchResult, 'history'> & Partial<Pick<SearchResult, 'historyTruncated' | 'topK'>>): Pick<WarmStart, 'architectures' | 'dropped'> {
  const space = getSpace(request.space);
  const keys = new Set(request.seedArchitectures.map((text) => space.key(space.parse(text))));
  // A long search's history holds only its last evaluations; its best are in topK, best first.
  const listed = result.historyTruncated && Array.isArray(result.topK) ? [...result.topK, ...result.history.filter((e) => !result.topK!.some((t) => t.arch === e.arch))] : result.history;
  const ranked = listed
    .map((e, i) => ({ e, i }))
    .filter(({ e }) => e.feasible && typeof e.arch === 'string' && Number.isFinite(e.valAcc))
    .sort((a, b) => b.e.valAcc - a.e.valAcc || a.i - b.i)
    .map(({ e }) => e.arch);
  const architectures: string[] = [];
  const dropped: WarmStart['dropped'] = [];
  for (const text of ranked) {
    if (architectures.length >= request.top) break;
    let seed: { arch: unknown; key: string; feasible: boolean };
    try {
      const arch = space.parse(text);
      seed = { arch, key: space.key(arch), feasible: meetsConstraint(space.cost(arch, request.dataset), request.constraint) };
    } catch (err) {
      dropped.push({ arch: text, reason: `not in space ${request.space}: ${(err as Error).message}` });
      continue;
    }
    if (keys.has(seed.key)) {
      dropped.push({ arch: text, reason: 'already a seed' });
    } else if (!seed.feasible) {
      dropped.push({ arch: text, reason: `over the constraint (${request.constraint!.metric} <= ${request.constraint!.max})` });
    } else {
      keys.add(seed.key);
      architectures.push(space.format(seed.arch));
    }
  }
  return { architectures, dropped };
}
