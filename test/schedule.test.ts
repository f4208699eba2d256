import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ScheduleNotFoundError, type Client, type ScheduleSpecDescription } from '@temporalio/client';
import {
  backfillSearchSchedule,
  createSearchSchedule,
  deleteSearchSchedule,
  describeSearchSchedule,
  listScheduledRuns,
  listSearchSchedules,
  pauseSearchSchedule,
  triggerSearchSchedule,
  unpauseSearchSchedule,
  updateSearchSchedule,
} from '../src/client/schedule';
import { pickSeeds } from '../src/activities/warm-start';
import { duration, runStatus } from '../src/cli/commands/schedule/flags';
import { describeText, whenText } from '../src/cli/commands/schedule/format';
import { startSearch } from '../src/client/search';
import { ConfigError } from '../src/search/config';
import { NAS_SPACE, NAS_STRATEGY, TEMPORAL_SCHEDULED_BY_ID } from '../src/workflows/search-attributes';
import type { SearchResult } from '../src/search/summary';
import { pauseSignal, stopSignal, type SearchMemo } from '../src/workflows/api';
import { inProcessWorkers, queues, uniqueId, useTemporal, waitFor } from './helpers';

const env = useTemporal();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Deletes the schedule and ends the runs it left going, whatever became of the test. */
async function cleanUp(client: Client, scheduleId: string): Promise<void> {
  await deleteSearchSchedule(client, scheduleId).catch(() => {});
  for (const run of await listScheduledRuns(client, scheduleId, 'Running')) {
    await client.workflow.getHandle(run.workflowId, run.runId).terminate('test over').catch(() => {});
  }
}

async function memoOf(client: Client, workflowId: string, runId?: string): Promise<SearchMemo> {
  return (await client.workflow.getHandle(workflowId, runId).describe()).memo as unknown as SearchMemo;
}

/** The n best feasible architectures of a result, earliest first among equals: what a warm start seeds with. */
function bestOf(result: SearchResult, n: number): string[] {
  return result.history
    .map((e, i) => ({ e, i }))
    .filter(({ e }) => e.feasible)
    .sort((a, b) => b.e.valAcc - a.e.valAcc || a.i - b.i)
    .slice(0, n)
    .map(({ e }) => e.arch);
}

test('a schedule starts runs, and each warm-starts from the best architectures of the last completed one', async () => {
  const q = queues('sched');
  const workers = await inProcessWorkers(env.native, q);
  const scheduleId = uniqueId('nightly');
  // Each run continues-as-new: the run that completes is the last of a chain, and must still be found.
  const config = { budget: 40, batchSize: 4, strategy: 'random', seed: 5, continueAsNewAfterEvents: 60, warmStart: { top: 3 }, evaluation: { taskQueue: q.eval } };
  try {
    await workers.run(async () => {
      await createSearchSchedule(env.client, config, { scheduleId, every: '3s', taskQueue: q.control, workflowTaskTimeout: '5s' });
      const completed = await waitFor(
        'two completed runs',
        async () => {
          const runs = await listScheduledRuns(env.client, scheduleId, 'Completed');
          return runs.length >= 2 ? runs.reverse() : undefined;
        },
        60_000,
      );
      const [first, second] = completed as [(typeof completed)[0], (typeof completed)[0]];

      // Temporal names the schedule on its runs; the action sets the identity attributes.
      assert.equal(first.typedSearchAttributes.get(TEMPORAL_SCHEDULED_BY_ID), scheduleId);
      assert.equal(first.typedSearchAttributes.get(NAS_SPACE), 'nb201');
      assert.equal(first.typedSearchAttributes.get(NAS_STRATEGY), 'random');

      // Nothing came before the first run: it starts cold and says so.
      const firstMemo = await memoOf(env.client, first.workflowId, first.runId);
      assert.equal(firstMemo.warmStart?.schedule, scheduleId);
      assert.equal(firstMemo.warmStart?.from, null);
      assert.deepEqual(firstMemo.warmStart?.architectures, []);
      assert.match(firstMemo.warmStart?.note ?? '', /no completed run .* cold start/);
      const firstResult = (await env.client.workflow.getHandle(first.workflowId, first.runId).result()) as SearchResult;
      assert.ok(firstResult.history.every((e) => e.origin !== 'seed'));
      const chain = [];
      for await (const run of env.client.workflow.list({ query: `WorkflowId = '${first.workflowId}'` })) chain.push(run.status.name);
      assert.ok(chain.includes('CONTINUED_AS_NEW'), `the first run's chain: ${chain.join(', ')}`);

      // The second seeds with the first's three best and evaluates them first.
      const expected = bestOf(firstResult, 3);
      const secondMemo = await memoOf(env.client, second.workflowId, second.runId);
      assert.equal(secondMemo.warmStart?.from, first.workflowId);
      assert.equal(secondMemo.warmStart?.fromRunId, first.runId);
      assert.deepEqual(secondMemo.warmStart?.architectures, expected);
      assert.deepEqual(secondMemo.config.seedArchitectures, [], 'the memo keeps the config as resolved');
      const secondResult = (await env.client.workflow.getHandle(second.workflowId, second.runId).result()) as SearchResult;
      assert.deepEqual(secondResult.history.slice(0, 3).map((e) => [e.arch, e.origin]), expected.map((a) => [a, 'seed']));
      assert.equal(secondResult.evaluated, 40);
      assert.ok(secondResult.best!.valAcc >= firstResult.best!.valAcc, 'the best of the night before is evaluated again');
    });
  } finally {
    await cleanUp(env.client, scheduleId);
  }
});

test('with the default overlap policy no run starts while one is going, and a deleted schedule starts none', async () => {
  const q = queues('skip');
  const workers = await inProcessWorkers(env.native, q, { simulateMs: 100 });
  const scheduleId = uniqueId('skip');
  try {
    await workers.run(async () => {
      await createSearchSchedule(env.client, { budget: 500, batchSize: 2, strategy: 'random', evaluation: { taskQueue: q.eval } }, { scheduleId, every: '2s', taskQueue: q.control });
      const first = await waitFor('the first run', async () => (await listScheduledRuns(env.client, scheduleId, 'Running'))[0], 30_000);
      const handle = env.client.workflow.getHandle(first.workflowId, first.runId);
      // Paused, the run stays open however long the test waits.
      await handle.signal(pauseSignal);
      await sleep(7_000);
      const info = await describeSearchSchedule(env.client, scheduleId);
      assert.equal(info.overlap, 'SKIP');
      assert.ok(info.skippedOverlap >= 2, `runs skipped for overlap: ${info.skippedOverlap}`);
      assert.deepEqual(info.running, [first.workflowId]);
      assert.deepEqual((await listScheduledRuns(env.client, scheduleId)).map((r) => r.workflowId), [first.workflowId]);

      // Once the run is over, a live schedule would start the next within 2 s; a deleted one must not.
      await deleteSearchSchedule(env.client, scheduleId);
      await handle.signal(stopSignal);
      assert.equal(((await handle.result()) as SearchResult).stopReason, 'stopped');
      await sleep(5_000);
      assert.deepEqual((await listScheduledRuns(env.client, scheduleId)).map((r) => r.workflowId), [first.workflowId]);
      await assert.rejects(describeSearchSchedule(env.client, scheduleId), ScheduleNotFoundError);
    });
  } finally {
    await cleanUp(env.client, scheduleId);
  }
});

test('warm-start seeds are the best feasible architectures that fit the new search; the rest are left out with the reason', () => {
  const over = '|nor_conv_1x1~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_1x1~0|avg_pool_3x3~1|avg_pool_3x3~2|';
  const alien = '|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|';
  const seeded = '|nor_conv_3x3~0|+|avg_pool_3x3~0|skip_connect~1|+|none~0|none~1|skip_connect~2|';
  const infeasible = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|';
  const good = ['|nor_conv_1x1~0|+|none~0|skip_connect~1|+|none~0|none~1|skip_connect~2|', '|avg_pool_3x3~0|+|none~0|skip_connect~1|+|none~0|none~1|skip_connect~2|'];
  const third = '|skip_connect~0|+|none~0|skip_connect~1|+|none~0|none~1|skip_connect~2|';
  const history = [
    [third, 80, true],
    [good[1], 85, true],
    [infeasible, 99, false],
    [alien, 92, true],
    [over, 93, true],
    [seeded, 91, true],
    [good[0], 90, true],
  ].map(([arch, valAcc, feasible]) => ({ arch, valAcc, feasible })) as unknown as SearchResult['history'];
  const picked = pickSeeds(
    { scheduleId: 'nightly', top: 2, space: 'nb201', dataset: 'cifar10', constraint: { metric: 'flops', max: 50 }, seedArchitectures: [seeded] },
    { history },
  );
  assert.deepEqual(picked.architectures, good);
  assert.deepEqual(picked.dropped.map((d) => d.arch), [over, alien, seeded]);
  assert.match(picked.dropped[0]!.reason, /over the constraint \(flops <= 50\)/);
  assert.match(picked.dropped[1]!.reason, /not in space nb201: .*unknown operation 'conv'/);
  assert.equal(picked.dropped[2]!.reason, 'already a seed');
});

test('a bad config or timing is refused before any schedule exists', async () => {
  const scheduleId = uniqueId('bad');
  const refused = async (config: unknown, timing: Omit<Parameters<typeof createSearchSchedule>[2], 'scheduleId'> & { scheduleId?: string }, message: RegExp, type: new (...a: any[]) => Error = Error) => {
    await assert.rejects(createSearchSchedule(env.client, config, { scheduleId, ...timing }), (err: unknown) => err instanceof type && message.test((err as Error).message));
    await assert.rejects(describeSearchSchedule(env.client, scheduleId), ScheduleNotFoundError);
  };
  await refused({ budget: 0, strategy: 'no-such-strategy' }, { cron: ['0 2 * * *'] }, /^(?=[\s\S]*budget: must be at least 1)(?=[\s\S]*strategy\.name: unknown strategy)/, ConfigError);
  await refused({ budget: 10, warmStart: { top: 0, fromSchedule: "it's" } }, { cron: ['0 2 * * *'] }, /^(?=[\s\S]*warmStart\.fromSchedule: must be a schedule id without quotes)(?=[\s\S]*warmStart\.top)/, ConfigError);
  await refused({ budget: 10 }, {}, /give cron, calendars or every/);
  await refused({ budget: 10 }, { cron: ['0 2 * * *'], timezone: 'Mars/Olympus_Mons' }, /unknown time zone 'Mars\/Olympus_Mons'/);
  await refused({ budget: 10 }, { scheduleId: "o'clock", every: '1h' }, /quotes/);
});

test('a schedule can be described, listed, updated, paused, triggered and backfilled; a plain run can warm-start from it', async () => {
  const q = queues('manage');
  const workers = await inProcessWorkers(env.native, q);
  const scheduleId = uniqueId('manage');
  const config = { name: 'nightly nb201', budget: 8, batchSize: 4, strategy: 'random', evaluation: { taskQueue: q.eval } };
  try {
    await workers.run(async () => {
      await createSearchSchedule(env.client, config, {
        scheduleId,
        cron: ['30 2 * * *'],
        timezone: 'Europe/Berlin',
        jitter: '10m',
        catchupWindow: '2h',
        paused: true,
        note: 'starts next week',
        taskQueue: q.control,
      });
      const info = await describeSearchSchedule(env.client, scheduleId);
      assert.deepEqual(info.config, config);
      assert.equal(info.taskQueue, q.control);
      assert.equal(info.spec.timezone, 'Europe/Berlin');
      assert.equal(info.spec.jitter, 600_000);
      assert.equal(info.spec.calendars?.[0]?.hour[0]?.start, 2);
      assert.equal(info.spec.calendars?.[0]?.minute[0]?.start, 30);
      assert.equal(info.overlap, 'SKIP');
      assert.equal(info.catchupWindowMs, 7_200_000);
      assert.equal(info.paused, true);
      assert.equal(info.note, 'starts next week');
      // As `schedule describe` prints it: the cron expression in words, the durations as durations.
      assert.equal(whenText(info.spec), 'at 02:30 every day (Europe/Berlin), jitter 10m');
      assert.match(describeText(info), /\n {2}overlap {3}skip; catch-up window 2h; goes on when a run fails\n/);
      const listed = await waitFor('the schedule listed', async () => (await listSearchSchedules(env.client)).find((s) => s.scheduleId === scheduleId), 30_000);
      assert.equal(listed.paused, true);

      // A bad new config changes nothing; a good one replaces config and times, keeping the rest.
      await assert.rejects(updateSearchSchedule(env.client, scheduleId, { config: { budget: -1 } }), ConfigError);
      assert.deepEqual((await describeSearchSchedule(env.client, scheduleId)).config, config);
      const updated = await updateSearchSchedule(env.client, scheduleId, { config: { ...config, budget: 6 }, every: '1h', jitter: 0 });
      assert.equal((updated.config as { budget: number }).budget, 6);
      assert.deepEqual(updated.spec.intervals?.map((i) => i.every), [3_600_000]);
      assert.deepEqual(updated.spec.calendars ?? [], []);
      assert.equal(updated.spec.timezone, 'Europe/Berlin');
      assert.ok(!updated.spec.jitter);
      assert.equal(whenText(updated.spec), 'every 1h');
      assert.equal(updated.paused, true);

      // A trigger starts a run even while paused.
      await triggerSearchSchedule(env.client, scheduleId);
      await waitFor('the triggered run', async () => ((await listScheduledRuns(env.client, scheduleId, 'Completed')).length === 1 ? true : undefined), 30_000);
      await unpauseSearchSchedule(env.client, scheduleId, 'go');
      assert.equal((await describeSearchSchedule(env.client, scheduleId)).paused, false);
      await pauseSearchSchedule(env.client, scheduleId, 'hold');
      assert.equal((await describeSearchSchedule(env.client, scheduleId)).note, 'hold');

      // Two hourly runs missed: both are taken now, one after the other.
      const hour = 3_600_000;
      const lastHour = Math.floor(Date.now() / hour) * hour;
      await backfillSearchSchedule(env.client, scheduleId, { start: new Date(lastHour - 2.5 * hour), end: new Date(lastHour - 0.5 * hour) });
      const runs = await waitFor('the backfilled runs', async () => {
        const done = await listScheduledRuns(env.client, scheduleId, 'Completed');
        return done.length >= 3 ? done : undefined;
      }, 45_000);
      assert.equal(runs.length, 3);
      assert.deepEqual((await describeSearchSchedule(env.client, scheduleId)).running, []);
      for (const run of runs) assert.equal(((await env.client.workflow.getHandle(run.workflowId, run.runId).result()) as SearchResult).evaluated, 6);

      // A search started by hand names the schedule to warm-start from; its own seed is not repeated.
      // It crosses continue-as-new, and asks for the seeds once.
      const newest = (await env.client.workflow.getHandle(runs[0]!.workflowId, runs[0]!.runId).result()) as SearchResult;
      const [top, ...rest] = bestOf(newest, 3);
      const manual = await startSearch(
        env.client,
        { ...config, budget: 40, seedArchitectures: [top], warmStart: { fromSchedule: scheduleId, top: 2 }, continueAsNewAfterEvents: 60 },
        { taskQueue: q.control, workflowId: uniqueId('manual') },
      );
      const manualResult = (await manual.result()) as SearchResult;
      assert.equal(manualResult.evaluated, 40);
      const memo = await memoOf(env.client, manual.workflowId);
      assert.equal(memo.warmStart?.from, runs[0]!.workflowId);
      assert.deepEqual(memo.warmStart?.architectures, rest);
      assert.deepEqual(memo.warmStart?.dropped, [{ arch: top, reason: 'already a seed' }]);
      assert.deepEqual(manualResult.history.slice(0, 3).map((e) => e.arch), [top, ...rest]);
      const asked: number[] = [];
      for await (const run of env.client.workflow.list({ query: `WorkflowId = '${manual.workflowId}'` })) {
        const { events } = await env.client.workflow.getHandle(manual.workflowId, run.runId).fetchHistory();
        asked.push((events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'findWarmStart').length);
      }
      assert.ok(asked.length >= 2, `runs: ${asked.length}`);
      assert.equal(asked.reduce((a, b) => a + b, 0), 1, `findWarmStart per run: ${asked.join(',')}`);

      // Without a schedule to name, `fromSchedule: true` starts cold and says why.
      const plain = await startSearch(env.client, { ...config, warmStart: {} }, { taskQueue: q.control, workflowId: uniqueId('plain') });
      await plain.result();
      assert.match((await memoOf(env.client, plain.workflowId)).warmStart?.note ?? '', /not started by a schedule/);
    });
  } finally {
    await cleanUp(env.client, scheduleId);
  }
});

/** A calendar as the server describes one: every field filled in, what was left out spanning all its values. */
function described(fields: Partial<Record<'second' | 'minute' | 'hour' | 'dayOfMonth' | 'month' | 'year' | 'dayOfWeek', { start: number | string; end: number | string; step: number }[]>>, comment = '') {
  const all = (start: number | string, end: number | string) => [{ start, end, step: 1 }];
  return {
    second: all(0, 0),
    minute: all(0, 0),
    hour: all(0, 23),
    dayOfMonth: all(1, 31),
    month: all('JANUARY', 'DECEMBER'),
    year: [],
    dayOfWeek: all('SUNDAY', 'SATURDAY'),
    comment,
    ...fields,
  };
}

test('schedule times read as words: a cron expression comes back as a calendar and is printed as one', () => {
  const at = (start: number | string, end = start, step = 1) => [{ start, end, step }];
  const cases: [string, ReturnType<typeof described>][] = [
    ['at 03:00 on day 1 of January', described({ hour: at(3), dayOfMonth: at(1), month: at('JANUARY') })], // 0 3 1 1 *
    ['at 02:30 every day', described({ hour: at(2), minute: at(30) })], // 30 2 * * *
    ['at 02:00 on Monday-Friday (weekdays)', described({ hour: at(2), dayOfWeek: at('MONDAY', 'FRIDAY') }, 'weekdays')],
    ['every 15 minutes', described({ minute: at(0, 59, 15) })], // */15 * * * *
    ['every hour at :15', described({ minute: at(15) })], // 15 * * * *
    ['every hour from 09:00 to 17:00', described({ hour: at(9, 17) })], // 0 9-17 * * *
    ['at 00:00 on days 1, 15 of every month', described({ hour: at(0), dayOfMonth: [...at(1), ...at(15)] })], // 0 0 1,15 * *
    ['at 04:15 on Sunday in June', described({ hour: at(4), minute: at(15), month: at('JUNE'), dayOfWeek: at('SUNDAY') })], // 15 4 * 6 0
    ['at 00:00 on day 13 of every month if a Friday', described({ hour: at(0), dayOfMonth: at(13), dayOfWeek: at('FRIDAY') })],
    ['at 08:00 and 20:00 every day in 2030', described({ hour: [...at(8), ...at(20)], year: at(2030) })],
    ['at hour 0-23 every 2, minute 5-10 every day', described({ hour: at(0, 23, 2), minute: at(5, 10) })],
  ];
  for (const [text, calendar] of cases) assert.equal(whenText({ calendars: [calendar], intervals: [], skip: [], timezone: '' } as ScheduleSpecDescription), text);
  assert.equal(whenText({ calendars: [], intervals: [{ every: 86_400_000, offset: 7_200_000 }], skip: [], timezone: 'UTC', jitter: 90_000 } as ScheduleSpecDescription), 'every 1d +2h, jitter 1m 30s');
  assert.equal(whenText({ calendars: [], intervals: [], skip: [] } as ScheduleSpecDescription), 'never');
});

test('schedule flags: durations in Temporal\'s grammar, statuses as the CLI prints them or as Temporal names them', () => {
  assert.equal(duration('24h'), 86_400_000);
  assert.equal(duration(' 1.5h '), 5_400_000);
  assert.equal(duration('1 day'), 86_400_000);
  assert.equal(duration('0'), 0, 'a bare 0 takes a jitter away');
  for (const bad of ['24', '-1h', 'soon']) assert.throws(() => duration(bad), /expected a duration with its unit, e\.g\. 24h/, bad);
  assert.equal(runStatus('completed'), 'Completed');
  assert.equal(runStatus('timed-out'), 'TimedOut');
  assert.equal(runStatus('TimedOut'), 'TimedOut');
  assert.equal(runStatus('TIMED_OUT'), 'TimedOut');
  assert.throws(() => runStatus('done'), /expected one of running, completed, failed, terminated, canceled, timed-out/);
});
