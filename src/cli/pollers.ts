import type { WorkflowHandle, WorkflowService } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { shellWord } from '../lib/shell';
import { CONTROL_TASK_QUEUE, EVAL_TASK_QUEUE } from '../search/task-queues';
import type { SearchConfig } from '../search/types';
import type { SearchMemo } from '../workflows/api';

/**
 * Whether workers poll the task queues a search needs. A search that no
 * worker polls for does nothing and says nothing (`started`, then silence):
 * `start` and `watch` say so, and what to run, instead.
 */

/** A search's queues: its workflow's, and those its activities go to (evaluations, scoring). */
export interface SearchQueues {
  control: string;
  /** Empty when not known (a search whose first workflow task has not run has no memo yet). */
  activities: string[];
}

/** A queue and the kind of worker that polls it. */
export interface WorkerQueue {
  queue: string;
  kind: 'control' | 'eval';
}

export function workerQueues(queues: SearchQueues): WorkerQueue[] {
  return [{ queue: queues.control, kind: 'control' }, ...queues.activities.map((queue) => ({ queue, kind: 'eval' as const }))];
}

const { TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY } = temporal.api.enums.v1.TaskQueueType;

/** The queues of a search's config: its control queue is where it was started. */
export function queuesOf(config: Pick<SearchConfig, 'evaluation' | 'rank'>, control: string): SearchQueues {
  return { control, activities: [...new Set([config.evaluation.taskQueue, ...(config.rank?.taskQueue ? [config.rank.taskQueue] : [])])] };
}

/** The queues of a running search, from the server; undefined when it has closed (nothing to wait for). */
export async function queuesOfRunning(handle: WorkflowHandle): Promise<SearchQueues | undefined> {
  const description = await handle.describe();
  if (description.status.name !== 'RUNNING') return undefined;
  const memo = description.memo as Partial<SearchMemo> | undefined;
  return memo?.config ? queuesOf(memo.config, description.taskQueue) : { control: description.taskQueue, activities: [] };
}

/**
 * Asks the server who polls each queue until every one has a poller or
 * `graceMs` has passed; resolves to those still without one (none when
 * `signal` aborts first: the search has ended). A server that will not say
 * (permissions) counts as polled: the check must never stop a watch.
 */
export async function idleQueues(
  service: WorkflowService,
  namespace: string,
  queues: SearchQueues,
  options: { graceMs?: number; intervalMs?: number; signal?: AbortSignal } = {},
): Promise<WorkerQueue[]> {
  const deadline = Date.now() + (options.graceMs ?? 5000);
  let idle = workerQueues(queues);
  for (;;) {
    const polled = await Promise.all(idle.map((q) => hasPoller(service, namespace, q)));
    idle = idle.filter((_, i) => !polled[i]);
    if (options.signal?.aborted) return [];
    if (idle.length === 0 || Date.now() >= deadline) return idle;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.min(options.intervalMs ?? 1000, Math.max(0, deadline - Date.now())));
      options.signal?.addEventListener('abort', done, { once: true });
      function done(): void {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', done);
        resolve();
      }
    });
    if (options.signal?.aborted) return [];
  }
}

async function hasPoller(service: WorkflowService, namespace: string, q: WorkerQueue): Promise<boolean> {
  try {
    const { pollers } = await service.describeTaskQueue({
      namespace,
      taskQueue: { name: q.queue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: q.kind === 'control' ? TASK_QUEUE_TYPE_WORKFLOW : TASK_QUEUE_TYPE_ACTIVITY,
    });
    return (pollers?.length ?? 0) > 0;
  } catch {
    return true;
  }
}

/** The variable each worker reads its queue from, and the queue it polls without it. */
const QUEUE_VARIABLE = { control: ['NAS_CONTROL_TASK_QUEUE', CONTROL_TASK_QUEUE], eval: ['NAS_EVAL_TASK_QUEUE', EVAL_TASK_QUEUE] } as const;

/** Which queues no worker polls, that the search waits, and what starts the workers it lacks. */
export function idleQueuesMessage(idle: readonly WorkerQueue[], env: NodeJS.ProcessEnv = process.env): string {
  const what = (q: WorkerQueue): string => `'${q.queue}' (${q.kind === 'control' ? 'its workflow' : 'its evaluations'})`;
  return `no worker polls the task queue${idle.length > 1 ? 's' : ''} ${idle.map(what).join(' or ')}, so the search waits; start ${idle.length > 1 ? 'them' : 'one'} with ${workersCommand(idle, env)}`;
}

/**
 * The command (or commands) that start workers for these queues against the same
 * server: with the variables this command was given for it, and each queue
 * unless a worker started from this environment polls it anyway.
 */
export function workersCommand(list: readonly WorkerQueue[], env: NodeJS.ProcessEnv = process.env): string {
  const server = ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_PROFILE'].filter((v) => env[v]).map((v) => `${v}=${shellWord(env[v]!)}`);
  const queueEnv = (q: WorkerQueue): string[] => {
    const [variable, fallback] = QUEUE_VARIABLE[q.kind];
    return q.queue === (env[variable] ?? fallback) ? [] : [`${variable}=${shellWord(q.queue)}`];
  };
  const command = (vars: string[], kind: string): string => `\`${[...server, ...vars, 'npx collm-nas worker', kind].join(' ')}\``;
  const control = list.find((q) => q.kind === 'control');
  const evals = list.filter((q) => q.kind === 'eval');
  if (control && evals.length === 1) return command([...queueEnv(control), ...queueEnv(evals[0]!)], 'all');
  return [...(control ? [command(queueEnv(control), 'control')] : []), ...evals.map((q) => command(queueEnv(q), 'eval'))].join(' and ');
}
