import type { ChatMessage } from '../llm/types';
import { escapeHtml } from './escape';
import { num, pre, table, type Cell } from './html';
import type { LlmExchange, LlmFailure, SearchReportData } from './types';
import { count, duration, when } from './units';

/**
 * The LLM calls of a search: a table per purpose, the calls that failed, and
 * every exchange (the prompt as sent, the answer, any reasoning) collapsed
 * under one <details>, each in its own.
 */

const PURPOSES: Record<string, string> = {
  navigator: 'Navigator',
  'navigator-fix': 'Navigator, asked again for missing sections',
  summary: 'Navigator, condensing its conversation',
  generator: 'Generator',
  ranker: 'ranking',
};

/** What a call was for, in words: "Navigator", "Generator", "ranking"... */
export function purposeText(purpose: string): string {
  return PURPOSES[purpose] ?? purpose;
}

/** Characters of one message shown; the rest is left out, saying so (`collm-nas log` has every character). */
export const MESSAGE_CHARS = 20_000;

function text(body: string, workflowId: string): string {
  if (body.length <= MESSAGE_CHARS) return pre(body);
  const left = body.length - MESSAGE_CHARS;
  return pre(body.slice(0, MESSAGE_CHARS)) + `<p class="muted">${escapeHtml(`… ${count(left)} more characters not shown; \`collm-nas log ${workflowId}\` has the whole text.`)}</p>`;
}

function messages(list: readonly ChatMessage[], workflowId: string): string {
  return list.map((m) => `<div class="role">${escapeHtml(m.role)}</div>${text(m.content, workflowId)}`).join('\n');
}

type Call = { n: number; ok: LlmExchange } | { n: number; failed: LlmFailure };

function exchange(call: Call, workflowId: string): string {
  const c = 'ok' in call ? call.ok : call.failed;
  const head = `#${call.n} ${purposeText(c.purpose)} (${c.model}), after ${c.evaluated} evaluations, ${when(c.at)}`;
  if ('failed' in call) {
    return `<details class="exchange failed" id="llm-call-${call.n}"><summary>${escapeHtml(`${head}: failed`)}</summary>${messages(call.failed.messages, workflowId)}<div class="role">error</div>${pre(call.failed.error)}</details>`;
  }
  const { ok } = call;
  const figures = `${duration(ok.latencyMs)}, ${count(ok.tokensIn)} tokens in, ${count(ok.tokensOut)} out`;
  const reasoning = ok.reasoning ? `<details class="reasoning"><summary>reasoning</summary>${text(ok.reasoning, workflowId)}</details>` : '';
  return `<details class="exchange" id="llm-call-${call.n}"><summary>${escapeHtml(`${head}: ${figures}`)}</summary>${messages(ok.messages, workflowId)}<div class="role">answer</div>${text(ok.answer, workflowId)}${reasoning}</details>`;
}

/** Every call, answered or failed, in the order they were made. */
function calls(data: SearchReportData): Call[] {
  const all = [...data.llm.map((ok) => ({ ok })), ...data.llmFailures.map((failed) => ({ failed }))];
  const at = (c: (typeof all)[number]): string => ('ok' in c ? c.ok.at : c.failed.at);
  const evaluated = (c: (typeof all)[number]): number => ('ok' in c ? c.ok.evaluated : c.failed.evaluated);
  return all.sort((a, b) => at(a).localeCompare(at(b)) || evaluated(a) - evaluated(b)).map((c, i) => ({ n: i + 1, ...c }));
}

/** Every prompt and answer, collapsed: a long search holds thousands of lines of them. */
export function exchanges(data: SearchReportData): string {
  const list = calls(data);
  const purposes = [...new Set(list.map((c) => purposeText('ok' in c ? c.ok.purpose : c.failed.purpose)))].join(', ');
  return (
    `<details id="llm-exchanges"><summary>${escapeHtml(`Prompts and answers of the ${list.length} LLM calls (${purposes})`)}</summary>` +
    '<p class="muted">Oldest first, as the workflow history holds them; a prompt is the whole conversation sent, system message first.</p>' +
    list.map((c) => exchange(c, data.workflowId)).join('\n') +
    '</details>'
  );
}

/** One row per purpose: calls, tokens, latency, failures. */
export function llmTables(data: SearchReportData): string {
  const purposes = [...new Set([...data.llm.map((c) => c.purpose), ...data.llmFailures.map((f) => f.purpose)])];
  const rows = purposes.map((purpose): Cell[] => {
    const answered = data.llm.filter((c) => c.purpose === purpose);
    const ms = answered.map((c) => c.latencyMs);
    return [
      purposeText(purpose),
      [...new Set(answered.map((c) => c.model))].join(', '),
      answered.length,
      answered.reduce((n, c) => n + c.tokensIn, 0),
      answered.reduce((n, c) => n + c.tokensOut, 0),
      num(ms.length ? ms.reduce((a, b) => a + b, 0) / ms.length / 1000 : undefined),
      num(ms.length ? Math.max(...ms) / 1000 : undefined),
      data.llmFailures.filter((f) => f.purpose === purpose).length,
    ];
  });
  const failures = data.llmFailures.length
    ? `<h3>Failed calls</h3>${table(['purpose', 'after evaluations', 'time', 'error'], data.llmFailures.map((f) => [purposeText(f.purpose), f.evaluated, when(f.at), f.error]), { id: 'llm-failures' })}`
    : '<p>No LLM call failed for good.</p>';
  return table(['purpose', 'model', 'calls', 'tokens in', 'tokens out', 'mean latency (s)', 'max latency (s)', 'failed'], rows, { id: 'llm-summary', sortable: true }) + failures;
}
