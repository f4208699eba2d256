import { PROMPTS, type PromptSet } from '../../../prompts';
import type { ChatMessage, ChatResponse, ResolvedLlm } from '../../../llm/types';
import type { SearchSpace } from '../../../spaces/types';
import type { SearchConfig } from '../../types';
import { COORDINATOR_SWITCHES, type CollmOptions, type CoordinatorSwitches } from './options';

/**
 * The CoLLM-NAS Coordinator's state, as plain JSON carried in the search
 * state: the Navigator's conversation, the latest strategy, counters.
 */
export interface CollmStats {
  llmCalls: number;
  navigatorCalls: number;
  generatorCalls: number;
  summaries: number;
  tokensIn: number;
  tokensOut: number;
  llmMs: number;
  /** Architectures the Generator wrote. */
  generated: number;
  /** Answers that were not JSON of the expected shape. */
  invalidJson: number;
  /** Architectures that are not members of the space. */
  illegal: number;
  /** Architectures already evaluated, or repeated within the answer. */
  duplicate: number;
  /** Architectures over the cost constraint. */
  infeasible: number;
  /** Generator calls repeated with the validation errors. */
  retries: number;
  /** Candidates filled in by mutating the best architectures. */
  mutationFilled: number;
  /** Candidates the Generator wrote that were evaluated. */
  accepted: number;
  /** LLM calls that failed for good and were ridden out (onLlmFailure "fill"). */
  llmFailures: number;
  /** Of those, retries spent on failures that may pass (timeouts, 429, 5xx). Absent before kinds were counted. */
  llmFailuresTransient?: number;
  /** Of those, requests the server refused (malformed to it, too long for its model). */
  llmFailuresRefused?: number;
  /** Navigator answers asked for once more because they lacked required sections. */
  navigatorFixes: number;
  /** Duplicate proposals mutated into new architectures (counted in duplicate too). */
  repaired: number;
  /** Ranking calls (rankPool). */
  rankCalls: number;
  /**
   * Rankings that picked the pool's first candidates in the pool's order: no
   * choice made (a small model's position bias). Absent in states recorded before it was counted.
   */
  rankKeptOrder?: number;
}

export interface CollmState {
  promptVersion: string;
  /** Navigator conversation (system prompt first); older turns get summarised. */
  navigator: ChatMessage[];
  /** Generator conversation, kept only with memory "both". */
  generator: ChatMessage[];
  /** The latest strategy S_t. */
  strategy?: string;
  /** Hints from `steer` not yet shown to the Navigator. */
  pendingHints: string[];
  stats: CollmStats;
  /** The last LLM failure ridden out, for progress. */
  lastLlmFailure?: string;
  /** Refused requests since the last answer (maxLlmRefusals). */
  llmRefusalsInARow?: number;
  /** Set when the LLMs were given up (onLlmFailure "fill" after maxLlmRefusals refusals): why. */
  llmGivenUp?: string;
  /** What became of the Generator's proposals in the last iteration, for the Navigator's refinement. */
  lastProposals?: ProposalCounts;
}

export interface ProposalCounts {
  generated: number;
  duplicate: number;
  illegal: number;
  infeasible: number;
}

/** What the Generator's answers of one iteration came to: the difference of the counters. */
export function proposalCounts(before: CollmStats, after: CollmStats): ProposalCounts {
  return {
    generated: after.generated - before.generated,
    duplicate: after.duplicate - before.duplicate,
    illegal: after.illegal - before.illegal,
    infeasible: after.infeasible - before.infeasible,
  };
}

/**
 * A collm search's setup: everything the Coordinator's functions read besides
 * the search and its own state (the resolved config, the strategy's options,
 * the space, the LLM of each role). Fixed for the whole search, so it is not
 * part of the state; the functions take it as `collmSetup`.
 */
export interface Collm {
  config: SearchConfig;
  options: CollmOptions;
  space: SearchSpace<unknown>;
  navigator: ResolvedLlm;
  generator: ResolvedLlm;
}

export function initCollm(options: CollmOptions): CollmState {
  return {
    promptVersion: options.promptVersion,
    navigator: [],
    generator: [],
    pendingHints: [],
    stats: {
      llmCalls: 0, navigatorCalls: 0, generatorCalls: 0, summaries: 0, tokensIn: 0, tokensOut: 0, llmMs: 0,
      generated: 0, invalidJson: 0, illegal: 0, duplicate: 0, infeasible: 0, retries: 0, mutationFilled: 0, accepted: 0, llmFailures: 0, navigatorFixes: 0, repaired: 0, rankCalls: 0, rankKeptOrder: 0,
    },
  };
}

/** The prompts a search started with: recorded searches replay with the wording they ran with. */
export function prompts(state: CollmState): PromptSet {
  const p = PROMPTS[state.promptVersion];
  if (!p) throw new Error(`unknown prompt version ${state.promptVersion}`);
  return p;
}

/** The Coordinator's switches of the version a search started with: recorded searches replay as they ran. */
export function coordinatorSwitches(state: CollmState): CoordinatorSwitches {
  const s = COORDINATOR_SWITCHES[state.promptVersion];
  if (!s) throw new Error(`unknown prompt version ${state.promptVersion}`);
  return s;
}

export function tally(stats: CollmStats, r: ChatResponse, field: 'navigatorCalls' | 'generatorCalls' | 'summaries'): CollmStats {
  return {
    ...stats,
    llmCalls: stats.llmCalls + 1,
    [field]: stats[field] + 1,
    tokensIn: stats.tokensIn + r.tokensIn,
    tokensOut: stats.tokensOut + r.tokensOut,
    llmMs: stats.llmMs + r.latencyMs,
  };
}

/**
 * The sampling seed of one LLM call: from the search's seed, the iteration
 * and the call's purpose, so that a re-run with the same seed and model asks
 * for the same answers.
 */
export function callSeed(collmSetup: Collm, iteration: number, purpose: string): number {
  let h = (collmSetup.config.seed * 1_000_003 + iteration * 7919) >>> 0;
  for (let i = 0; i < purpose.length; i++) h = (Math.imul(h ^ purpose.charCodeAt(i), 16777619) >>> 0);
  return h;
}
