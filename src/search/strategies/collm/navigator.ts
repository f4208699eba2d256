import { sectionsGrammar } from '../../../lib/sections-grammar';
import { render, type PromptSet } from '../../../prompts';
import type { ChatMessage, ChatResponse, LlmCall } from '../../../llm/types';
import type { Observation, SearchState } from '../../types';
import { conversationBudget, conversationTokenBudget, estimateTokens } from './context';
import { describeConstraint, describeEval, fmtAcc, hintsText, progressPlaceholders } from './describe';
import { callSeed, prompts, tally, type Collm, type CollmState } from './state';

/** The Navigator's turns: it reads the history and writes the strategy, never architectures. */

function navigatorSystem(collmSetup: Collm, search: SearchState, p: PromptSet): ChatMessage {
  const { config, space } = collmSetup;
  return {
    role: 'system',
    content: render(p.navigatorSystem, {
      ...progressPlaceholders(config, search),
      goal:
        config.targetAccuracy !== undefined
          ? `validation accuracy of at least ${fmtAcc(config.targetAccuracy)}`
          : 'the highest validation accuracy you can',
      dataset: config.dataset,
      constraint: describeConstraint(config),
      space: space.description,
      dimensions: space.dimensions.map((d) => `## ${d}`).join('\n'),
    }),
  };
}

/** The Navigator's next turn: the initial strategy, or a refinement after `lastBatch`. */
export function navigatorCall(
  collmSetup: Collm,
  search: SearchState,
  state: CollmState,
  lastBatch: readonly Observation[],
): { call: LlmCall; state: CollmState } {
  const { config, options } = collmSetup;
  const p = prompts(state);
  const hints = hintsText(p, state.pendingHints);
  let user: string;
  if (state.strategy === undefined) {
    user = render(p.navigatorInitial, { hints });
  } else if (options.memory === 'none') {
    const history = search.evaluated.slice(-80).map((e) => describeEval(e, config)).join('\n');
    user = render(p.navigatorStateless, { ...progressPlaceholders(config, search), history, hints });
  } else {
    // The Navigator is credited only with what its strategy produced; the fill is listed apart.
    const list = (batch: readonly Observation[]): string => batch.map((e) => describeEval(e, config)).join('\n') || '(none)';
    const fromLlm = lastBatch.filter((e) => e.origin !== 'fill');
    const counts = state.lastProposals;
    user = render(p.navigatorRefine, {
      ...progressPlaceholders(config, search),
      iteration: search.iteration,
      results: lastBatch.map((e) => describeEval(e, config)).join('\n') || '(no new architectures)',
      llmResults: list(fromLlm),
      fillResults: list(lastBatch.filter((e) => e.origin === 'fill')),
      proposalStats: counts
        ? `${counts.generated} written, ${fromLlm.length} evaluated, ${counts.duplicate} repeated an evaluated architecture, ` +
          `${counts.illegal} were not valid, ${counts.infeasible} exceeded the cost budget`
        : 'none (no answer from the Generator)',
      hints,
    });
  }
  const system = navigatorSystem(collmSetup, search, p);
  const keep = options.memory === 'none' ? [] : state.navigator.slice(1);
  const messages: ChatMessage[] = [system, ...keep, { role: 'user', content: user }];
  const llm = collmSetup.navigator;
  return {
    call: { purpose: 'navigator', llm, request: { messages, temperature: llm.temperature, ...sectioned(collmSetup, p), seed: callSeed(collmSetup, search.iteration, 'navigator') } },
    state: { ...state, navigator: messages, pendingHints: [] },
  };
}

/**
 * The Navigator's answer shape and length. Where the prompts require sections
 * (navigatorFix) and the model is grammar-bound, the grammar writes the
 * headings and bounds the bodies, so no answer lacks a section and none is cut
 * off. The whole answer stays within 2 * maxTokens characters, hence tokens:
 * what the conversation's sizing already leaves for an answer (context.ts), so
 * a search's summaries come when they did. Elsewhere the configured
 * maxTokens, and a missing section is asked for again (fixCall).
 */
function sectioned(collmSetup: Collm, p: PromptSet): { maxTokens: number; sections?: { headings: string[]; maxCharsPerSection: number } } {
  const llm = collmSetup.navigator;
  if (!p.navigatorFix || !llm.capabilities.grammar) return { maxTokens: llm.maxTokens };
  const headings = REQUIRED_SECTIONS.reduce((n, h) => n + h.length + 2, 0);
  const sections = { headings: [...REQUIRED_SECTIONS], maxCharsPerSection: Math.max(20, Math.floor((2 * llm.maxTokens - headings) / REQUIRED_SECTIONS.length)) };
  return { maxTokens: sectionsGrammar(sections).maxChars, sections };
}

export function acceptNavigator(state: CollmState, response: ChatResponse): CollmState {
  const strategy = response.text.trim() || '(the Navigator gave no strategy; explore the space broadly)';
  return {
    ...state,
    strategy,
    navigator: [...state.navigator, { role: 'assistant', content: strategy }],
    stats: tally(state.stats, response, 'navigatorCalls'),
  };
}

/** Size of the turns after the (fixed) system prompt: what grows with the search. */
const chars = (messages: readonly ChatMessage[]): number =>
  messages.reduce((n, m) => n + (m.role === 'system' ? 0 : m.content.length), 0);

/**
 * When the Navigator's conversation outgrows its budget, it is asked to
 * summarise it; the summary then replaces the older turns. Nothing is cut
 * without being summarised.
 */
export function summaryCall(collmSetup: Collm, state: CollmState): LlmCall | undefined {
  const budget = conversationBudget(collmSetup);
  const tokenBudget = conversationTokenBudget(collmSetup);
  const overTokens = tokenBudget !== undefined && estimateTokens(state.navigator.map((m) => m.content).join('\n')) > tokenBudget;
  if (collmSetup.options.memory === 'none' || (chars(state.navigator) <= budget && !overTokens)) return undefined;
  const p = prompts(state);
  // A summary well under the budget: about 24 characters, or 6 tokens, per word allowed.
  const words = Math.max(60, Math.floor(Math.min(budget / 24, (tokenBudget ?? Infinity) / 6)));
  const llm = collmSetup.navigator;
  return {
    purpose: 'summary',
    llm,
    request: {
      messages: [...state.navigator, { role: 'user', content: render(p.summarize, { words }) }],
      temperature: Math.min(llm.temperature, 0.3),
      maxTokens: llm.maxTokens,
    },
  };
}

export function acceptSummary(state: CollmState, response: ChatResponse): CollmState {
  const p = prompts(state);
  const system = state.navigator[0];
  const summary: ChatMessage = { role: 'user', content: render(p.summaryPrefix, { summary: response.text.trim() }) };
  // The last strategy stays verbatim so the next refinement can build on it.
  const last: ChatMessage[] = state.strategy ? [{ role: 'assistant', content: state.strategy }] : [];
  return {
    ...state,
    navigator: [...(system ? [system] : []), summary, ...last],
    stats: tally(state.stats, response, 'summaries'),
  };
}

const REQUIRED_SECTIONS = ['# SUMMARY', '# KEY PATTERNS', '# NAVIGATION DIRECTIONS'];

/** The required sections a strategy lacks (headings matched case-insensitively, at any heading level). */
export function missingSections(strategy: string): string[] {
  const headings = strategy.split('\n').map((l) => l.trim().replace(/^#+\s*/, '# ').toUpperCase());
  return REQUIRED_SECTIONS.filter((s) => !headings.some((h) => h.startsWith(s)));
}

/**
 * When the prompts ask for it (collm-v2 and later), a strategy without its
 * required sections is asked for once more, with what was missing; the
 * second answer is taken whatever it holds.
 */
export function fixCall(collmSetup: Collm, state: CollmState): LlmCall | undefined {
  const p = prompts(state);
  const missing = state.strategy === undefined ? [] : missingSections(state.strategy);
  if (!p.navigatorFix || missing.length === 0) return undefined;
  const llm = collmSetup.navigator;
  return {
    purpose: 'navigator-fix',
    llm,
    request: {
      messages: [...state.navigator, { role: 'user', content: render(p.navigatorFix, { missing: missing.join(', ') }) }],
      temperature: llm.temperature,
      maxTokens: llm.maxTokens,
    },
  };
}

/** The corrected strategy replaces the one that lacked sections (the request stays out of the kept conversation). */
export function acceptFix(state: CollmState, response: ChatResponse): CollmState {
  const fixed = acceptNavigator({ ...state, navigator: state.navigator.slice(0, -1) }, response);
  return { ...fixed, stats: { ...fixed.stats, navigatorCalls: fixed.stats.navigatorCalls - 1, navigatorFixes: fixed.stats.navigatorFixes + 1 } };
}
