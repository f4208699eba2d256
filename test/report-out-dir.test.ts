import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ensureOutDir } from '../src/report';

test('report --out: a file in the way or a kernel file system is refused with what to do; a new folder is made', () => {
  const dir = mkdtempSync(join(tmpdir(), 'outdir-'));
  try {
    const file = join(dir, 'taken');
    writeFileSync(file, 'x');
    assert.throws(() => ensureOutDir(file), /--out: .*taken is a file, not a folder; name a folder/);
    assert.throws(() => ensureOutDir(join(file, 'sub')), /taken is a file, so .*sub cannot be made under it/);
    assert.throws(() => ensureOutDir('/proc/collm-report'), /is on a kernel file system \(\/proc\)/);
    const made = ensureOutDir(join(dir, 'a', 'b'));
    assert.ok(statSync(made).isDirectory());
    assert.equal(ensureOutDir(made), made, 'an existing folder is fine');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('report --out on a file: exit 2 with the message, before any server is asked (no raw EEXIST)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'outdir-'));
  try {
    const file = join(dir, 'taken.html');
    writeFileSync(file, 'x');
    const r = spawnSync('bin/collm-nas', ['report', 'some-search', '--out', file], { env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1' }, encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /--out: .*taken\.html is a file, not a folder/);
    assert.doesNotMatch(r.stderr, /EEXIST/);
    const proc = spawnSync('bin/collm-nas', ['report', 'some-search', '--out', '/proc/collm/x'], { env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1' }, encoding: 'utf8', timeout: 30_000 });
    assert.equal(proc.status, 2, proc.stderr);
    assert.ok(!existsSync('/proc/collm'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
