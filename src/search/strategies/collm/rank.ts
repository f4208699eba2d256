import { z } from 'zod';
import type { ChatResponse, LlmCall } from '../../../llm/types';
import { render } from '../../../prompts';
import type { SearchState } from '../../types';
import type { Proposal } from '../types';
import { candidatesOf } from './answers';
import { generatorSchema } from './context';
import { costText, fmtAcc } from './describe';
import { prompts, tally, type Collm, type CollmState } from './state';

/**
 * LLM ranking (rankPool): the Generator's candidates and mutations of the
 * best make a pool larger than the batch; the LLM ranks it and only the top
 * of its ranking is evaluated, to spend evaluations where the model expects
 * gains. Pure functions: the call to make and how its answer picks the batch.
 */

export function rankCall(collmSetup: Collm, search: SearchState, state: CollmState, pool: readonly Proposal[], count: number): LlmCall {
  const p = prompts(state);
  const llm = collmSetup.generator;
  const best = search.evaluated
    .filter((e) => e.feasible)
    .sort((a, b) => b.valAcc - a.valAcc)
    .slice(0, 5)
    .map((e) => `- ${JSON.stringify(collmSetup.space.parse(e.arch))}  accuracy ${fmtAcc(e.valAcc)}, ${costText(e, collmSetup.config)}`)
    .join('\n');
  const numbered = pool
    .map((c, i) => `${i + 1}. ${JSON.stringify(c.arch)}  ${costText({ cost: collmSetup.space.cost(c.arch, collmSetup.config.dataset) }, collmSetup.config)}`)
    .join('\n');
  const item = { schema: poolNumber(pool.length) };
  return {
    purpose: 'ranker',
    llm,
    request: {
      messages: [
        { role: 'system', content: render(p.generatorSystem, { space: collmSetup.space.description, archFormat: collmSetup.space.jsonFormat }) },
        { role: 'user', content: render(p.rankUser!, { strategy: state.strategy ?? '', best: best || '(none yet)', pool: numbered, count }) },
      ],
      // The same shape as the Generator's answer: {"candidates": [numbers]}.
      jsonSchema: { name: 'candidates', schema: generatorSchema(item, count) },
      temperature: Math.min(llm.temperature, 0.3),
      maxTokens: Math.max(64, count * 4 + 32),
    },
  };
}

/** One item of the ranking's answer: the number of a candidate in the pool, as asked and as checked. */
const poolNumber = (size: number) => z.number().int().min(1).max(size);

/**
 * The batch the ranking picks: the numbers it gives, in its order, each
 * once and in range; what it leaves short is taken from the pool's own order.
 */
export function pickRanked<C>(pool: readonly C[], count: number, response: ChatResponse | undefined): C[] {
  const chosen: number[] = [];
  const item = poolNumber(pool.length);
  for (const n of candidatesOf(response) ?? []) {
    const parsed = item.safeParse(n);
    if (parsed.success && !chosen.includes(parsed.data - 1) && chosen.length < count) chosen.push(parsed.data - 1);
  }
  for (let i = 0; chosen.length < Math.min(count, pool.length) && i < pool.length; i++) if (!chosen.includes(i)) chosen.push(i);
  return chosen.map((i) => pool[i]!);
}

export function acceptRanking(state: CollmState, response: ChatResponse): CollmState {
  const stats = tally(state.stats, response, 'generatorCalls');
  return { ...state, stats: { ...stats, generatorCalls: state.stats.generatorCalls, rankCalls: state.stats.rankCalls + 1 } };
}
