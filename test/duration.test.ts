import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { durationProblem, durationSchema, formatDuration, parseDuration } from '../src/lib/duration';

// One reading of durations for the config, the command evaluator and the
// CLI, in Temporal's grammar; one way of printing them.

test('every duration the config took before (digits, optional decimals, ms|s|m|h|d) reads the same', () => {
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  fc.assert(
    fc.property(fc.stringMatching(/^\d{1,6}(\.\d{1,3})?$/), fc.constantFrom(...(Object.keys(unit) as (keyof typeof unit)[])), (n, u) => {
      assert.equal(durationProblem(`${n}${u}`), undefined);
      assert.equal(parseDuration(`${n}${u}`), Number(n) * unit[u]);
    }),
    { numRuns: 500 },
  );
  assert.equal(parseDuration('1.5h'), 5_400_000);
  assert.equal(parseDuration('0s'), 0);
});

test('Temporal reads more: unit words, a space, weeks; a bare number, a negative one or anything else is refused', () => {
  assert.equal(parseDuration('1 day'), 86_400_000);
  assert.equal(parseDuration('2 hours'), 7_200_000);
  assert.equal(parseDuration('1w'), 7 * 86_400_000);
  assert.equal(parseDuration('90S'), 90_000);
  assert.match(durationProblem('30')!, /must be a duration with its unit, such as "30s", "10m" or "2h"/);
  assert.match(durationProblem('-1h')!, /must be a duration of 0 or more/);
  for (const bad of ['', 'abc', '1.5.h', '1e3s', '10 parsecs', ' 1h', '1h30m']) assert.match(durationProblem(bad)!, /^must be a duration such as "30s", "10m" or "2h"$/, bad);
  assert.throws(() => parseDuration('10 parsecs'), /^Error: '10 parsecs' is not a duration such as "30s", "10m" or "2h"$/);
  const parsed = durationSchema.safeParse('soon');
  assert.equal(parsed.success, false);
  assert.equal(parsed.error?.issues[0]?.message, 'must be a duration such as "30s", "10m" or "2h"');
  assert.equal(durationSchema.parse('1.5h'), '1.5h', 'the text is kept as written');
});

test('formatDuration: exact, largest unit first; or a few units, rounded, for an ETA', () => {
  const exact: [number, string][] = [
    [0, '0ms'],
    [1500, '1s 500ms'],
    [600_000, '10m'],
    [5_400_000, '1h 30m'],
    [3_630_000, '1h 00m 30s'],
    [86_400_000, '1d'],
    [90_061_001, '1d 01h 01m 01s 001ms'],
  ];
  for (const [ms, text] of exact) assert.equal(formatDuration(ms), text);
  const eta = (ms: number) => formatDuration(ms, { units: 2, smallest: 's' });
  const rounded: [number, string][] = [
    [400, '0s'],
    [45_000, '45s'],
    [59_600, '1m 00s'],
    [90_000, '1m 30s'],
    [3_570_000, '59m 30s'],
    [3_599_700, '1h 00m'],
    [7_380_000, '2h 03m'],
    [86_370_000, '1d 00h'],
  ];
  for (const [ms, text] of rounded) assert.equal(eta(ms), text, String(ms));
  // Each unit it prints exactly reads back with parseDuration, and they add up to the figure.
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 400 * 86_400_000 }), (ms) => {
      const total = formatDuration(ms).split(' ').reduce((sum, part) => sum + parseDuration(part), 0);
      assert.equal(total, ms);
    }),
  );
});
