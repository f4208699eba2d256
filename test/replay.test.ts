import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';

// Histories of real searches (npm run fixtures:record). Replaying them with
// today's workflow code must give the same commands, or running searches
// would break when workers are upgraded.
const DIR = join(__dirname, 'fixtures/histories');
const fixtures = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
const workflowsPath = require.resolve('../src/workflows');

function load(file: string) {
  return historyFromJSON(JSON.parse(readFileSync(join(DIR, file), 'utf8')));
}

test('there are recorded histories to replay, a real CoLLM-NAS search among them', () => {
  assert.ok(fixtures.length >= 4, fixtures.join());
  const collm = readFileSync(join(DIR, 'collm-embedded.json'), 'utf8');
  assert.match(collm, /"name": "llmChat"/, 'its LLM exchanges are in the history');
  assert.match(collm, /"signalName": "steer"/);
  // The current prompts, whose Navigator may be asked for its sections once more.
  assert.match(readFileSync(join(DIR, 'collm-v2-embedded.json'), 'utf8'), /"name": "llmChat"/);
});

test('a run that an earlier release continued as new, its evaluations packed with LZW, is among them', () => {
  // Recorded by the release that packed as version 1 (LZW); npm run
  // fixtures:record does not write it, so it keeps that format. Its run
  // starts from version 1 and ends in continue-as-new, where today's code
  // writes version 2: replay must accept both.
  const raw = JSON.parse(readFileSync(join(DIR, 'continued-packed-v1.json'), 'utf8')) as { events: Record<string, any>[] };
  const input = raw.events[0]!.workflowExecutionStartedEventAttributes.input.payloads[1];
  const carried = JSON.parse(Buffer.from(input.data, 'base64').toString('utf8')) as { packed?: { v: number; n: number } };
  assert.equal(carried.packed?.v, 1);
  assert.ok(carried.packed.n > 0);
  assert.equal(raw.events.at(-1)!.eventType, 'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW');
});

test('every recorded search replays without nondeterminism', async () => {
  const histories = fixtures.map((f) => ({ workflowId: f, history: load(f) }));
  let replayed = 0;
  for await (const result of Worker.runReplayHistories({ workflowsPath }, histories)) {
    assert.equal(result.error, undefined, `${result.workflowId}: ${String(result.error)}`);
    replayed++;
  }
  assert.equal(replayed, fixtures.length);
});

test('the replay check catches a change in what the workflow does', async () => {
  // Same history, but the config the search resolved at its start (the
  // resolveConfig marker) asks for larger batches: the code now schedules
  // different commands than the history holds, which replay must reject.
  const raw = JSON.parse(readFileSync(join(DIR, fixtures[0]!), 'utf8'));
  const marker = raw.events.find((e: any) => e.markerRecordedEventAttributes)?.markerRecordedEventAttributes;
  assert.ok(marker, 'the resolved config is recorded as a local activity marker');
  const payload = marker.details.result.payloads[0];
  const config = JSON.parse(Buffer.from(payload.data, 'base64').toString('utf8'));
  assert.equal(typeof config.batchSize, 'number');
  payload.data = Buffer.from(JSON.stringify({ ...config, batchSize: config.batchSize + 1 })).toString('base64');
  await assert.rejects(
    Worker.runReplayHistory({ workflowsPath, replayName: 'altered' }, historyFromJSON(raw)),
    DeterminismViolationError,
  );
});

test('every prompt of the recorded collm-v2 search names neither the benchmark nor the dataset', () => {
  const raw = JSON.parse(readFileSync(join(DIR, 'collm-v2-embedded.json'), 'utf8')) as { events: Record<string, any>[] };
  let prompts = 0;
  for (const e of raw.events) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s?.activityType?.name !== 'llmChat') continue;
    const call = JSON.parse(Buffer.from(s.input.payloads[0].data, 'base64').toString('utf8')) as { request: { messages: { content: string }[] } };
    for (const m of call.request.messages) {
      prompts++;
      assert.doesNotMatch(m.content, /NAS-?Bench|\b201\b|NATS|HW-NAS|cifar|imagenet|hwnb/i, m.content.slice(0, 200));
    }
  }
  assert.ok(prompts > 10, `${prompts} prompts scanned`);
});
