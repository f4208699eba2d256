import { Rng } from '../lib/rng';
import { getSpace } from '../spaces';
import type { SearchSpace } from '../spaces/types';
import type { LlmPort } from '../llm/types';
import { createClaims } from './claims';
import { meetsConstraint } from './constraint';
import { pickTop, poolSize, pureScores, RankingFailed, rankerKind, recordRanking, type ScoreOutcome, type ScorePort } from './rank';
import { STRATEGIES } from './strategies';
import type { ObserveContext, Strategy } from './strategies/types';
import { best, summarize, type SearchResult } from './summary';
import {
  observe,
  type Candidate,
  type EvalResult,
  type Evaluation,
  type Observation,
  type SearchConfig,
  type SearchState,
  type StopReason,
} from './types';

/**
 * The deterministic search loop shared by the `nasSearch` workflow and the
 * in-process runner: propose a batch, record its results, let the strategy
 * observe them, decide whether to stop. The state is plain JSON, so it can be
 * carried across continue-as-new and a search resumed from it gives exactly
 * the same proposals.
 */

/**
 * The ports the loop's surroundings lend the strategy, passed as `ports`: the
 * LLM (the llmChat activity in a workflow, any function elsewhere) and
 * people's steering hints. Both optional: a strategy that talks to no LLM
 * needs neither.
 */
export interface SearchIo {
  llm?: LlmPort;
  takeHints?: () => string[];
  /** Scores a pool for a ranking stage whose ranker is an evaluator (the scoring activity in a workflow). */
  score?: ScorePort;
}

export interface SearchEngine {
  readonly config: SearchConfig;
  readonly space: SearchSpace<unknown>;
  init(): SearchState;
  /**
   * Up to `batchSize` new candidates (fewer near the end of the budget): seed
   * architectures first, then the strategy's, each with a canonical key not
   * seen before and meeting any cost constraint known before evaluation.
   */
  propose(state: SearchState, ports?: SearchIo): Promise<{ state: SearchState; candidates: Candidate[] }>;
  /** Records a batch's results (same order as the candidates) and advances the iteration. */
  record(state: SearchState, candidates: readonly Candidate[], results: readonly EvalResult[]): SearchState;
  /** Records candidates whose evaluation failed after every retry, so they are not proposed again. */
  recordFailures(state: SearchState, failures: readonly { candidate: Candidate; error: string }[]): SearchState;
  /** The strategy reads the batch just recorded; call it only while the search goes on. */
  observe(state: SearchState, batch: readonly Evaluation[], ports?: SearchIo): Promise<SearchState>;
  /** Why the search should stop now, or undefined to go on. */
  stopReason(state: SearchState): StopReason | undefined;
  summarize(state: SearchState, reason: StopReason): SearchResult;
  /** The strategy's own figures so far (LLM calls, failures...), for progress. */
  report(state: SearchState): Record<string, number | string> | undefined;
}

/**
 * What strategies see of the evaluations, made once per evaluation rather
 * than for the whole list at every batch: a search only ever appends to its
 * list, so the observations of the part seen before carry over.
 */
function observations(): (evaluated: readonly Evaluation[]) => readonly Observation[] {
  let from: readonly Evaluation[] = [];
  let list: Observation[] = [];
  return (evaluated) => {
    if (evaluated === from) return list;
    const appended = evaluated.length >= from.length && from.every((e, i) => evaluated[i] === e);
    list = (appended ? list : []).concat(evaluated.slice(appended ? from.length : 0).map(observe));
    from = evaluated;
    return list;
  };
}

export function remaining(state: SearchState): number {
  return Math.max(0, state.budget - state.evaluated.length);
}

export function createEngine(config: SearchConfig): SearchEngine {
  const space = getSpace(config.space);
  const { name, ...resolved } = config.strategy;
  const plugin = STRATEGIES.get(name);
  // Options added to a strategy after a search started take their defaults
  // (chosen to keep the earlier behaviour); what the search resolved stays.
  const options = plugin.options.safeParse(resolved);
  const strategy: Strategy<any> = plugin.create(options.success ? options.data : resolved, { config, space });
  const isFeasible = (arch: unknown): boolean => meetsConstraint(space.cost(arch, config.dataset), config.constraint);
  const observed = observations();
  const context = (state: SearchState, rng: Rng, ports: SearchIo): ObserveContext => ({
    space,
    rng,
    search: state,
    history: observed(state.evaluated),
    screened: state.screened ?? [],
    ...(ports.llm ? { llm: ports.llm } : {}),
    takeHints: ports.takeHints ?? (() => []),
  });

  /** The pool's scores by the configured ranker, or none (the strategy's order) when a ranking failed and may fall back. */
  async function rankScores(pool: readonly Candidate[], archs: readonly unknown[], ports: SearchIo): Promise<{ scores?: ScoreOutcome[]; failure?: string }> {
    const rank = config.rank!;
    if (rankerKind(rank) === 'pure') return { scores: pureScores(rank, space, config.dataset, archs) };
    if (!ports.score) throw new Error(`rank.by ${rank.by}: this search was given no scoring port (in a workflow, the scoring activity)`);
    try {
      const scores = await ports.score(pool);
      if (scores.length !== pool.length) throw new RankingFailed(`ranking by ${rank.by} gave ${scores.length} scores for ${pool.length} candidates`);
      return { scores };
    } catch (err) {
      if (!(err instanceof RankingFailed) || rank.onFailure === 'fail') throw err;
      return { failure: err.message };
    }
  }

  return {
    config,
    space,

    init: () => ({
      rng: Rng.fromSeed(config.seed).state(),
      iteration: 0,
      evaluated: [],
      seedsUsed: 0,
      strategy: strategy.init(),
      budget: config.budget,
      exhausted: false,
      failed: [],
      failedInARow: 0,
    }),

    async propose(state, ports = {}) {
      const known = new Set([...state.evaluated, ...state.failed].map((e) => e.key));
      const want = Math.min(config.batchSize, remaining(state));
      const candidates: Candidate[] = [];
      let seedsUsed = state.seedsUsed;
      while (candidates.length < want && seedsUsed < config.seedArchitectures.length) {
        const arch = space.parse(config.seedArchitectures[seedsUsed++]!);
        const key = space.key(arch);
        // A seed that repeats an earlier one is skipped rather than evaluated twice.
        if (known.has(key)) continue;
        known.add(key);
        candidates.push({ arch: space.format(arch), key, origin: 'seed' });
      }
      const rng = new Rng(state.rng);
      let strategyState = state.strategy;
      let ranked = state;
      if (candidates.length < want) {
        const ask = want - candidates.length;
        // With a ranking stage the strategy proposes a larger pool, and only the top of it is evaluated.
        const size = poolSize(config.rank, ask, config.batchSize);
        const ctx = { ...context(state, rng, ports), claims: createClaims(space, known), isFeasible, pending: candidates.length };
        const out = await strategy.propose(state.strategy, ctx, size);
        strategyState = out.state;
        const pool: Candidate[] = [];
        // The proposals' own objects, beside their text form: a ranker in the search scores these as they are.
        const archs: unknown[] = [];
        for (const p of out.proposals.slice(0, size)) {
          const key = space.key(p.arch);
          // The one check of what is proposed: a strategy's repeat (one it did not claim) is dropped,
          // never evaluated twice, since the budget counts unique architectures.
          if (known.has(key)) continue;
          known.add(key);
          pool.push({ arch: space.format(p.arch), key, origin: p.origin });
          archs.push(p.arch);
        }
        if (pool.length > ask) {
          const scored = await rankScores(pool, archs, ports);
          const top = pickTop(pool, scored.scores, ask);
          ranked = recordRanking(state, { ...scored, screened: top.screened });
          candidates.push(...top.chosen);
        } else {
          candidates.push(...pool);
        }
      }
      return {
        state: {
          ...ranked,
          rng: rng.state(),
          seedsUsed,
          strategy: strategyState,
          exhausted: state.exhausted || (want > 0 && candidates.length === 0),
        },
        candidates,
      };
    },

    record(state, candidates, results) {
      if (candidates.length !== results.length) {
        throw new Error(`record: ${candidates.length} candidates but ${results.length} results`);
      }
      const iteration = state.iteration + 1;
      const batch: Evaluation[] = candidates.map((c, i) => {
        const r = results[i]!;
        return {
          ...c,
          valAcc: r.valAcc,
          ...(r.testAcc !== undefined ? { testAcc: r.testAcc } : {}),
          cost: r.cost,
          feasible: meetsConstraint(r.cost, config.constraint),
          iteration,
        };
      });
      return { ...state, iteration, evaluated: state.evaluated.concat(batch), failedInARow: batch.length > 0 ? 0 : state.failedInARow };
    },

    recordFailures(state, failures) {
      if (failures.length === 0) return state;
      return {
        ...state,
        failed: state.failed.concat(failures.map((f) => ({ ...f.candidate, error: f.error, iteration: state.iteration }))),
        failedInARow: state.failedInARow + failures.length,
      };
    },

    async observe(state, batch, ports = {}) {
      const rng = new Rng(state.rng);
      const next = await strategy.observe(state.strategy, batch.map(observe), context(state, rng, ports));
      return { ...state, rng: rng.state(), strategy: next };
    },

    stopReason(state) {
      const top = best(state);
      if (config.targetAccuracy !== undefined && top && top.valAcc >= config.targetAccuracy) return 'target';
      if (remaining(state) === 0) return 'budget';
      if (state.failedInARow >= config.evaluation.maxFailuresInARow) return 'failing';
      const own = strategy.stopReason?.(state.strategy, state);
      if (own) return own;
      if (state.exhausted) return 'exhausted';
      return undefined;
    },

    summarize: (state, reason) => summarize(config, state, reason, strategy.report?.(state.strategy)),

    report: (state) => strategy.report?.(state.strategy),
  };
}

/**
 * Runs a whole search in this process (benchmarks, tests): each batch
 * evaluated in parallel by `evaluate`; an LLM strategy gets its LLM through `ports.llm`.
 */
export async function runSearch(
  config: SearchConfig,
  evaluate: (candidate: Candidate) => EvalResult | Promise<EvalResult>,
  ports: SearchIo = {},
): Promise<SearchResult> {
  const engine = createEngine(config);
  let state = engine.init();
  for (;;) {
    const reason = engine.stopReason(state);
    if (reason) return engine.summarize(state, reason);
    const proposed = await engine.propose(state, ports);
    state = proposed.state;
    if (proposed.candidates.length === 0) continue;
    const before = state.evaluated.length;
    state = engine.record(state, proposed.candidates, await Promise.all(proposed.candidates.map(evaluate)));
    if (engine.stopReason(state) === undefined) state = await engine.observe(state, state.evaluated.slice(before), ports);
  }
}
