import { ScheduleAlreadyRunning, ScheduleNotFoundError, type Client, type ScheduleOverlapPolicy, type WorkflowExecutionInfo } from '@temporalio/client';
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
  type SearchScheduleInfo,
} from '../../client/schedule';
import { describeLlm, withDefaultLlm } from '../../config/llm-defaults';
import { readConfigFile, withSets } from '../../config/load';
import { PreparedConfig } from '../../config/prepared';
import { CONTROL_TASK_QUEUE } from '../../search/task-queues';
import type { TemporalTarget } from '../../temporal/connection';
import { NAS_BEST_VAL_ACC, NAS_EVALUATED } from '../../workflows/search-attributes';
import { collect, GROUP, printJson, withExamples, withJson, type CliCommand } from '../command';
import { withClient } from '../connect';
import { CliError, usageError } from '../errors';
import { EXIT } from '../exit-codes';
import { isoDate, overlap, RUN_STATUS_NAMES, runStatus, runStatusName, scheduleId, timingOf, withTimingFlags, type RunStatus, type TimingFlags } from './schedule/flags';
import { describeText, listText } from './schedule/format';
import { statusText } from '../status';

/**
 * Runs `fn` on the server in use with a schedule's errors as advice: an
 * unknown id exits 4 (as an unknown search does), and times the server
 * refuses (a cron expression with 4 fields) are usage errors when the user
 * gave them.
 */
function onSchedule<T>(id: string, fn: (client: Client, target: TemporalTarget) => Promise<T>, gaveTimes = false): Promise<T> {
  return withClient(async (client, target) => {
    try {
      return await fn(client, target);
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) {
        throw new CliError(`no schedule with id '${id}' in namespace '${target.namespace}' at ${target.address}: \`collm-nas schedule list\` shows the schedules there`, EXIT.searchFailed);
      }
      if (err instanceof ScheduleAlreadyRunning) {
        throw new CliError(`a schedule with id '${id}' already exists: change it with \`collm-nas schedule update ${id}\`, or \`collm-nas schedule delete ${id}\` first`);
      }
      // The SDK turns the server's INVALID_ARGUMENT for a schedule spec into a TypeError.
      if (err instanceof TypeError && gaveTimes) throw usageError(`--cron/--calendar: the server refused the times: ${err.message}`);
      throw err;
    }
  });
}

/**
 * A config (a file's, or the schedule's own for `update <id> --set budget=200`)
 * with --set overrides, checked and resolved once: refused with the config
 * layer's message before anything is created or changed.
 */
function prepare(read: () => Record<string, unknown>, sets: readonly string[]): PreparedConfig {
  let config: Record<string, unknown>;
  try {
    config = withDefaultLlm(withSets(read(), sets));
  } catch (err) {
    throw usageError((err as Error).message);
  }
  return PreparedConfig.of(config);
}

const gaveTimes = (flags: TimingFlags) => flags.cron.length > 0 || flags.calendar.length > 0;
const overlapName = (p: ScheduleOverlapPolicy) => (p ?? 'SKIP').toLowerCase().replace(/_/g, '-');

function printInfo(verb: string, info: SearchScheduleInfo, json?: boolean): void {
  if (json) printJson(info);
  else console.log(`${verb}${describeText(info)}`);
}

function runRow(wf: WorkflowExecutionInfo) {
  const attrs = wf.typedSearchAttributes;
  return {
    workflowId: wf.workflowId,
    runId: wf.runId,
    status: wf.status.name,
    startTime: wf.startTime.toISOString(),
    ...(wf.closeTime ? { closeTime: wf.closeTime.toISOString() } : {}),
    evaluated: attrs.get(NAS_EVALUATED),
    bestValAcc: attrs.get(NAS_BEST_VAL_ACC),
  };
}

interface CreateOptions extends TimingFlags {
  set: string[];
  paused?: boolean;
  note?: string;
  triggerNow?: boolean;
  taskQueue: string;
  json?: boolean;
}

interface UpdateOptions extends TimingFlags {
  set: string[];
  taskQueue?: string;
  json?: boolean;
}

export const scheduleCommand: CliCommand = {
  name: 'schedule',
  register(program) {
    const schedule = program
      .command('schedule')
      .helpGroup(GROUP.search)
      .summary('schedule create|update|list|runs|...: searches on a timetable, e.g. nightly')
      .description(
        'searches that start on a timetable (Temporal schedules), e.g. every night, each run optionally warm-started ' +
          'from the best architectures of the last one (config `warmStart`)',
      );
    withExamples(schedule, [
      'collm-nas schedule create nightly config/default.json --cron \'0 2 * * *\' --timezone Europe/Berlin',
      'collm-nas schedule create nightly config/nb201-evolution.json --set \'warmStart={"fromSchedule": true, "top": 5}\' --every 24h --offset 2h',
      'collm-nas schedule describe nightly',
      'collm-nas schedule runs nightly --status completed',
      'collm-nas report --query \'TemporalScheduledById = "nightly"\'',
    ]);

    const create = schedule
      .command('create')
      .summary('create a schedule from a config file')
      .description('create a schedule that starts a search from a config file; the config and times are checked first, so a bad one creates nothing')
      .argument('<schedule-id>', 'the schedule\'s id; its runs are named after it and the time they were due', scheduleId)
      .argument('<config>', 'the search config (JSON) each run starts with, e.g. config/default.json')
      .option('--set <field=value>', 'override a config field, repeatable (the value is JSON when it parses)', collect, []);
    withTimingFlags(create, { update: false })
      .option('--paused', 'create it paused: no timed runs until `schedule unpause`')
      .option('--note <text>', 'why it is paused, shown by `schedule describe`')
      .option('--trigger-now', 'also start one run now')
      .option('--task-queue <queue>', 'the control workers\' task queue (as they read NAS_CONTROL_TASK_QUEUE)', process.env.NAS_CONTROL_TASK_QUEUE ?? CONTROL_TASK_QUEUE);
    withJson(create, 'print the schedule as `schedule describe --json` does');
    withExamples(create, [
      'collm-nas schedule create nightly config/default.json --cron \'0 2 * * *\' --timezone Europe/Berlin --jitter 10m',
      'collm-nas schedule create hourly config/nb201-random.json --set budget=50 --every 1h --paused',
      'collm-nas schedule create weekdays config/default.json --calendar \'{"hour": 2, "dayOfWeek": {"start": "MONDAY", "end": "FRIDAY"}}\' --trigger-now',
    ]);
    create.action(async (id: string, file: string, options: CreateOptions) => {
      const config = prepare(() => readConfigFile(file), options.set);
      const timing = timingOf(options);
      if (!timing.cron && !timing.calendars && timing.every === undefined) {
        throw usageError('schedule create: say when runs start: --cron \'0 2 * * *\', --every 24h or --calendar \'{"hour": 2}\'');
      }
      await onSchedule(
        id,
        async (client) => {
          await createSearchSchedule(client, config, {
            scheduleId: id,
            ...timing,
            taskQueue: options.taskQueue,
            ...(options.paused ? { paused: true } : {}),
            ...(options.note !== undefined ? { note: options.note } : {}),
            ...(options.triggerNow ? { triggerImmediately: true } : {}),
          });
          const info = await describeSearchSchedule(client, id);
          printInfo('created ', info, options.json);
          const llm = describeLlm(config.resolved);
          if (!options.json && llm) console.log(llm);
        },
        gaveTimes(options),
      );
    });

    const update = schedule
      .command('update')
      .summary('change its config, times or policies')
      .description('change a schedule: its config (for the next runs), times or policies; what is not given stays as it is')
      .argument('<schedule-id>', 'the schedule', scheduleId)
      .argument('[config]', 'a new search config (JSON) for the next runs')
      .option('--set <field=value>', 'override a field of the new config, or without one of the schedule\'s config; repeatable', collect, []);
    withTimingFlags(update, { update: true }).option('--task-queue <queue>', 'the control workers\' task queue');
    withJson(update, 'print the schedule as `schedule describe --json` does');
    withExamples(update, [
      'collm-nas schedule update nightly --set budget=200',
      'collm-nas schedule update nightly config/nb201-evolution.json --cron \'30 1 * * *\'',
      'collm-nas schedule update nightly --overlap buffer-one --jitter 0',
    ]);
    update.action(async (id: string, file: string | undefined, options: UpdateOptions) => {
      const timing = timingOf(options);
      if (!file && options.set.length === 0 && Object.keys(timing).length === 0 && options.taskQueue === undefined) {
        throw usageError('schedule update: nothing to change: give a config file, --set, new times (--cron, --every, --calendar) or policies (see --help)');
      }
      let config = file ? prepare(() => readConfigFile(file), options.set) : undefined;
      await onSchedule(
        id,
        async (client) => {
          if (!config && options.set.length > 0) {
            const current = (await describeSearchSchedule(client, id)).config;
            config = prepare(() => current as Record<string, unknown>, options.set);
          }
          const info = await updateSearchSchedule(client, id, {
            ...timing,
            ...(config ? { config } : {}),
            ...(options.taskQueue !== undefined ? { taskQueue: options.taskQueue } : {}),
          });
          printInfo('updated ', info, options.json);
        },
        gaveTimes(options),
      );
    });

    const describe = schedule
      .command('describe')
      .summary('show what it starts, when, its runs')
      .description('show a schedule: what it starts, when, its policies, its runs so far and the next ones')
      .argument('<schedule-id>', 'the schedule', scheduleId);
    withJson(describe, 'print {scheduleId, config, taskQueue, spec, overlap, catchupWindowMs, pauseOnFailure, paused, note, actionsTaken, running, recent, next, ...} as JSON');
    withExamples(describe, ['collm-nas schedule describe nightly', 'collm-nas schedule describe nightly --json | jq .config']);
    describe.action(async (id: string, options: { json?: boolean }) => {
      await onSchedule(id, async (client) => printInfo('', await describeSearchSchedule(client, id), options.json));
    });

    const list = schedule.command('list').summary('list the search schedules').description('list the schedules that start searches (a new one shows up within seconds)');
    withJson(list, 'print an array of {scheduleId, paused, note, spec, recent, next}');
    withExamples(list, ['collm-nas schedule list', 'collm-nas schedule list --json | jq -r \'.[].scheduleId\'']);
    list.action(async (options: { json?: boolean }) => {
      await withClient(async (client) => {
        const schedules = await listSearchSchedules(client);
        if (options.json) printJson(schedules);
        else console.log(listText(schedules));
      });
    });

    const pause = schedule
      .command('pause')
      .summary('no timed runs until unpause')
      .description('pause a schedule: no timed runs until `unpause`; a run already going goes on')
      .argument('<schedule-id>', 'the schedule', scheduleId)
      .option('--note <text>', 'why, shown by `schedule describe`');
    withJson(pause, 'print {scheduleId, paused, note} as JSON');
    withExamples(pause, ['collm-nas schedule pause nightly --note "GPU maintenance until Monday"']);
    pause.action(async (id: string, options: { note?: string; json?: boolean }) => {
      await onSchedule(id, async (client) => {
        await pauseSearchSchedule(client, id, options.note ?? 'paused with collm-nas schedule pause');
        if (options.json) printJson({ scheduleId: id, paused: true, ...(options.note ? { note: options.note } : {}) });
        else console.log(`paused ${id}: no timed runs until \`collm-nas schedule unpause ${id}\``);
      });
    });

    const unpause = schedule
      .command('unpause')
      .summary('timed runs start again')
      .description('unpause a schedule: timed runs start again (runs missed while paused do not)')
      .argument('<schedule-id>', 'the schedule', scheduleId)
      .option('--note <text>', 'a note, shown by `schedule describe`');
    withJson(unpause, 'print {scheduleId, paused} as JSON');
    withExamples(unpause, ['collm-nas schedule unpause nightly']);
    unpause.action(async (id: string, options: { note?: string; json?: boolean }) => {
      await onSchedule(id, async (client) => {
        await unpauseSearchSchedule(client, id, options.note ?? 'unpaused with collm-nas schedule unpause');
        const next = (await describeSearchSchedule(client, id)).next[0];
        if (options.json) printJson({ scheduleId: id, paused: false });
        else console.log(`unpaused ${id}${next ? `; next run ${next.toISOString()}` : ''}`);
      });
    });

    const trigger = schedule
      .command('trigger')
      .summary('start a run now')
      .description('start a run now, paused or not, besides the timed ones')
      .argument('<schedule-id>', 'the schedule', scheduleId)
      .option('--overlap <policy>', 'if a run is going (default: the schedule\'s policy; with skip none starts)', overlap);
    withJson(trigger, 'print {scheduleId, triggered, overlap} as JSON');
    withExamples(trigger, ['collm-nas schedule trigger nightly', 'collm-nas schedule trigger nightly --overlap allow-all']);
    trigger.action(async (id: string, options: { overlap?: ScheduleOverlapPolicy; json?: boolean }) => {
      await onSchedule(id, async (client) => {
        // Left out, the SDK would start a run whatever is going (allow-all); the schedule's own policy is what one expects.
        const policy = options.overlap ?? (await describeSearchSchedule(client, id)).overlap;
        await triggerSearchSchedule(client, id, policy);
        if (options.json) printJson({ scheduleId: id, triggered: true, overlap: policy });
        else console.log(`triggered ${id} (overlap ${overlapName(policy)}): \`collm-nas schedule runs ${id}\` lists its runs`);
      });
    });

    const backfill = schedule
      .command('backfill')
      .summary('take the runs due in a past time range')
      .description('take now the runs that were due in a past time range (e.g. missed while the server was down), one after another by default')
      .argument('<schedule-id>', 'the schedule', scheduleId)
      .requiredOption('--start <time>', 'from (ISO 8601, e.g. 2025-06-01T00:00:00Z)', isoDate)
      .requiredOption('--end <time>', 'to (ISO 8601)', isoDate)
      .option('--overlap <policy>', 'how the runs overlap (default buffer-all: one after another, each warm-starting from the one before)', overlap);
    withJson(backfill, 'print {scheduleId, start, end, overlap} as JSON');
    withExamples(backfill, ['collm-nas schedule backfill nightly --start 2025-06-01T00:00:00Z --end 2025-06-03T00:00:00Z']);
    backfill.action(async (id: string, options: { start: Date; end: Date; overlap?: ScheduleOverlapPolicy; json?: boolean }) => {
      if (!(options.start < options.end)) throw usageError(`--start ${options.start.toISOString()} must be before --end ${options.end.toISOString()}`);
      const policy = options.overlap ?? 'BUFFER_ALL';
      await onSchedule(id, async (client) => {
        await backfillSearchSchedule(client, id, { start: options.start, end: options.end, overlap: policy });
        if (options.json) printJson({ scheduleId: id, start: options.start, end: options.end, overlap: policy });
        else console.log(`backfilling ${id} from ${options.start.toISOString()} to ${options.end.toISOString()} (overlap ${overlapName(policy)}): \`collm-nas schedule runs ${id}\` lists its runs`);
      });
    });

    const del = schedule
      .command('delete')
      .summary('delete it; runs going on go on')
      .description('delete a schedule: no new runs start; runs already going go on')
      .argument('<schedule-id>', 'the schedule', scheduleId);
    withJson(del, 'print {scheduleId, deleted} as JSON');
    withExamples(del, ['collm-nas schedule delete nightly']);
    del.action(async (id: string, options: { json?: boolean }) => {
      await onSchedule(id, async (client) => {
        await deleteSearchSchedule(client, id);
        if (options.json) printJson({ scheduleId: id, deleted: true });
        else console.log(`deleted ${id}; runs already going go on (\`collm-nas schedule runs ${id} --status running\`)`);
      });
    });

    const runs = schedule
      .command('runs')
      .summary('list the searches it started')
      .description('list the searches a schedule started, newest first (also after it was deleted)')
      .argument('<schedule-id>', 'the schedule', scheduleId)
      .option('--status <status>', `only those: ${RUN_STATUS_NAMES.join(', ')}`, runStatus);
    withJson(runs, 'print an array of {workflowId, runId, status, startTime, closeTime, evaluated, bestValAcc}');
    withExamples(runs, ['collm-nas schedule runs nightly', 'collm-nas schedule runs nightly --status completed --json | jq -r \'.[0].workflowId\'']);
    runs.action(async (id: string, options: { status?: RunStatus; json?: boolean }) => {
      await withClient(async (client) => {
        const rows = (await listScheduledRuns(client, id, options.status)).map(runRow);
        if (options.json) {
          printJson(rows);
          return;
        }
        if (rows.length === 0) console.log(`no ${options.status ? `${runStatusName(options.status)} ` : ''}runs of schedule ${id} (yet)`);
        else console.log(['WORKFLOW ID', 'STATUS', 'STARTED', 'PROGRESS'].join('\t'));
        for (const r of rows) {
          const progress = r.evaluated !== undefined ? `${r.evaluated} evaluated` + (r.bestValAcc !== undefined ? `, best ${r.bestValAcc.toFixed(2)}%` : '') : '';
          console.log([r.workflowId, statusText(r.status), r.startTime, progress].join('\t'));
        }
      });
    });
  },
};
