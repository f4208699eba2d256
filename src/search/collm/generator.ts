import { render } from '../../prompts';
import type { ChatMessage, ChatResponse, LlmCall } from '../../llm/types';
import type { SearchState } from '../types';
import { estimateTokens, generatorMaxTokens, generatorPromptLimits, generatorSchema, RETRY_ERRORS_SHOWN } from './context';
import { costBudget, costText, fmtAcc } from './describe';
import { prompts, type Collm, type CollmState } from './state';

/** The Generator's turns: stateless (unless memory "both"), one strategy in, JSON candidates out. */

/**
 * The Generator's remembered turns (memory "both") that fit a quarter of a
 * small context, most recent kept; whole exchanges only, so a user turn is
 * never left without its answer.
 */
function memoryThatFits(k: Collm, turns: ChatMessage[]): ChatMessage[] {
  const { contextTokens } = k.generator.capabilities;
  if (contextTokens === undefined) return turns;
  const kept: ChatMessage[] = [];
  let used = 0;
  for (let i = turns.length - 2; i >= 0; i -= 2) {
    const pair = turns.slice(i, i + 2);
    used += pair.reduce((n, m) => n + estimateTokens(m.content), 0);
    if (used > contextTokens / 4) break;
    kept.unshift(...pair);
  }
  return kept;
}

/**
 * An architecture as the Generator should see it: its canonical form, where
 * the space's key is a text it can parse (two encodings of one network look
 * alike), else as evaluated.
 */
function canonicalJson(k: Collm, arch: string): unknown {
  const parsed = k.space.parse(arch);
  try {
    return k.space.parse(k.space.key(parsed));
  } catch {
    return parsed;
  }
}

export function generatorCall(
  k: Collm,
  search: SearchState,
  state: CollmState,
  count: number,
): { call: LlmCall; messages: ChatMessage[] } {
  const { space } = k;
  const p = prompts(state);
  const system: ChatMessage = { role: 'system', content: render(p.generatorSystem, { space: space.description, archFormat: space.jsonFormat }) };
  const best = search.evaluated.slice().sort((a, b) => b.valAcc - a.valAcc);
  const bestList =
    best
      .filter((e) => e.feasible)
      .slice(0, 5)
      .map((e) => `- ${JSON.stringify(canonicalJson(k, e.arch))}  accuracy ${fmtAcc(e.valAcc)}, ${costText(e, k.config)}`)
      .join('\n') || '(none yet)';
  const memory = k.options.memory === 'both' ? memoryThatFits(k, state.generator.slice(-6)) : [];
  // What the prompt holds besides the strategy and the visited list sizes the rest.
  const limits = generatorPromptLimits(k, count, [system.content, bestList, ...memory.map((m) => m.content)].join('\n'));
  // Show the best and the most recent evaluated architectures: the ones a Generator is likeliest to repeat.
  const shown = new Set<string>();
  for (const e of [...best.slice(0, Math.ceil(limits.visited / 2)), ...search.evaluated.slice().reverse()]) {
    if (shown.size >= limits.visited) break;
    shown.add(JSON.stringify(canonicalJson(k, e.arch)));
  }
  const strategy = state.strategy ?? '';
  const user: ChatMessage = {
    role: 'user',
    content: render(p.generatorUser, {
      strategy: strategy.length > limits.strategyChars ? `${strategy.slice(0, limits.strategyChars)} [...]` : strategy,
      count,
      visited: shown.size > 0 ? [...shown].join('\n') : '(none yet)',
      costBudget: costBudget(k.config),
      bestList,
    }),
  };
  const messages = [system, ...memory, user];
  const llm = k.generator;
  return {
    call: {
      purpose: 'generator',
      llm,
      request: {
        messages,
        jsonSchema: { name: 'candidates', schema: generatorSchema(space, count) },
        temperature: llm.temperature,
        maxTokens: generatorMaxTokens(k, count),
      },
    },
    messages,
  };
}

/** The one follow-up the Generator gets, with the exact validation errors. */
export function retryCall(k: Collm, first: LlmCall, firstAnswer: ChatResponse, errors: readonly string[], count: number, state: CollmState): LlmCall {
  const p = prompts(state);
  const n = RETRY_ERRORS_SHOWN;
  const shown = errors.slice(0, n).map((e) => `- ${e}`).join('\n') + (errors.length > n ? `\n- ... and ${errors.length - n} more` : '');
  return {
    ...first,
    request: {
      ...first.request,
      messages: [
        ...first.request.messages,
        { role: 'assistant', content: firstAnswer.text },
        { role: 'user', content: render(p.generatorRetry, { errors: shown || '- too few candidates', count }) },
      ],
      jsonSchema: { name: 'candidates', schema: generatorSchema(k.space, count) },
    },
  };
}

/** Remembers the Generator's exchange, for memory "both". */
export function rememberGenerator(k: Collm, state: CollmState, messages: ChatMessage[], answer: ChatResponse): CollmState {
  if (k.options.memory !== 'both') return state;
  const user = messages[messages.length - 1]!;
  const turn: ChatMessage[] = [user, { role: 'assistant', content: answer.text }];
  return { ...state, generator: [...state.generator, ...turn].slice(-6) };
}
