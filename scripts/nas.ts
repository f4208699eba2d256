/**
 * Command line for searches:
 *   npm run nas -- start config/default.json [--set budget=200] [--id my-search] [--watch]
 *   npm run nas -- watch|result|pause|resume|stop|progress <workflow-id>
 *   npm run nas -- extend <workflow-id> <evaluations>
 *   npm run nas -- steer <workflow-id> "a hint for the Navigator"   (collm)
 *   npm run nas -- export <workflow-id> [file.json]     (history as JSON, for replay)
 *   npm run nas -- log <workflow-id> [file.jsonl]       (search log: LLM exchanges and evaluations)
 *   npm run nas -- list
 *   npm run nas -- cost --space ofa-mbv3-w12 --arch '{"r":224,"d":[2,3,3,4,4],"ks":[...20],"e":[...20]}' [--json]
 *   npm run nas -- evaluate --space nb201 [--evaluator nb201-table] --arch '<json or text>' [--dataset cifar100]
 *                           [--options '{...}'] [--device hwnb_pixel3] [--json]
 * Connects to TEMPORAL_ADDRESS, or the local dev server on 127.0.0.1:7233 (cost and evaluate need no server).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { describeLlm, withDefaultLlm } from '../src/client/llm-defaults';
import { resolveSearchConfig } from '../src/config/resolve';
import { formatResult, progressLine, startSearch, watchSearch } from '../src/client/search';
import { costOf, evaluateOnce } from '../src/client/offline';
import { searchLog } from '../src/client/search-log';
import { ConfigError } from '../src/search/config';
import { connectClient, temporalTarget, webUiLink } from '../src/temporal/connection';
import {
  extendBudgetUpdate,
  pauseSignal,
  progressQuery,
  resumeSignal,
  steerSignal,
  stopSignal,
} from '../src/workflows/api';

const USAGE = readFileSync(__filename, 'utf8').split('*/')[0]!.replace(/^\/\*\*\n/, '').replace(/^ \* ?/gm, '');

/** Reads a config file and applies `--set path=value` overrides (values parsed as JSON when they parse). */
export function loadConfig(file: string, sets: string[]): Record<string, unknown> {
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
  for (const set of sets) {
    const eq = set.indexOf('=');
    if (eq < 1) throw new Error(`--set ${set}: expected field=value, e.g. --set budget=200`);
    const path = set.slice(0, eq).split('.');
    const raw = set.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // A bare word stays a string: --set dataset=cifar100
    }
    let node: Record<string, unknown> = config;
    for (const key of path.slice(0, -1)) {
      if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = value;
  }
  return config;
}

function flag(args: string[], name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === name && args[i + 1] !== undefined) {
      values.push(args[i + 1]!);
      args.splice(i, 2);
      i--;
    }
  }
  return values;
}

async function watch(client: Client, id: string): Promise<void> {
  const handle = client.workflow.getHandle(id);
  const tty = process.stdout.isTTY;
  let last = '';
  const result = await watchSearch(handle, (p) => {
    const line = progressLine(p);
    if (line === last) return;
    last = line;
    process.stdout.write(tty ? `\r${line}` : `${line}\n`);
  });
  if (tty) process.stdout.write('\n');
  console.log(formatResult(result));
}

/** `cost` and `evaluate`: answered in this process, no server needed. */
async function offline(command: 'cost' | 'evaluate', args: string[]): Promise<void> {
  const one = (name: string): string | undefined => flag(args, name)[0];
  const json = args.includes('--json');
  const space = one('--space');
  const arch = one('--arch');
  if (!space || !arch) throw new Error(`${command}: give --space and --arch, e.g. npm run nas -- ${command} --space nb201 --arch '["nor_conv_3x3","skip_connect","nor_conv_3x3","none","nor_conv_1x1","nor_conv_3x3"]'`);
  const dataset = one('--dataset');
  if (command === 'cost') {
    const c = costOf(space, arch, dataset);
    console.log(json ? JSON.stringify({ flopsM: c.flopsM, paramsM: c.paramsM }) : `${c.space} on ${c.dataset}: ${c.flopsM.toFixed(2)} MFLOPs (multiply-accumulates), ${c.paramsM.toFixed(3)} M params`);
    return;
  }
  const options = one('--options');
  const evaluator = one('--evaluator');
  const device = one('--device');
  const r = await evaluateOnce({
    space,
    arch,
    ...(evaluator ? { evaluator } : {}),
    ...(dataset ? { dataset } : {}),
    ...(options ? { options: JSON.parse(options) as unknown } : {}),
    ...(device ? { latencyDevice: device } : {}),
  });
  if (json) {
    console.log(JSON.stringify(r));
    return;
  }
  console.log(Number.isNaN(r.valAcc) ? `${r.evaluator}: ${r.accuracyLabel}` : `${r.evaluator}: ${r.accuracyLabel} ${r.valAcc.toFixed(2)}` + (r.testAcc !== undefined ? `, test ${r.testAcc.toFixed(2)}` : ''));
  console.log(`  ${r.cost.flopsM.toFixed(2)} MFLOPs, ${r.cost.paramsM.toFixed(3)} M params` + (r.cost.latencyMs !== undefined ? `, ${r.cost.latencyMs.toFixed(2)} ms` : ''));
  for (const [name, value] of Object.entries(r.metrics ?? {})) console.log(`  ${name}: ${value}`);
}

async function main(argv: string[]): Promise<void> {
  const args = argv.slice();
  const command = args.shift();
  if (!command || command === 'help' || command === '--help') {
    console.log(USAGE);
    return;
  }
  if (command === 'cost' || command === 'evaluate') {
    await offline(command, args);
    return;
  }
  const target = temporalTarget();
  const client = await connectClient(target);
  const id = args[0];
  const needId = (): string => {
    if (!id) throw new Error(`${command}: give the workflow id, e.g. npm run nas -- ${command} nas-nb201-cifar10-...`);
    return id;
  };
  switch (command) {
    case 'start': {
      const sets = flag(args, '--set');
      const ids = flag(args, '--id');
      const watchIt = args.includes('--watch');
      const file = args.find((a) => !a.startsWith('--'));
      if (!file) throw new Error('start: give a config file, e.g. npm run nas -- start config/default.json');
      const config = withDefaultLlm(loadConfig(file, sets));
      const handle = await startSearch(client, config, ids[0] ? { workflowId: ids[0] } : {});
      console.log(`started ${handle.workflowId}`);
      const llm = describeLlm(resolveSearchConfig(config));
      if (llm) console.log(llm);
      const link = webUiLink(target, handle.workflowId);
      if (link) console.log(`Web UI: ${link}`);
      if (watchIt) await watch(client, handle.workflowId);
      break;
    }
    case 'watch':
      await watch(client, needId());
      break;
    case 'result':
      console.log(formatResult(await client.workflow.getHandle(needId()).result()));
      break;
    case 'progress':
      console.log(JSON.stringify(await client.workflow.getHandle(needId()).query(progressQuery), null, 2));
      break;
    case 'steer': {
      const hint = args.slice(1).join(' ');
      if (!hint) throw new Error('steer: give the hint, e.g. npm run nas -- steer <id> "prefer 3x3 convolutions"');
      await client.workflow.getHandle(needId()).signal(steerSignal, hint);
      console.log(`hint sent to ${id}; the Navigator reads it at its next turn`);
      break;
    }
    case 'pause':
    case 'resume':
    case 'stop': {
      const signal = { pause: pauseSignal, resume: resumeSignal, stop: stopSignal }[command];
      await client.workflow.getHandle(needId()).signal(signal);
      console.log(`${command} sent to ${id}`);
      break;
    }
    case 'extend': {
      const extra = Number(args[1]);
      const budget = await client.workflow.getHandle(needId()).executeUpdate(extendBudgetUpdate, { args: [extra] });
      console.log(`${id}: budget is now ${budget}`);
      break;
    }
    case 'export': {
      const history = await client.workflow.getHandle(needId()).fetchHistory();
      // The same JSON as `temporal workflow show --output json`; replayable with the replay worker.
      const json = historyToJSON(history);
      if (args[1]) {
        writeFileSync(args[1], json);
        console.log(`history of ${id} written to ${args[1]} (${history.events?.length ?? 0} events)`);
      } else {
        process.stdout.write(json + '\n');
      }
      break;
    }
    case 'log': {
      const lines = (await searchLog(client, needId())).map((e) => JSON.stringify(e)).join('\n') + '\n';
      if (args[1]) {
        writeFileSync(args[1], lines);
        console.log(`search log of ${id} written to ${args[1]}`);
      } else {
        process.stdout.write(lines);
      }
      break;
    }
    case 'list': {
      for await (const wf of client.workflow.list({ query: 'WorkflowType = "nasSearch"' })) {
        console.log(`${wf.workflowId}\t${wf.status.name}\t${wf.startTime.toISOString()}`);
      }
      break;
    }
    default:
      throw new Error(`unknown command '${command}'\n${USAGE}`);
  }
  await client.connection.close();
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(err instanceof ConfigError ? err.message : `error: ${(err as Error).message}`);
    process.exit(1);
  });
}
