import { z } from 'zod';
import { PROMPTS, render, type PromptSet } from '../../prompts/collm-v1';
import type { SearchSpace } from '../../spaces/types';
import type { ChatMessage, ChatRequest, ChatResponse } from '../../llm/types';
import type { SearchConfig } from '../config';
import { meetsConstraint, type SearchState } from '../search';
import type { Rng } from '../rng';
import type { Candidate, Evaluation } from '../types';
import { compactJson } from './json-grammar';
import type { CollmConfig, LlmConfig } from './config';

/**
 * The CoLLM-NAS Coordinator, as pure functions over JSON state: it builds
 * every prompt, checks every answer, and decides what is evaluated. The
 * workflow only carries its requests to the LLM activity and back, so a
 * replay (with the answers from history) retraces the search exactly.
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
}

export function initCollm(c: CollmConfig): CollmState {
  return {
    promptVersion: c.promptVersion,
    navigator: [],
    generator: [],
    pendingHints: [],
    stats: {
      llmCalls: 0, navigatorCalls: 0, generatorCalls: 0, summaries: 0, tokensIn: 0, tokensOut: 0, llmMs: 0,
      generated: 0, invalidJson: 0, illegal: 0, duplicate: 0, infeasible: 0, retries: 0, mutationFilled: 0, accepted: 0,
    },
  };
}

/** One LLM call as the workflow sends it to the activity. */
export interface LlmCall {
  purpose: 'navigator' | 'generator' | 'summary';
  llm: LlmConfig;
  request: ChatRequest;
}

function prompts(state: CollmState): PromptSet {
  const p = PROMPTS[state.promptVersion];
  if (!p) throw new Error(`unknown prompt version ${state.promptVersion}`);
  return p;
}

const fmtAcc = (x: number): string => `${x.toFixed(2)}%`;

function describeConstraint(config: SearchConfig): string {
  const c = config.constraint;
  if (!c) return '';
  const unit = c.metric === 'flops' ? 'MFLOPs' : c.metric === 'params' ? 'M parameters' : `ms latency on ${c.device}`;
  return ` with at most ${c.max} ${unit}`;
}

function describeEval(e: Evaluation, config: SearchConfig): string {
  const cost = config.constraint?.metric === 'latency' ? `${e.cost.latencyMs?.toFixed(2)} ms` : `${e.cost.flopsM.toFixed(1)} MFLOPs`;
  return `- ${e.arch}  accuracy ${fmtAcc(e.valAcc)}, ${cost}${e.feasible ? '' : ' (over the cost budget)'}`;
}

function bestLine(search: SearchState): string {
  let top: Evaluation | undefined;
  for (const e of search.evaluated) if (e.feasible && (!top || e.valAcc > top.valAcc)) top = e;
  return top ? `${top.arch} with accuracy ${fmtAcc(top.valAcc)}` : 'none yet';
}

function hintsText(p: PromptSet, hints: readonly string[]): string {
  return hints.map((hint) => render(p.hint, { hint })).join('');
}

function common(config: SearchConfig, search: SearchState): Record<string, string | number> {
  return {
    target: config.targetAccuracy !== undefined ? fmtAcc(config.targetAccuracy) : 'none set (as high as possible)',
    budget: search.budget,
    used: search.evaluated.length,
    best: bestLine(search),
  };
}

function navigatorSystem(config: SearchConfig, space: SearchSpace<unknown>, search: SearchState, p: PromptSet): ChatMessage {
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
  config: SearchConfig,
  c: CollmConfig,
  space: SearchSpace<unknown>,
  search: SearchState,
  state: CollmState,
  lastBatch: readonly Evaluation[],
): { call: LlmCall; state: CollmState } {
  const p = prompts(state);
  const hints = hintsText(p, state.pendingHints);
  let user: string;
  if (state.strategy === undefined) {
    user = render(p.navigatorInitial, { hints });
  } else if (c.memory === 'none') {
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
  const system = navigatorSystem(config, space, search, p);
  const keep = c.memory === 'none' ? [] : state.navigator.slice(1);
  const messages: ChatMessage[] = [system, ...keep, { role: 'user', content: user }];
  const llm = c.navigator ?? c.llm;
  return {
    call: { purpose: 'navigator', llm, request: { messages, temperature: llm.temperature, maxTokens: llm.maxTokens } },
    state: { ...state, navigator: messages, pendingHints: [] },
  };
}

function tally(stats: CollmStats, r: ChatResponse, field: 'navigatorCalls' | 'generatorCalls' | 'summaries'): CollmStats {
  return {
    ...stats,
    llmCalls: stats.llmCalls + 1,
    [field]: stats[field] + 1,
    tokensIn: stats.tokensIn + r.tokensIn,
    tokensOut: stats.tokensOut + r.tokensOut,
    llmMs: stats.llmMs + r.latencyMs,
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
 * How large the Navigator's conversation may grow. An embedded model's
 * context is small: the system prompt (~2,500 characters), the next results
 * (~2,000), the answer and the summary request must still fit after it. Small
 * models' odd output can run close to 2 characters per token, so the budget
 * assumes 2.
 */
export function conversationBudget(c: CollmConfig): number {
  const llm = c.navigator ?? c.llm;
  if (llm.provider !== 'local') return c.contextBudgetChars;
  const fits = (llm.contextSize - llm.maxTokens) * 2 - 2500 - 2000 - llm.maxTokens * 4 - 500;
  return Math.min(c.contextBudgetChars, Math.max(1000, fits));
}

/**
 * When the Navigator's conversation outgrows its budget, it is asked to
 * summarise it; the summary then replaces the older turns. Nothing is cut
 * without being summarised.
 */
export function summaryCall(c: CollmConfig, state: CollmState): LlmCall | undefined {
  const budget = conversationBudget(c);
  if (c.memory === 'none' || chars(state.navigator) <= budget) return undefined;
  const p = prompts(state);
  const words = Math.max(60, Math.floor(budget / 24));
  const llm = c.navigator ?? c.llm;
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

/** The JSON Schema the Generator's answer must match, derived from the space's zod schema. */
export function generatorSchema(space: SearchSpace<unknown>, count: number): Record<string, unknown> {
  // Exactly `count`: a grammar-constrained small model otherwise stops after one.
  const n = Math.max(1, count);
  const schema = z.object({ candidates: z.array(space.schema).min(n).max(n) });
  const json = z.toJSONSchema(schema) as Record<string, unknown>;
  delete json.$schema;
  return json;
}

/**
 * The Generator's maxTokens. On an embedded model the grammar bounds the
 * answer (no whitespace, fixed count), and a token is at least a character,
 * so the longest answer the schema admits is never cut off mid-JSON; a
 * configured maxTokens below it only turned long answers into wasted calls.
 */
export function generatorMaxTokens(c: CollmConfig, space: SearchSpace<unknown>, count: number): number {
  const llm = c.generator ?? c.llm;
  if (llm.provider !== 'local') return llm.maxTokens;
  const bound = compactJson(generatorSchema(space, count))?.maxChars ?? Infinity;
  return Number.isFinite(bound) ? bound : llm.maxTokens;
}

/**
 * How many visited architectures the Generator prompt lists, and how much of
 * the strategy it quotes. On an embedded model the whole exchange, including
 * the follow-up that repeats the first answer, must fit the context: system
 * prompt (~500 tokens), two answers of up to maxTokens, ~35 tokens per listed
 * architecture, ~2.5 characters per token of strategy.
 */
export function generatorPromptLimits(c: CollmConfig, space: SearchSpace<unknown>, count: number): { visited: number; strategyChars: number } {
  const llm = c.generator ?? c.llm;
  if (llm.provider !== 'local') return { visited: c.visitedInPrompt, strategyChars: Infinity };
  const strategyChars = 2000;
  // 400 tokens of margin: the follow-up's error list and the chat template's own tokens.
  const room = llm.contextSize - 2 * generatorMaxTokens(c, space, count) - 500 - strategyChars / 2.5 - 400;
  return { visited: Math.max(0, Math.min(c.visitedInPrompt, Math.floor(room / 35))), strategyChars };
}

export function generatorCall(
  config: SearchConfig,
  c: CollmConfig,
  space: SearchSpace<unknown>,
  search: SearchState,
  state: CollmState,
  count: number,
): { call: LlmCall; messages: ChatMessage[] } {
  const p = prompts(state);
  const limits = generatorPromptLimits(c, space, count);
  // Show the best and the most recent evaluated architectures: the ones a Generator is likeliest to repeat.
  const shown = new Set<string>();
  const best = search.evaluated.slice().sort((a, b) => b.valAcc - a.valAcc);
  for (const e of [...best.slice(0, Math.ceil(limits.visited / 2)), ...search.evaluated.slice().reverse()]) {
    if (shown.size >= limits.visited) break;
    shown.add(JSON.stringify(space.parse(e.arch)));
  }
  const strategy = state.strategy ?? '';
  const system: ChatMessage = { role: 'system', content: render(p.generatorSystem, { space: space.description, archFormat: space.jsonFormat }) };
  const user: ChatMessage = {
    role: 'user',
    content: render(p.generatorUser, {
      strategy: strategy.length > limits.strategyChars ? `${strategy.slice(0, limits.strategyChars)} [...]` : strategy,
      count,
      visited: shown.size > 0 ? [...shown].join('\n') : '(none yet)',
    }),
  };
  const memory = c.memory === 'both' ? state.generator.slice(-6) : [];
  const messages = [system, ...memory, user];
  const llm = c.generator ?? c.llm;
  return {
    call: {
      purpose: 'generator',
      llm,
      request: {
        messages,
        jsonSchema: { name: 'candidates', schema: generatorSchema(space, count) },
        temperature: llm.temperature,
        maxTokens: generatorMaxTokens(c, space, count),
      },
    },
    messages,
  };
}

export interface Checked {
  accepted: Candidate[];
  errors: string[];
  stats: CollmStats;
}

/**
 * Checks a Generator answer: JSON shape, legality, duplicates (against
 * everything visited and within the answer), cost. Only legal, new, feasible
 * candidates are accepted, at most `want`.
 */
export function checkGenerated(
  config: SearchConfig,
  space: SearchSpace<unknown>,
  response: ChatResponse,
  taken: ReadonlySet<string>,
  want: number,
  stats: CollmStats,
  origin: Candidate['origin'],
): Checked {
  stats = tally(stats, response, 'generatorCalls');
  const errors: string[] = [];
  const json = response.json as { candidates?: unknown } | undefined;
  // Only the asked-for shape counts: a cut-off answer can still hold an inner list that parses.
  const list = json && !Array.isArray(json) && Array.isArray(json.candidates) ? json.candidates : undefined;
  if (!list) {
    return { accepted: [], errors: ['the answer was not a JSON object {"candidates": [...]}'], stats: { ...stats, invalidJson: stats.invalidJson + 1 } };
  }
  const accepted: Candidate[] = [];
  const seen = new Set(taken);
  let { illegal, duplicate, infeasible } = stats;
  list.forEach((item, i) => {
    const where = `candidates[${i}]`;
    const parsed = space.schema.safeParse(item);
    if (!parsed.success) {
      illegal++;
      errors.push(`${where} ${JSON.stringify(item)} is not valid: ${parsed.error.issues.map((x) => `${x.path.join('.') || 'value'}: ${x.message}`).join('; ')}`);
      return;
    }
    const key = space.key(parsed.data);
    if (seen.has(key)) {
      duplicate++;
      errors.push(`${where} ${JSON.stringify(item)} was already evaluated or repeats another candidate`);
      return;
    }
    if (!meetsConstraint(space.cost(parsed.data, config.dataset), config.constraint)) {
      infeasible++;
      errors.push(`${where} ${JSON.stringify(item)} exceeds the cost budget`);
      return;
    }
    seen.add(key);
    if (accepted.length < want) accepted.push({ arch: space.format(parsed.data), key, origin });
  });
  return {
    accepted,
    errors,
    stats: { ...stats, generated: stats.generated + list.length, illegal, duplicate, infeasible, accepted: stats.accepted + accepted.length },
  };
}

/** The one follow-up the Generator gets, with the exact validation errors. */
export function retryCall(first: LlmCall, firstAnswer: ChatResponse, errors: readonly string[], count: number, state: CollmState, space: SearchSpace<unknown>): LlmCall {
  const p = prompts(state);
  const shown = errors.slice(0, 12).map((e) => `- ${e}`).join('\n') + (errors.length > 12 ? `\n- ... and ${errors.length - 12} more` : '');
  return {
    ...first,
    request: {
      ...first.request,
      messages: [
        ...first.request.messages,
        { role: 'assistant', content: firstAnswer.text },
        { role: 'user', content: render(p.generatorRetry, { errors: shown || '- too few candidates', count }) },
      ],
      jsonSchema: { name: 'candidates', schema: generatorSchema(space, count) },
    },
  };
}

/**
 * Parents for the fill: the better of FILL_TOURNAMENT picked among the
 * FILL_PARENTS best. Chosen on seeds the benchmark does not use (100-129);
 * top 3-10 with tournaments of 2-3 were all within noise of each other.
 */
export const FILL_PARENTS = 5;
export const FILL_TOURNAMENT = 2;

/**
 * Fills what the Generator could not: mutations of the best architectures
 * (tournament among the top ones), each new and feasible.
 */
export function fillWithMutations(
  config: SearchConfig,
  space: SearchSpace<unknown>,
  search: SearchState,
  taken: Set<string>,
  count: number,
  rng: Rng,
): Candidate[] {
  const top = search.evaluated.filter((e) => e.feasible).sort((a, b) => b.valAcc - a.valAcc).slice(0, FILL_PARENTS);
  const out: Candidate[] = [];
  const add = (arch: unknown): void => {
    const key = space.key(arch);
    if (taken.has(key) || !meetsConstraint(space.cost(arch, config.dataset), config.constraint)) return;
    taken.add(key);
    out.push({ arch: space.format(arch), key, origin: 'fill' });
  };
  for (let attempts = 0; out.length < count && top.length > 0 && attempts < 100 * count; attempts++) {
    const parent = rng.sample(top, Math.min(FILL_TOURNAMENT, top.length)).reduce((a, b) => (b.valAcc > a.valAcc ? b : a));
    add(space.mutate(space.parse(parent.arch), rng));
  }
  // Nothing evaluated yet, or every neighbour of the best is taken: explore at random.
  for (let attempts = 0; out.length < count && attempts < 1000 * count; attempts++) add(space.sample(rng));
  return out;
}

/** Remembers the Generator's exchange, for memory "both". */
export function rememberGenerator(c: CollmConfig, state: CollmState, messages: ChatMessage[], answer: ChatResponse): CollmState {
  if (c.memory !== 'both') return state;
  const user = messages[messages.length - 1]!;
  const turn: ChatMessage[] = [user, { role: 'assistant', content: answer.text }];
  return { ...state, generator: [...state.generator, ...turn].slice(-6) };
}
