/**
 * Property-based tests of everything that reads untrusted input: search
 * configs, architecture texts of every space, the Generator's answers and
 * steering hints. Whatever arrives is either accepted or refused with a
 * message that names what is wrong; nothing else is ever thrown. Pure:
 *   node --import tsx --test test/property.test.ts
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { checkHint } from '../src/client/steer';
import { ConfigError, resolveSearchConfig } from '../src/config/resolve';
import { Rng } from '../src/lib/rng';
import { extractJson, stripReasoning } from '../src/llm/json';
import type { ChatResponse } from '../src/llm/types';
import { checkGenerated, collmOptions, generatorCall, initCollm, type Collm } from '../src/search/strategies/collm';
import { coreConfigSchema } from '../src/search/config';
import { MAX_HINT_CHARS } from '../src/search/limits';
import { createClaims } from '../src/search/claims';
import { createEngine } from '../src/search/search';
import { STRATEGIES } from '../src/search/strategies';
import { ArchitectureError, SPACES, type SearchSpace } from '../src/spaces';

const RUNS = { numRuns: 150 };
const FIELDS = Object.keys(coreConfigSchema.shape);

/** Any JSON value, strings of any code points included. */
const json = fc.jsonValue({ maxDepth: 3 });
const text = fc.oneof(fc.string(), fc.string({ unit: 'binary', maxLength: 60 }));

/** Runs `fn`; a thrown value must be an instance of `allowed`, and is handed back. */
function outcome<T>(fn: () => T, allowed: new (...args: any[]) => Error): { value?: T; error?: Error } {
  try {
    return { value: fn() };
  } catch (err) {
    assert.ok(err instanceof allowed, `expected ${allowed.name} or a value, got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    return { error: err };
  }
}

/** Valid texts of a space, from seeded samples. */
const samples = (space: SearchSpace<unknown>) => fc.integer({ min: 0, max: 1_000_000 }).map((seed) => space.format(space.sample(Rng.fromSeed(seed))));

describe('search config parsing', () => {
  /** Configs near the real thing: known fields with values right or wrong, and strays. */
  const plausible = fc.record(
    {
      budget: fc.oneof(fc.integer({ min: -5, max: 2_000_000 }), json),
      space: fc.oneof(fc.constantFrom(...SPACES.names), json),
      dataset: fc.oneof(fc.constantFrom('cifar10', 'cifar100', 'imagenet16', 'imagenet', 'mnist'), json),
      strategy: fc.oneof(
        fc.constantFrom(...STRATEGIES.names),
        fc.record({ name: fc.oneof(fc.constantFrom(...STRATEGIES.names), json) }, { requiredKeys: [] }).chain((s) =>
          fc.dictionary(fc.constantFrom('populationSize', 'sampleSize', 'memory', 'generatorMode', 'rankPool', 'llms', 'x'), json).map((o) => ({ ...s, ...o })),
        ),
        json,
      ),
      llm: fc.oneof(
        fc.record(
          {
            provider: fc.oneof(fc.constantFrom('openai', 'local'), json),
            baseUrl: fc.oneof(fc.constantFrom('http://127.0.0.1:8000/v1', 'https://u:p@h.example/v1', 'https://h.example/v1?key=k', 'ftp://x'), fc.webUrl(), json),
            model: fc.oneof(fc.string(), json),
            apiKeyEnv: fc.oneof(fc.constantFrom('OPENAI_API_KEY', 'TEMPORAL_API_KEY', 'not a name'), json),
            temperature: fc.oneof(fc.double(), json),
            roles: fc.oneof(fc.dictionary(fc.constantFrom('navigator', 'generator', 'critic'), json), json),
          },
          { requiredKeys: [] },
        ),
        json,
      ),
      batchSize: fc.oneof(fc.integer({ min: -2, max: 2000 }), json),
      seed: fc.oneof(fc.integer(), fc.double(), json),
      targetAccuracy: fc.oneof(fc.double({ min: -10, max: 200 }), json),
      constraint: fc.oneof(
        fc.record({ metric: fc.oneof(fc.constantFrom('flops', 'params', 'latency'), json), max: fc.oneof(fc.double(), json), device: fc.oneof(fc.string(), json) }, { requiredKeys: [] }),
        json,
      ),
      seedArchitectures: fc.oneof(fc.array(fc.oneof(text, json), { maxLength: 5 }), json),
      evaluation: fc.oneof(
        fc.record(
          {
            evaluator: fc.oneof(fc.constantFrom('nb201-table', 'command', 'naswot', 'onnx-cost', 'nope'), json),
            options: fc.oneof(fc.dictionary(fc.constantFrom('argv', 'table', 'env', 'x'), json), json),
            maximumAttempts: fc.oneof(fc.integer(), json),
            startToCloseTimeout: fc.oneof(fc.constantFrom('30s', '10m', 'soon'), json),
          },
          { requiredKeys: [] },
        ),
        json,
      ),
      topK: fc.oneof(fc.integer({ min: -1, max: 200 }), json),
    },
    { requiredKeys: [] },
  );
  /** Valid configs of every space and strategy... */
  const valid = fc.constantFrom(...SPACES.list()).chain((space) =>
    fc.record(
      {
        budget: fc.integer({ min: 1, max: 500 }),
        space: fc.constant(space.name),
        dataset: fc.constantFrom(...space.datasets),
        strategy: fc.constantFrom('random', 'evolution', 'collm'),
        batchSize: fc.integer({ min: 1, max: 50 }),
        seed: fc.integer(),
        targetAccuracy: fc.double({ min: 0, max: 100, noNaN: true }),
        seedArchitectures: fc.array(samples(space), { maxLength: 3 }),
        topK: fc.integer({ min: 1, max: 100 }),
      },
      // The space's own datasets and seeds: without it they would be read as nb201's.
      { requiredKeys: ['budget', 'space'] },
    ),
  );
  /** ...with up to two fields replaced by anything at all, or a stray field added. */
  const corrupted = fc
    .tuple(valid, fc.array(fc.tuple(fc.constantFrom(...FIELDS, 'stray', 'batchsize'), json), { maxLength: 2 }))
    .map(([config, changes]) => ({ ...config, ...Object.fromEntries(changes) }) as Record<string, unknown>);
  const configs = fc.oneof(corrupted, plausible, json);
  test('any JSON: a resolved config, or a ConfigError whose every line names a field and says what is wrong', () => {
    fc.assert(
      fc.property(configs, (input) => {
        const { value, error } = outcome(() => resolveSearchConfig(input), ConfigError);
        if (value) {
          assert.ok(Number.isInteger(value.budget) && value.budget >= 1);
          assert.ok(SPACES.has(value.space) && SPACES.get(value.space).datasets.includes(value.dataset));
          return;
        }
        const problems = (error as ConfigError).problems;
        assert.ok(problems.length > 0);
        for (const p of problems) {
          const m = /^(\(config\)|[A-Za-z]+)(?:[.[][^:]*)?: (.+)$/s.exec(p);
          assert.ok(m, `not "field: message": ${p}`);
          assert.ok(m[1] === '(config)' || FIELDS.includes(m[1]!), `names no field of the config: ${p}`);
          // zod's own wording ("Invalid input", "Too big: expected number to be <=100") says too little.
          assert.doesNotMatch(m[2]!, /^(Invalid|Too (big|small)|Unrecognized)/, `zod's message, not ours: ${p}`);
        }
      }),
      // Found by this property once: a role named ':' used to break the field path.
      { ...RUNS, examples: [[{ strategy: 'collm', llm: { roles: { ':': null } } }]] },
    );
  });

  test('a config that resolves resolves again to the same thing from its own JSON', () => {
    fc.assert(
      fc.property(corrupted, (input) => {
        const first = outcome(() => resolveSearchConfig(input), ConfigError);
        if (!first.value) return;
        assert.deepEqual(resolveSearchConfig(JSON.parse(JSON.stringify(input))), first.value);
      }),
      RUNS,
    );
  });
});

/** A valid text with a few characters replaced, inserted or removed: the typos a person or an LLM makes. */
const edited = (space: SearchSpace<unknown>) =>
  fc.tuple(samples(space), fc.array(fc.tuple(fc.nat(), fc.constantFrom('replace', 'insert', 'delete'), fc.string({ minLength: 1, maxLength: 3 })), { minLength: 1, maxLength: 4 })).map(
    ([base, edits]) =>
      edits.reduce((s, [at, how, chars]) => {
        const i = s.length === 0 ? 0 : at % s.length;
        return how === 'delete' ? s.slice(0, i) + s.slice(i + 1) : how === 'insert' ? s.slice(0, i) + chars + s.slice(i) : s.slice(0, i) + chars + s.slice(i + 1);
      }, base),
  );

describe('architecture parsing, every space', () => {
  for (const space of SPACES.list()) {
    test(`${space.name}: any text parses to an architecture that formats back, or is an ArchitectureError`, () => {
      fc.assert(
        fc.property(fc.oneof(text, json.map((v) => JSON.stringify(v)), edited(space)), (input) => {
          const { value, error } = outcome(() => space.parse(input), ArchitectureError);
          if (error) {
            assert.ok(error.message.length > 0);
            return;
          }
          const formatted = space.format(value);
          assert.equal(space.format(space.parse(formatted)), formatted, 'format is a fixed point');
          assert.equal(space.key(space.parse(formatted)), space.key(value));
        }),
        RUNS,
      );
    });

    test(`${space.name}: any JSON is accepted or refused by the schema the Generator writes to, never thrown`, () => {
      fc.assert(
        fc.property(fc.oneof(json, samples(space).map((t) => JSON.parse(JSON.stringify(space.parse(t))) as unknown)), (value) => {
          const parsed = space.schema.safeParse(value);
          if (parsed.success) assert.doesNotThrow(() => space.parse(space.format(parsed.data)));
          else assert.ok(parsed.error.issues.length > 0);
        }),
        RUNS,
      );
    });
  }
});

const answer = (json: unknown, text = 'x'): ChatResponse => ({ text, ...(json !== undefined ? { json } : {}), model: 'm', tokensIn: 1, tokensOut: 1, latencyMs: 1 });

/** The Coordinator of a collm search on `space`, with `n` sampled architectures evaluated (results made up: no evaluator runs). */
function coordinator(space: SearchSpace<unknown>, mode: 'free' | 'edit', n: number) {
  const config = resolveSearchConfig({ budget: 100, space: space.name, strategy: { name: 'collm', generatorMode: mode }, seed: 1 });
  const engine = createEngine(config);
  const rng = Rng.fromSeed(7);
  const archs = Array.from({ length: n }, () => space.sample(rng));
  const cands = [...new Map(archs.map((a) => [space.key(a), { arch: space.format(a), key: space.key(a), origin: 'random' as const }])).values()];
  const state = engine.record(engine.init(), cands, cands.map((c, i) => ({ valAcc: 50 + i, cost: space.cost(space.parse(c.arch), config.dataset) })));
  const { name: _name, ...options } = config.strategy;
  const collmSetup: Collm = { config, options: collmOptions.parse(options), space, navigator: config.llm.navigator!, generator: config.llm.generator! };
  return { collmSetup, state, taken: new Set(state.evaluated.map((e) => e.key)) as ReadonlySet<string> };
}

describe("Generator answers (the Coordinator's checkGenerated)", () => {
  for (const space of SPACES.list()) {
    const modes = STRATEGIES.get('collm').unsupported?.(space, { generatorMode: 'edit' }) ? (['free'] as const) : (['free', 'edit'] as const);
    for (const mode of modes) {
      test(`${space.name}, ${mode} mode: any answer yields only legal, new, distinct candidates, and counts the rest`, () => {
        const { collmSetup, state, taken } = coordinator(space, mode, 6);
        const turn = generatorCall(collmSetup, state, initCollm(collmSetup.options), 4);
        const legal = samples(space).map((t) => JSON.parse(JSON.stringify(space.parse(t))) as unknown);
        const item = fc.oneof(json, legal, fc.record({ parent: fc.integer({ min: -1, max: 7 }), changes: json }, { requiredKeys: [] }));
        const answers = fc.oneof(
          json,
          fc.record({ candidates: fc.array(item, { maxLength: 8 }) }),
          fc.record({ candidates: json }),
          fc.constant(undefined),
        );
        fc.assert(
          fc.property(answers, fc.integer({ min: 0, max: 6 }), (json, want) => {
            const before = initCollm(collmSetup.options).stats;
            const claims = createClaims(space, taken);
            const r = checkGenerated(collmSetup, answer(json), claims, want, before, 'llm', turn.read);
            assert.ok(r.accepted.length <= want);
            const keys = new Set<string>();
            for (const c of r.accepted) {
              const key = space.key(c.arch);
              assert.equal(space.key(space.parse(space.format(c.arch))), key, 'a legal architecture');
              assert.ok(!taken.has(key), 'already evaluated');
              assert.ok(!keys.has(key), 'twice in one answer');
              assert.ok(claims.has(c.arch), 'claimed');
              keys.add(key);
            }
            const list = (json as { candidates?: unknown } | undefined)?.candidates;
            const shaped = json !== null && typeof json === 'object' && !Array.isArray(json) && Array.isArray(list);
            assert.equal(r.stats.invalidJson, shaped ? 0 : 1);
            if (shaped) {
              assert.equal(r.stats.generated, list.length);
              assert.ok(r.stats.illegal + r.stats.duplicate + r.stats.infeasible + r.accepted.length <= list.length + r.stats.repaired);
            }
            for (const e of r.errors) assert.match(e, /^candidates\[\d+\] |^the answer was not/);
          }),
          RUNS,
        );
      });
    }
  }

  test('answer text: reasoning is split off and JSON found or not, for any text; JSON text comes back as itself', () => {
    fc.assert(
      fc.property(fc.oneof(text, json.map((v) => `Sure!\n\`\`\`json\n${JSON.stringify(v)}\n\`\`\``), json.map((v) => `<think>${JSON.stringify(v)}</think>${JSON.stringify(v)}`)), (t) => {
        const { text: rest, reasoning } = stripReasoning(t);
        assert.equal(typeof rest, 'string');
        assert.ok(reasoning === undefined || typeof reasoning === 'string');
        extractJson(rest);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.oneof(fc.array(json, { minLength: 1 }), fc.dictionary(fc.string(), json, { minKeys: 1 })), (v) => {
        assert.deepEqual(extractJson(JSON.stringify(v)), JSON.parse(JSON.stringify(v)));
      }),
      RUNS,
    );
  });
});

describe('steering hints (checked by the client before the steer signal)', () => {
  test('any value: a trimmed, non-empty hint within the limit, or an Error that says what a hint must be', () => {
    fc.assert(
      fc.property(fc.oneof(json, fc.string({ maxLength: MAX_HINT_CHARS + 50 }), fc.string({ minLength: MAX_HINT_CHARS - 5, maxLength: MAX_HINT_CHARS + 5 })), (hint) => {
        const { value, error } = outcome(() => checkHint(hint), Error);
        if (error) {
          assert.match(error.message, /^steer: /);
          if (typeof hint === 'string' && hint.trim() !== '') assert.match(error.message, new RegExp(`more than the ${MAX_HINT_CHARS}`));
          return;
        }
        assert.equal(typeof hint, 'string');
        assert.equal(value, (hint as string).trim());
        assert.ok(value!.length > 0 && value!.length <= MAX_HINT_CHARS);
      }),
      RUNS,
    );
  });
});
