import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

// scripts/setup-test.sh installs what npm test needs beyond npm packages
// (Chromium, docker-compose) or stops with what to install. Run here with a
// PATH of our making, so that what is "installed" is what the test says.
function run(env: Record<string, string>, tools: Record<string, string> = {}): { code: number | null; stderr: string; stdout: string } {
  const bin = mkdtempSync(join(tmpdir(), 'setup-test-bin-'));
  try {
    symlinkSync('/usr/bin/dirname', join(bin, 'dirname'));
    for (const [name, body] of Object.entries(tools)) {
      writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
      chmodSync(join(bin, name), 0o755);
    }
    // Prometheus is there unless a test says otherwise (PROMETHEUS_BIN: '').
    const r = spawnSync('/bin/bash', ['scripts/setup-test.sh'], { env: { PATH: bin, PROMETHEUS_BIN: '/bin/true', ...env }, encoding: 'utf8' });
    return { code: r.status, stderr: r.stderr, stdout: r.stdout };
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
}

test('setup-test: a missing tool stops npm test with what to install, never a skipped test', () => {
  const r = run({ COLLM_NO_APT: '1', CHROMIUM_PATH: '/bin/true' });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /npm test needs what is missing here: docker-compose/);
  assert.match(r.stderr, /apt-get install docker-compose/);
  assert.match(r.stderr, /COLLM_NO_APT is set/);
  assert.doesNotMatch(r.stderr, /chromium:/, 'Chromium is there: not asked for');

  const both = run({ COLLM_NO_APT: '1', CHROMIUM_PATH: '/nonexistent/chromium' });
  assert.equal(both.code, 1);
  assert.match(both.stderr, /CHROMIUM_PATH=\/nonexistent\/chromium is not an executable file/);
});

test('setup-test: without apt-get rights it advises instead of installing', () => {
  // An apt-get that would succeed if called; not root and no sudo, so it must not be.
  const r = run({ CHROMIUM_PATH: '/bin/true' }, { 'apt-get': 'echo called >&2; exit 0', id: 'echo 1000' });
  assert.equal(r.code, 1);
  assert.doesNotMatch(r.stderr, /called/);
  assert.match(r.stderr, /apt-get needs root or password-less sudo here/);
});

test('setup-test: the LLM servers need CMake and a C++ compiler', () => {
  const r = run({ COLLM_NO_APT: '1', CHROMIUM_PATH: '/bin/true' }, { 'docker-compose': 'exit 0' });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /npm test needs what is missing here: .*cmake g\+\+/);
  assert.match(r.stderr, /apt-get install cmake g\+\+/);
});

test('setup-test: nothing to do when Chromium, docker-compose, CMake and the built LLM servers are there', () => {
  const r = run({ COLLM_NO_APT: '1', CHROMIUM_PATH: '/bin/true' }, { 'docker-compose': 'exit 0', cmake: 'exit 0', 'g++': 'exit 0' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout + r.stderr, '');
});

test('setup-test: the metrics test needs Prometheus', () => {
  const r = run({ COLLM_NO_APT: '1', CHROMIUM_PATH: '/bin/true', PROMETHEUS_BIN: '' }, { 'docker-compose': 'exit 0', cmake: 'exit 0', 'g++': 'exit 0' });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /npm test needs what is missing here: prometheus$/m);
  assert.match(r.stderr, /apt-get install prometheus/);
  const wrong = run({ COLLM_NO_APT: '1', CHROMIUM_PATH: '/bin/true', PROMETHEUS_BIN: '/nonexistent/prometheus' });
  assert.match(wrong.stderr, /PROMETHEUS_BIN=\/nonexistent\/prometheus is not an executable file/);
});
