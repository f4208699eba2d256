import type { Rng } from '../../../lib/rng';
import { LlmUnavailable, type ChatResponse, type LlmPort } from '../../../llm/types';
import { topK } from '../../summary';
import type { ObserveContext, Proposal, ProposeContext, Strategy, StrategySetup } from '../types';
import type { Observation, SearchState } from '../../types';
import { checkGenerated } from './answers';
import { fillWithMutations } from './fill';
import { generatorCall, rememberGenerator, retryCall } from './generator';
import { acceptFix, acceptNavigator, acceptSummary, fixCall, navigatorCall, summaryCall } from './navigator';
import type { CollmOptions, CoordinatorSwitches } from './options';
import { acceptRanking, pickRanked, rankCall } from './rank';
import { coordinatorSwitches, initCollm, proposalCounts, type Collm, type CollmState } from './state';

/**
 * CoLLM-NAS as a strategy: the Coordinator's pure functions decide, the LLM
 * port (the `llmChat` activity in a workflow, any function elsewhere) answers.
 * Each iteration: the Generator turns the Navigator's strategy into candidates,
 * the Coordinator checks them, asks once more with the errors, and fills what
 * is still missing with mutations of the best; after the batch is evaluated,
 * the Navigator reads the results and revises its strategy.
 */
export function createCollm(options: CollmOptions, setup: StrategySetup): Strategy<CollmState> {
  const { navigator, generator } = setup.config.llm;
  if (!navigator || !generator) throw new Error('strategy collm: the resolved config has no LLM for the navigator and generator roles');
  const collmSetup: Collm = { config: setup.config, options, space: setup.space, navigator, generator };

  const portOf = (ctx: { llm?: LlmPort }): LlmPort => {
    if (!ctx.llm) throw new Error('strategy collm needs an LLM: pass an LLM port (in a workflow, the llmChat activity)');
    return ctx.llm;
  };

  async function navigate(state: CollmState, search: SearchState, batch: readonly Observation[], ctx: ObserveContext): Promise<CollmState> {
    const llm = portOf(ctx);
    state = { ...state, pendingHints: [...state.pendingHints, ...ctx.takeHints()] };
    const summary = summaryCall(collmSetup, state);
    if (summary) state = acceptSummary(state, await llm(summary));
    const turn = navigatorCall(collmSetup, search, state, batch);
    state = acceptNavigator(turn.state, await llm(turn.call));
    const fix = fixCall(collmSetup, state);
    return fix ? acceptFix(state, await llm(fix)) : state;
  }

  /** The Generator's candidates (and the Navigator's first plan): pushed into `out` as they are accepted. */
  async function generate(held: { state: CollmState }, ctx: ProposeContext, count: number, out: Proposal[]): Promise<void> {
    const llm = portOf(ctx);
    if (held.state.strategy === undefined) held.state = await navigate(held.state, ctx.search, [], ctx);
    const before = held.state.stats;
    // Asked for more than needed, the first new ones are kept.
    const first = generatorCall(collmSetup, ctx.search, held.state, Math.max(count, options.generatorCandidates ?? 0));
    const answer = await llm(first.call);
    const repair = repairOf(coordinatorSwitches(held.state).repairDuplicates, ctx);
    let checked = checkGenerated(collmSetup, answer, ctx.claims, count, held.state.stats, 'llm', first.read, repair);
    held.state = rememberGenerator(collmSetup, { ...held.state, stats: checked.stats }, first.messages, answer);
    out.push(...checked.accepted);
    held.state = { ...held.state, lastProposals: proposalCounts(before, held.state.stats) };
    if (out.length >= count) return;
    // One more try, told exactly what was wrong.
    const short = count - out.length;
    const second = await llm(retryCall(collmSetup, first.call, answer, checked.errors, short, held.state, first.item));
    checked = checkGenerated(collmSetup, second, ctx.claims, short, { ...held.state.stats, retries: held.state.stats.retries + 1 }, 'llm-retry', first.read, repair);
    held.state = { ...held.state, stats: checked.stats, lastProposals: proposalCounts(before, checked.stats) };
    out.push(...checked.accepted);
  }

  /** How the version repairs repeats: not at all, every one, or only repeats of the fill's parents (the best). */
  function repairOf(mode: CoordinatorSwitches['repairDuplicates'], ctx: ProposeContext): { rng: Rng; only?: readonly { key: string }[] } | undefined {
    if (!mode) return undefined;
    if (mode !== 'best') return { rng: ctx.rng };
    return { rng: ctx.rng, only: topK(ctx.search, options.fill.parents) };
  }

  /**
   * An LLM failure that may pass is ridden out (the fill takes over) unless
   * the search says fail; a refused request too, until maxLlmRefusals in a
   * row; any other ends the search.
   */
  function rideOut(state: CollmState, err: unknown): CollmState {
    if (!(err instanceof LlmUnavailable)) throw err;
    const refusals = err.kind === 'refused' ? (state.llmRefusalsInARow ?? 0) + 1 : 0;
    const givingUp = refusals >= options.maxLlmRefusals;
    if (options.onLlmFailure === 'fail' && (err.kind === 'transient' || givingUp)) {
      throw givingUp ? new LlmUnavailable(`${refusals} LLM requests refused in a row (maxLlmRefusals), the last: ${err.message}`) : err;
    }
    const field = err.kind === 'refused' ? 'llmFailuresRefused' : 'llmFailuresTransient';
    const next: CollmState = {
      ...state,
      stats: { ...state.stats, llmFailures: state.stats.llmFailures + 1, [field]: (state.stats[field] ?? 0) + 1 },
      lastLlmFailure: `${err.kind}: ${err.message}`.slice(0, 300),
      llmRefusalsInARow: refusals,
    };
    return givingUp ? { ...next, llmGivenUp: `the LLMs were given up after ${refusals} refused requests in a row` } : next;
  }

  /** A step that reached the LLM and got its answers: refusals no longer run in a row. */
  const answered = (state: CollmState): CollmState => (state.llmRefusalsInARow ? { ...state, llmRefusalsInARow: 0 } : state);

  const llmsWanted = options.llms === 'on';

  return {
    init: () => initCollm(options),

    async propose(state, ctx: ProposeContext, batch) {
      const llmsOn = llmsWanted && !state.llmGivenUp;
      // With ranking, a larger pool is built and the LLM picks the batch from it.
      const ranking = llmsOn && options.rankPool > batch;
      const count = ranking ? options.rankPool : batch;
      let candidates: Proposal[] = [];
      // Counts for the Navigator are this iteration's only: none until the Generator answers.
      const { lastProposals: _previous, ...fresh } = state;
      state = fresh;
      if (llmsOn) {
        const held = { state };
        try {
          await generate(held, ctx, count, candidates);
          state = answered(held.state);
        } catch (err) {
          // What was accepted before the failure stays; the fill does the rest.
          state = rideOut(held.state, err);
        }
      }
      if (candidates.length < count) {
        const fill = fillWithMutations(collmSetup, ctx.search, ctx.claims, count - candidates.length, ctx.rng);
        state = { ...state, stats: { ...state.stats, mutationFilled: state.stats.mutationFilled + fill.length } };
        candidates.push(...fill);
      }
      if (ranking && candidates.length > batch) {
        let answer: ChatResponse | undefined;
        try {
          answer = await portOf(ctx)(rankCall(collmSetup, ctx.search, state, candidates, batch));
          state = answered(acceptRanking(state, answer));
        } catch (err) {
          state = rideOut(state, err);
        }
        const picked = pickRanked(candidates, batch, answer);
        if (answer && picked.every((c, i) => c === candidates[i])) {
          state = { ...state, stats: { ...state.stats, rankKeptOrder: (state.stats.rankKeptOrder ?? 0) + 1 } };
        }
        // What was not picked goes back: it was never evaluated and may be proposed again.
        for (const c of candidates) if (!picked.includes(c)) ctx.claims.release(c.arch);
        candidates = picked;
      }
      // Checked candidates are new, legal, feasible and claimed: the engine keys and formats them.
      return { state, proposals: candidates };
    },

    async observe(state, batch, ctx) {
      if (!llmsWanted || state.llmGivenUp) return state;
      try {
        return answered(await navigate(state, ctx.search, batch, ctx));
      } catch (err) {
        // The Navigator keeps its previous strategy.
        return rideOut(state, err);
      }
    },

    stopReason: (_state, search) =>
      options.maxIterations !== undefined && search.iteration >= options.maxIterations ? 'iterations' : undefined,

    report: (state) => ({
      promptVersion: state.promptVersion,
      llms: options.llms,
      ...state.stats,
      ...(state.lastLlmFailure ? { lastLlmFailure: state.lastLlmFailure } : {}),
      // A search whose LLM proposed nothing must not read as a collm result.
      ...(llmsWanted && (state.llmGivenUp || (state.stats.accepted === 0 && state.stats.llmFailures > 0))
        ? { llmContribution: `LLM contributed nothing${state.llmGivenUp ? `: ${state.llmGivenUp}` : ''}; every candidate is the fill's` }
        : {}),
    }),
  };
}
