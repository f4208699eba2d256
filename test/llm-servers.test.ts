import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { startSearch } from '../src/client/search';
import { fetchRuns } from '../src/report';
import { readRuns } from '../src/client/history';
import { endpointFacts } from '../src/llm/openai/endpoint';
import type { CollmStats } from '../src/search/strategies/collm';
import type { SearchResult } from '../src/search/summary';
import { parseNb201 } from '../src/spaces/nb201';
import { inProcessWorkers, queues, uniqueId, useTemporal } from './helpers';
import { MODEL_ALIAS, startServer, type RunningServer, type ServerKind } from '../scripts/llm-servers';

// The embedded SmolLM2-135M GGUF served by the two real OpenAI-compatible
// servers the set-up builds (llama.cpp's llama-server, llama-cpp-python's
// server), driving a real collm search on the real Temporal server.
const env = useTemporal();

/** The structured-output mode `auto` must settle on for each server. */
const EXPECTED_MODE: Record<ServerKind, string> = {
  // /props identifies llama.cpp: the compact grammar, answers without whitespace.
  'llama-server': 'grammar',
  // Refuses json_schema (a 500 whose message says so), takes json_object with its schema.
  'llama-cpp-python': 'json_object',
};

for (const kind of ['llama-server', 'llama-cpp-python'] as const) {
  describe(kind, () => {
    let server: RunningServer | undefined;
    after(async () => server?.stop());

    test(`collm through ${kind}: no failed Generator call, no answer past its bound, LLM proposals evaluated`, async (t) => {
      server = await startServer(kind);
      const q = queues(`srv-${kind}`);
      const workers = await inProcessWorkers(env.native, q);
      const id = uniqueId(`srv-${kind}`);
      const result = await workers.run(async () => {
        const handle = await startSearch(
          env.client,
          {
            budget: 30,
            batchSize: 10,
            seed: 7,
            dataset: 'cifar100',
            strategy: 'collm',
            llm: { provider: 'openai', baseUrl: server!.baseUrl, model: MODEL_ALIAS, temperature: 0.8, roles: { navigator: { maxTokens: 120 } } },
            evaluation: { taskQueue: q.eval },
          },
          { taskQueue: q.control, workflowId: id },
        );
        return (await handle.result()) as SearchResult;
      });
      assert.equal(result.evaluated, 30);
      for (const e of result.history) assert.doesNotThrow(() => parseNb201(e.arch));

      assert.equal(endpointFacts(server.baseUrl, MODEL_ALIAS)?.mode, EXPECTED_MODE[kind]);

      const records = readRuns(await fetchRuns(env.client, id));
      const generator = records.filter((r) => (r.kind === 'llm' || r.kind === 'llm-failed') && r.call.purpose === 'generator');
      assert.ok(generator.length >= 3, `${generator.length} Generator calls`);
      for (const r of generator) {
        assert.equal(r.kind, 'llm', `a Generator call failed: ${r.kind === 'llm-failed' ? r.error : ''}`);
        assert.equal(r.attempts, 1, 'no Generator call needed another attempt');
        if (r.kind !== 'llm') continue;
        assert.ok(r.response.tokensOut <= r.call.request.maxTokens!, `an answer of ${r.response.tokensOut} tokens, bound ${r.call.request.maxTokens}`);
      }
      const stats = result.stats as unknown as CollmStats;
      assert.equal(stats.llmFailures, 0);
      const fromLlm = result.history.filter((e) => e.origin === 'llm' || e.origin === 'llm-repair').length;
      assert.ok(fromLlm > 0, 'some evaluated architectures are the LLM\'s');
      const tokens = generator.map((r) => (r.kind === 'llm' ? r.response.tokensOut : 0));
      const seconds = generator.reduce((sum, r) => sum + (r.kind === 'llm' ? r.response.latencyMs : 0), 0) / generator.length / 1000;
      t.diagnostic(
        `${kind}: mode ${EXPECTED_MODE[kind]}; ${generator.length} Generator calls, ${seconds.toFixed(1)} s each, tokens per answer ${Math.min(...tokens)}-${Math.max(...tokens)}; ` +
          `${fromLlm}/30 from the LLM; illegal ${stats.illegal}, duplicate ${stats.duplicate}, invalid JSON ${stats.invalidJson}; best ${result.best?.valAcc}`,
      );
    });
  });
}
