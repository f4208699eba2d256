/**
 * `python -m collm_eval.gpucheck` (python/collm_eval/gpucheck.py) compares the
 * evaluator's FLOPs and params with the cost model's figures in
 * test/fixtures/ofa-subnet-costs.json. CI has no PyTorch, so here: the
 * fixture holds exactly what `collm-nas cost` prints today (it cannot drift
 * from the cost model), and without PyTorch the check says it cannot run,
 * how to fix that, and exits with its own code.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { costOf } from '../src/client/offline';
import { getSpace } from '../src/spaces';

interface FixtureSubnet {
  name: string;
  space: string;
  arch: string;
  flopsM: number;
  paramsM: number;
  publishedMflops?: number;
}

const FIXTURE = resolve('test/fixtures/ofa-subnet-costs.json');
const PYTHON = resolve('.tools/python/bin/python');
const CANNOT_RUN = 3;

function fixture(): FixtureSubnet[] {
  return (JSON.parse(readFileSync(FIXTURE, 'utf8')) as { subnets: FixtureSubnet[] }).subnets;
}

test('the fixture holds what `collm-nas cost` prints for each subnet', () => {
  const subnets = fixture();
  assert.deepEqual([...new Set(subnets.map((s) => s.space))].sort(), ['ofa-mbv3-w10', 'ofa-mbv3-w12'], 'both ofa-mbv3 spaces');
  for (const s of subnets) {
    // costOf is what the cost command runs; the CLI prints its fields as they are.
    const { flopsM, paramsM } = costOf(s.space, s.arch);
    assert.deepEqual({ flopsM: s.flopsM, paramsM: s.paramsM }, { flopsM, paramsM }, `${s.space} ${s.name}: regenerate with npx collm-nas cost --space ${s.space} --arch '${s.arch}' --json`);
    // The space's text, as a search writes it (r = 236 lies outside the searched list: cost only).
    const arch = JSON.parse(s.arch) as { r: number };
    if (arch.r !== 236) assert.equal(s.arch, getSpace(s.space).format(arch), `${s.name}: the space's text`);
    if (s.publishedMflops !== undefined) assert.ok(Math.abs(flopsM - s.publishedMflops) / s.publishedMflops < 0.02, `${s.name}: ${flopsM} vs published ${s.publishedMflops}`);
  }
});

test('the CLI prints the fixture figures', () => {
  const s = fixture()[0]!;
  const run = spawnSync(process.execPath, ['bin/collm-nas', 'cost', '--space', s.space, '--arch', s.arch, '--json'], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout), { space: s.space, dataset: 'imagenet', flopsM: s.flopsM, paramsM: s.paramsM });
});

test('without PyTorch, gpucheck says it cannot run and how to fix that, with its own exit code', () => {
  if (!existsSync(PYTHON)) assert.fail(`the Python eval worker's environment is missing (${PYTHON}); create it with: bash scripts/python-env.sh`);
  const env = { ...process.env };
  delete env.EVAL_DEVICES;
  // torch made unimportable in this interpreter (None in sys.modules), so the check runs alike
  // whether or not requirements-gpu.txt was installed into .tools/python.
  const noTorch = "import runpy, sys; sys.modules['torch'] = None; sys.argv = ['gpucheck', '--devices', 'cpu']; runpy.run_module('collm_eval.gpucheck', run_name='__main__')";
  const run = spawnSync(PYTHON, ['-c', noTorch], { encoding: 'utf8', env });
  assert.equal(run.status, CANNOT_RUN, run.stdout + run.stderr);
  assert.equal(
    run.stderr.trim(),
    "gpucheck: cannot run here: torch is not installed; install the GPU evaluators' packages: .tools/python/bin/pip install -r python/requirements-gpu.txt",
  );
  assert.ok(existsSync(resolve('python/requirements-gpu.txt')), 'the file the advice names');
});
