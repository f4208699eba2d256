import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { ChatResponse, LlmCall } from '../llm/types';
import type { EvalResult } from '../search/types';
import type { Cost } from '../spaces/types';

/**
 * The search log: every LLM exchange (prompt, answer, model, tokens, latency)
 * and every evaluation, read back from the workflow history of all of a
 * search's runs. Nothing is logged elsewhere, so the log cannot disagree with
 * what the search actually did. It is where a long search's evaluations are
 * all listed: its result keeps only the last ones (`historyTruncated`).
 */
export type LogEntry =
  | { kind: 'llm'; run: string; purpose: LlmCall['purpose']; model: string; tokensIn: number; tokensOut: number; latencyMs: number; messages: LlmCall['request']['messages']; answer: string; reasoning?: string }
  | { kind: 'evaluation'; run: string; arch: string; valAcc: number; testAcc?: number; cost: Cost; device?: string; ms?: number; metrics?: Record<string, number>; log?: string }
  | { kind: 'evaluation-failed'; run: string; arch: string; error: string };

type Event = temporal.api.history.v1.IHistoryEvent;

function decode<T>(payloads: temporal.api.common.v1.IPayloads | null | undefined): T | undefined {
  const first = payloads?.payloads?.[0];
  return first ? defaultPayloadConverter.fromPayload<T>(first) : undefined;
}

export function logFromHistory(run: string, events: readonly Event[]): LogEntry[] {
  const scheduled = new Map<string, { type: string; input: unknown }>();
  const entries: LogEntry[] = [];
  for (const e of events) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s) scheduled.set(String(e.eventId), { type: s.activityType?.name ?? '', input: decode(s.input) });
    const failed = e.activityTaskFailedEventAttributes;
    if (failed) {
      const from = scheduled.get(String(failed.scheduledEventId));
      if (from?.type === 'evaluate') entries.push({ kind: 'evaluation-failed', run, arch: (from.input as { arch: string }).arch, error: failed.failure?.message ?? 'failed' });
      continue;
    }
    const c = e.activityTaskCompletedEventAttributes;
    if (!c) continue;
    const from = scheduled.get(String(c.scheduledEventId));
    if (!from) continue;
    if (from.type === 'llmChat') {
      const call = from.input as LlmCall;
      const r = decode<ChatResponse>(c.result)!;
      entries.push({
        kind: 'llm', run, purpose: call.purpose, model: r.model, tokensIn: r.tokensIn, tokensOut: r.tokensOut, latencyMs: r.latencyMs,
        messages: call.request.messages, answer: r.text, ...(r.reasoning ? { reasoning: r.reasoning } : {}),
      });
    } else if (from.type === 'evaluate') {
      const req = from.input as { arch: string };
      const r = decode<EvalResult>(c.result)!;
      entries.push({
        kind: 'evaluation', run, arch: req.arch, valAcc: r.valAcc,
        ...(r.testAcc !== undefined ? { testAcc: r.testAcc } : {}),
        cost: r.cost,
        ...(r.device ? { device: r.device } : {}),
        ...(r.ms !== undefined ? { ms: r.ms } : {}),
        ...(r.metrics ? { metrics: r.metrics } : {}),
        ...(r.log ? { log: r.log } : {}),
      });
    }
  }
  return entries;
}

/** The whole log of a search, across continue-as-new runs, oldest first. */
export async function searchLog(client: Client, workflowId: string): Promise<LogEntry[]> {
  const runs: { runId: string; start: number }[] = [];
  for await (const wf of client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) {
    runs.push({ runId: wf.runId, start: wf.startTime.getTime() });
  }
  runs.sort((a, b) => a.start - b.start);
  const entries: LogEntry[] = [];
  for (const { runId } of runs) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    entries.push(...logFromHistory(runId, history.events ?? []));
  }
  return entries;
}
