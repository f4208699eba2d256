import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../src/config/load';
import { resolveSearchConfig } from '../src/config/resolve';
import { ConfigError } from '../src/search/config';

// The one guard on user JSON (src/lib/plain-json.ts), where the CLI and the workflow read it.
function withFile<T>(content: string, fn: (file: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'config-guard-'));
  try {
    writeFileSync(join(dir, 'c.json'), content);
    return fn(join(dir, 'c.json'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('--set refuses a path through __proto__, constructor or prototype and pollutes nothing', () => {
  withFile('{"budget": 10}', (file) => {
    for (const [set, path] of [
      ['__proto__.budget=7', '__proto__'],
      ['strategy.constructor.prototype.x=1', 'strategy.constructor'],
      ['evaluation.options.prototype=1', 'evaluation.options.prototype'],
    ]) {
      assert.throws(() => loadConfig(file, [set!]), new RegExp(`--set ${path!.replace(/\./g, '\\.')}: the key '\\w+' is not allowed`), set);
    }
    assert.equal(({} as Record<string, unknown>).budget, undefined, 'Object.prototype untouched');
    assert.throws(() => loadConfig(file, ['strategy..name=x']), /empty field name/);
    assert.deepEqual(loadConfig(file, ['strategy.name=evolution', 'seed=3']), { budget: 10, strategy: { name: 'evolution' }, seed: 3 });
  });
});

test('a __proto__ key in a config file is refused by the check every start path runs, naming where it is', () => {
  withFile('{"budget": 10, "strategy": {"name": "evolution", "__proto__": {"populationSize": 1}}}', (file) => {
    const config = loadConfig(file);
    assert.throws(() => resolveSearchConfig(config), (err: unknown) => err instanceof ConfigError && /strategy\.__proto__: the key '__proto__' is not allowed/.test(err.message));
  });
});

test('a config nested 10,000 levels deep is named as such, not as a cycle or a bigint', () => {
  let deep: unknown = 0;
  for (let i = 0; i < 10_000; i++) deep = [deep];
  assert.throws(
    () => resolveSearchConfig({ budget: 10, seedArchitectures: deep }),
    (err: unknown) => err instanceof ConfigError && /seedArchitectures(\.0)+: nested more than 32 levels deep/.test(err.message) && !/cycle|bigint/.test(err.message),
  );
  const cyclic: Record<string, unknown> = { budget: 10 };
  cyclic.self = cyclic;
  assert.throws(() => resolveSearchConfig(cyclic), /self: refers back to itself \(a cycle\)/);
  assert.throws(() => resolveSearchConfig({ budget: 10, seed: 10n }), /seed: bigint is not JSON/);
});
