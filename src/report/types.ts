import type { ActivityTally } from '../client/history';
import type { ChatMessage } from '../llm/types';
import type { SearchResult } from '../search/summary';
import type { Evaluation, Origin, SearchConfig } from '../search/types';

/**
 * What a report shows of one search, gathered from its workflow history (all
 * of its continue-as-new runs): plain JSON, so rendering is a pure function
 * of it and can be tested without a server.
 */

/** An evaluation as the report lists it; `unknown` origin for a search read before it finished. */
export type ReportEvaluation = Omit<Evaluation, 'origin'> & { origin: Origin | 'unknown' };

/** Where in the search something happened: when, and after how many evaluations. */
export interface Moment {
  /** ISO time of the history event. */
  at: string;
  /** Evaluations completed before it. */
  evaluated: number;
}

export interface LlmExchange extends Moment {
  /** "navigator", "generator", "summary", "ranker"... */
  purpose: string;
  model: string;
  tokensIn: number;
  tokensOut: number;
  latencyMs: number;
  /** The prompt: the whole conversation sent, system message first. */
  messages: ChatMessage[];
  /** The answer, without any reasoning text. */
  answer: string;
  /** Reasoning ("thinking") text the model produced, if any. */
  reasoning?: string;
}

/** An LLM call that failed for good (after its retries); the search rode it out or stopped. */
export interface LlmFailure extends Moment {
  purpose: string;
  model: string;
  error: string;
  /** The prompt that got no answer. */
  messages: ChatMessage[];
}

/** A Navigator answer (the strategy the Generator followed next), or a person's steering hint. */
export interface TimelineText extends Moment {
  text: string;
}

export type SearchStatusName = 'completed' | 'running' | 'failed' | 'terminated' | 'canceled' | 'timed out';

export interface SearchReportData {
  workflowId: string;
  /** Oldest first: the first run, then each continue-as-new. */
  runIds: string[];
  status: SearchStatusName;
  startedAt?: string;
  closedAt?: string;
  /** Why the workflow failed or was terminated, when it did. */
  closeReason?: string;
  /** The config as the user passed it (the first run's input): what reproduces the search. */
  input?: unknown;
  /** The config as resolved at the first run (defaults applied). */
  config?: SearchConfig;
  /** The workflow's result, once it completed. */
  result?: SearchResult;
  /** Every evaluated architecture in the order the search recorded it. */
  evaluations: ReportEvaluation[];
  failedEvaluations: { arch: string; error: string }[];
  llm: LlmExchange[];
  llmFailures: LlmFailure[];
  strategies: TimelineText[];
  hints: TimelineText[];
  /** How the evaluations and LLM calls ended (completed, failed, timed out, retried), as the search log counts them. */
  activities?: { evaluations: ActivityTally; llm: ActivityTally };
}
