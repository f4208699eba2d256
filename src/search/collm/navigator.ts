import { render, type PromptSet } from '../../prompts/collm-v1';
import type { ChatMessage, ChatResponse, LlmCall } from '../../llm/types';
import type { Observation, SearchState } from '../types';
import { conversationBudget } from './context';
import { common, describeConstraint, describeEval, fmtAcc, hintsText } from './describe';
import { prompts, tally, type Collm, type CollmState } from './state';

/** The Navigator's turns: it reads the history and writes the strategy, never architectures. */

function navigatorSystem(k: Collm, search: SearchState, p: PromptSet): ChatMessage {
  const { config, space } = k;
  return {
    role: 'system',
    content: render(p.navigatorSystem, {
      ...common(config, search),
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
  k: Collm,
  search: SearchState,
  state: CollmState,
  lastBatch: readonly Observation[],
): { call: LlmCall; state: CollmState } {
  const { config, options } = k;
  const p = prompts(state);
  const hints = hintsText(p, state.pendingHints);
  let user: string;
  if (state.strategy === undefined) {
    user = render(p.navigatorInitial, { hints });
  } else if (options.memory === 'none') {
    const history = search.evaluated.slice(-80).map((e) => describeEval(e, config)).join('\n');
    user = render(p.navigatorStateless, { ...common(config, search), history, hints });
  } else {
    user = render(p.navigatorRefine, {
      ...common(config, search),
      iteration: search.iteration,
      results: lastBatch.map((e) => describeEval(e, config)).join('\n') || '(no new architectures)',
      hints,
    });
  }
  const system = navigatorSystem(k, search, p);
  const keep = options.memory === 'none' ? [] : state.navigator.slice(1);
  const messages: ChatMessage[] = [system, ...keep, { role: 'user', content: user }];
  const llm = k.navigator;
  return {
    call: { purpose: 'navigator', llm, request: { messages, temperature: llm.temperature, maxTokens: llm.maxTokens } },
    state: { ...state, navigator: messages, pendingHints: [] },
  };
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
export function summaryCall(k: Collm, state: CollmState): LlmCall | undefined {
  const budget = conversationBudget(k);
  if (k.options.memory === 'none' || chars(state.navigator) <= budget) return undefined;
  const p = prompts(state);
  const words = Math.max(60, Math.floor(budget / 24));
  const llm = k.navigator;
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
