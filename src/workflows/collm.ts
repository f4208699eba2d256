import { log } from '@temporalio/workflow';
import type { ChatResponse } from '../llm/types';
import type { CollmConfig } from '../search/collm/config';
import {
  acceptNavigator,
  acceptSummary,
  checkGenerated,
  fillWithMutations,
  generatorCall,
  navigatorCall,
  rememberGenerator,
  retryCall,
  summaryCall,
  type CollmState,
  type LlmCall,
} from '../search/collm/coordinator';
import type { SearchConfig } from '../search/config';
import { Rng } from '../search/rng';
import { remaining, type SearchState } from '../search/search';
import type { Candidate, Evaluation } from '../search/types';
import { getSpace } from '../spaces';

/**
 * The CoLLM-NAS loop inside `nasSearch`: the Coordinator's pure functions
 * decide, `llmChat` (an activity) talks to the model.
 */
export interface CollmDriver {
  propose(state: SearchState): Promise<{ state: SearchState; candidates: Candidate[] }>;
  /** After a batch: the Navigator reads the results and revises its strategy. */
  reflect(state: SearchState, batch: readonly Evaluation[]): Promise<SearchState>;
}

export function collmDriver(
  config: SearchConfig,
  c: CollmConfig,
  llmChat: (call: LlmCall) => Promise<ChatResponse>,
  /** Hints from `steer` that arrived since the last Navigator turn (taken once). */
  takeHints: () => string[],
): CollmDriver {
  const space = getSpace(config.space);
  const collmOf = (s: SearchState): CollmState => s.strategy as CollmState;

  async function navigate(state: SearchState, batch: readonly Evaluation[]): Promise<SearchState> {
    let collm = collmOf(state);
    collm = { ...collm, pendingHints: [...collm.pendingHints, ...takeHints()] };
    const summary = summaryCall(c, collm);
    if (summary) collm = acceptSummary(collm, await llmChat(summary));
    const turn = navigatorCall(config, c, space, state, collm, batch);
    collm = acceptNavigator(turn.state, await llmChat(turn.call));
    return { ...state, strategy: collm };
  }

  return {
    async propose(state) {
      const want = Math.min(config.batchSize, remaining(state));
      const taken = new Set([...state.evaluated, ...state.failed].map((e) => e.key));
      const candidates: Candidate[] = [];
      let seedsUsed = state.seedsUsed;
      while (candidates.length < want && seedsUsed < config.seedArchitectures.length) {
        const arch = space.parse(config.seedArchitectures[seedsUsed++]!);
        const key = space.key(arch);
        if (taken.has(key)) continue;
        taken.add(key);
        candidates.push({ arch: space.format(arch), key, origin: 'seed' });
      }
      state = { ...state, seedsUsed };
      if (candidates.length === want) return { state, candidates };

      if (collmOf(state).strategy === undefined) state = await navigate(state, []);
      let collm = collmOf(state);
      const need = want - candidates.length;
      const first = generatorCall(config, c, space, state, collm, need);
      const answer = await llmChat(first.call);
      let checked = checkGenerated(config, space, answer, taken, need, collm.stats, 'llm');
      collm = rememberGenerator(c, { ...collm, stats: checked.stats }, first.messages, answer);
      checked.accepted.forEach((x) => taken.add(x.key));
      candidates.push(...checked.accepted);

      if (candidates.length < want) {
        // One more try, told exactly what was wrong.
        const short = want - candidates.length;
        const retry = retryCall(first.call, answer, checked.errors, short, collm, space);
        const second = await llmChat(retry);
        checked = checkGenerated(config, space, second, taken, short, { ...collm.stats, retries: collm.stats.retries + 1 }, 'llm-retry');
        collm = { ...collm, stats: checked.stats };
        checked.accepted.forEach((x) => taken.add(x.key));
        candidates.push(...checked.accepted);
      }

      const rng = new Rng(state.rng);
      if (candidates.length < want) {
        const fill = fillWithMutations(config, space, state, taken, want - candidates.length, rng);
        collm = { ...collm, stats: { ...collm.stats, mutationFilled: collm.stats.mutationFilled + fill.length } };
        candidates.push(...fill);
      }
      log.info('collm proposed', { llm: candidates.filter((x) => x.origin.startsWith('llm')).length, fill: candidates.filter((x) => x.origin === 'fill').length });
      return {
        state: { ...state, rng: rng.state(), strategy: collm, exhausted: candidates.length === 0 },
        candidates,
      };
    },
    reflect: navigate,
  };
}

