import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveSearchConfig } from '../src/config/resolve';
import { Rng } from '../src/lib/rng';
import { DEFAULT_LOCAL_MODEL } from '../src/llm/local';
import { loadModel } from '../src/llm/local/runtime';
import type { ChatMessage, ChatResponse } from '../src/llm/types';
import { acceptNavigator, acceptSummary, collmOptions, initCollm, navigatorCall, summaryCall, type Collm } from '../src/search/strategies/collm';
import { createEngine } from '../src/search/search';

// With the embedded model's own tokenizer: a long search's Navigator turns, and
// the summaries that keep them short, fit the default 8k context on every
// space, however many tokens its architectures take (an OFA subnet's JSON is
// nearly all digits, a token each).
const answer = (text: string): ChatResponse => ({ text, model: 'm', tokensIn: 0, tokensOut: 0, latencyMs: 0 });

test('every Navigator and summary request of a 25-iteration search fits the embedded model\'s context', async () => {
  const { model } = await loadModel(DEFAULT_LOCAL_MODEL, { contextSize: 8192 });
  const tokens = (messages: readonly ChatMessage[]): number => messages.reduce((n, m) => n + model.tokenize(m.content).length + 8, 0);
  for (const space of ['nb201', 'ofa-mbv3-w12', 'autoformer-b']) {
    const config = resolveSearchConfig({ space, strategy: 'collm', budget: 250, evaluation: { evaluator: 'naswot' } });
    const engine = createEngine(config);
    const rng = Rng.fromSeed(2);
    const { name: _n, ...options } = config.strategy;
    const collmSetup: Collm = { config, options: collmOptions.parse(options), space: engine.space, navigator: config.llm.navigator!, generator: config.llm.generator! };
    let search = engine.init();
    let collm = initCollm(collmSetup.options);
    let summaries = 0;
    for (let i = 0; i < 25; i++) {
      const archs = Array.from({ length: 10 }, () => engine.space.sample(rng));
      const cands = [...new Map(archs.map((a) => [engine.space.key(a), { arch: engine.space.format(a), key: engine.space.key(a), origin: 'llm' as const }])).values()];
      search = engine.record(search, cands, cands.map((c) => ({ valAcc: 60 + rng.next() * 20, cost: engine.space.cost(engine.space.parse(c.arch), config.dataset) })));
      const summary = summaryCall(collmSetup, collm);
      if (summary) {
        summaries++;
        assert.ok(tokens(summary.request.messages) + summary.request.maxTokens! <= 8192, `${space}: summary ${i} ${tokens(summary.request.messages)} tokens`);
        collm = acceptSummary(collm, answer('y '.repeat(collmSetup.navigator.maxTokens)));
      }
      const turn = navigatorCall(collmSetup, search, collm, search.evaluated.slice(-cands.length));
      assert.ok(tokens(turn.call.request.messages) + turn.call.request.maxTokens! <= 8192, `${space}: turn ${i} ${tokens(turn.call.request.messages)} tokens`);
      // A long answer: as many tokens as the Navigator may write, of the digits it likes to quote.
      collm = acceptNavigator(turn.state, answer(`# SUMMARY\n${'3, 5, 7; '.repeat(collmSetup.navigator.maxTokens / 3)}`));
    }
    assert.ok(summaries > 0, `${space}: the conversation was summarised`);
  }
});
