import type { z } from 'zod';
import { render } from '../../../prompts';
import type { SearchSpace } from '../../../spaces/types';
import type { ChatMessage, ChatResponse, LlmCall } from '../../../llm/types';
import type { SearchState } from '../../types';
import { archTokens, estimateTokens, generatorMaxTokens, generatorPromptLimits, generatorSchema, RETRY_ERRORS_SHOWN } from './context';
import { costBudget, costText, fmtAcc } from './describe';
import { applyEdit, editFormat, editSchema } from './edit';
import { callSeed, coordinatorSwitches, prompts, type Collm, type CollmState } from './state';

/** The Generator's turns: stateless (unless memory "both"), one strategy in, JSON candidates out. */

/**
 * The Generator's remembered turns (memory "both") that fit a quarter of a
 * small context, most recent kept; whole exchanges only, so a user turn is
 * never left without its answer.
 */
function memoryThatFits(collmSetup: Collm, turns: ChatMessage[]): ChatMessage[] {
  const { contextTokens } = collmSetup.generator.capabilities;
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
function canonicalJson(collmSetup: Collm, arch: string): unknown {
  const parsed = collmSetup.space.parse(arch);
  try {
    return collmSetup.space.parse(collmSetup.space.key(parsed));
  } catch {
    return parsed;
  }
}

export function generatorCall(
  collmSetup: Collm,
  search: SearchState,
  state: CollmState,
  count: number,
): GeneratorTurn {
  const { space } = collmSetup;
  const p = prompts(state);
  const system: ChatMessage = { role: 'system', content: render(p.generatorSystem, { space: space.description, archFormat: space.jsonFormat }) };
  const best = search.evaluated.slice().sort((a, b) => b.valAcc - a.valAcc);
  const top = best.filter((e) => e.feasible).slice(0, SHOWN_BEST);
  const line = (e: (typeof top)[number]) => `${JSON.stringify(canonicalJson(collmSetup, e.arch))}  accuracy ${fmtAcc(e.valAcc)}, ${costText(e, collmSetup.config)}`;
  const bestList = top.map((e) => `- ${line(e)}`).join('\n') || '(none yet)';
  // Edit mode needs a parent to edit: before the first evaluation it writes whole architectures.
  const edit = collmSetup.options.generatorMode === 'edit' && top.length > 0 && p.generatorEditUser !== undefined;
  const parents = edit ? top.map((e) => space.parse(e.arch)) : [];
  const item = edit ? { schema: editSchema(space, parents.length) } : space;
  const memory = collmSetup.options.memory === 'both' ? memoryThatFits(collmSetup, state.generator.slice(-6)) : [];
  const inOrder = coordinatorSwitches(state).visitedInEvaluationOrder;
  // What the prompt holds besides the strategy and the visited list sizes the rest. In evaluation
  // order the best list is allowed for at its largest, so the window's size does not move with it.
  const fixed = [system.content, inOrder ? '' : bestList, ...memory.map((m) => m.content)].join('\n');
  const limits = generatorPromptLimits(collmSetup, count, fixed, inOrder ? SHOWN_BEST * (archTokens(space) + 30) : 0);
  const shown = new Set<string>();
  const visited = inOrder
    ? evaluationWindow(search.evaluated, limits.visited)
    : // The best and the most recent evaluated architectures: the ones a Generator is likeliest to repeat.
      [...best.slice(0, Math.ceil(limits.visited / 2)), ...search.evaluated.slice().reverse()];
  for (const e of visited) {
    if (shown.size >= limits.visited) break;
    shown.add(JSON.stringify(canonicalJson(collmSetup, e.arch)));
  }
  const strategy = state.strategy ?? '';
  const user: ChatMessage = {
    role: 'user',
    content: render(edit ? p.generatorEditUser! : p.generatorUser, {
      strategy: strategy.length > limits.strategyChars ? `${strategy.slice(0, limits.strategyChars)} [...]` : strategy,
      count,
      visited: shown.size > 0 ? [...shown].join('\n') : '(none yet)',
      costBudget: costBudget(collmSetup.config),
      bestList,
      parents: top.map((e, i) => `${i + 1}. ${line(e)}`).join('\n'),
      editFormat: edit ? editFormat(space) : '',
    }),
  };
  const messages = [system, ...memory, user];
  const llm = collmSetup.generator;
  return {
    call: {
      purpose: 'generator',
      llm,
      request: {
        messages,
        jsonSchema: { name: 'candidates', schema: generatorSchema(item, count) },
        temperature: llm.temperature,
        maxTokens: generatorMaxTokens(collmSetup, count, item),
        seed: callSeed(collmSetup, search.iteration, 'generator'),
      },
    },
    messages,
    read: edit ? readEdit(space, item.schema, parents) : readArchitecture(space),
    item,
  };
}

/**
 * The last `limit` or fewer evaluated architectures, in evaluation order, the
 * window's start moved in blocks of half the limit: from one iteration to the
 * next the list only grows at its end until the window moves, so the prompt
 * before it stays a prefix a KV cache can serve.
 */
export function evaluationWindow<T>(evaluated: readonly T[], limit: number): readonly T[] {
  if (limit <= 0) return [];
  if (evaluated.length <= limit) return evaluated;
  const block = Math.max(1, Math.ceil(limit / 2));
  const start = Math.ceil((evaluated.length - limit) / block) * block;
  return evaluated.slice(start);
}

/** The Generator's turn: the call, what it said, and how its answer's items become architectures. */
export interface GeneratorTurn {
  call: LlmCall;
  messages: ChatMessage[];
  /** One item of the answer as an architecture, or why it is not one. */
  read: ItemReader;
  /** The schema of one item (an architecture, or an edit), for the follow-up. */
  item: { schema: z.ZodType };
}

export type ItemReader = (item: unknown) => { arch: unknown } | { error: string };

/** How many of the best architectures the Generator sees (and, in edit mode, may edit). */
const SHOWN_BEST = 5;

const issues = (e: z.ZodError): string => e.issues.map((x) => `${x.path.join('.') || 'value'}: ${x.message}`).join('; ');

export function readArchitecture(space: SearchSpace<unknown>): ItemReader {
  return (item) => {
    const parsed = space.schema.safeParse(item);
    return parsed.success ? { arch: parsed.data } : { error: issues(parsed.error) };
  };
}

function readEdit(space: SearchSpace<unknown>, schema: z.ZodType, parents: readonly unknown[]): ItemReader {
  return (item) => {
    const parsed = schema.safeParse(item);
    if (!parsed.success) return { error: issues(parsed.error) };
    return applyEdit(space, parents, parsed.data as Parameters<typeof applyEdit>[2]);
  };
}

/** The one follow-up the Generator gets, with the exact validation errors. */
export function retryCall(collmSetup: Collm, first: LlmCall, firstAnswer: ChatResponse, errors: readonly string[], count: number, state: CollmState, item: { schema: z.ZodType } = collmSetup.space): LlmCall {
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
      jsonSchema: { name: 'candidates', schema: generatorSchema(item, count) },
    },
  };
}

/** Remembers the Generator's exchange, for memory "both". */
export function rememberGenerator(collmSetup: Collm, state: CollmState, messages: ChatMessage[], answer: ChatResponse): CollmState {
  if (collmSetup.options.memory !== 'both') return state;
  const user = messages[messages.length - 1]!;
  const turn: ChatMessage[] = [user, { role: 'assistant', content: answer.text }];
  return { ...state, generator: [...state.generator, ...turn].slice(-6) };
}
