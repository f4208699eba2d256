/**
 * EVAL_DEVICES against the machine: both eval workers refuse, before they
 * connect, a CUDA device the machine lacks, naming it and what the machine
 * has; the Python worker fails an evaluation that hits a device error for
 * good, naming the device. The machine is stood in for by probes, and also
 * asked for real: on one without GPUs (as CI) every cuda device is refused.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { checkCudaDevices, parseNvidiaSmi, probeCudaDevices, type CudaProbe, type GpuSources, type PhysicalGpu } from '../src/workers/devices';
import { TABLE_PATH } from './helpers';

const H200: CudaProbe = { devices: [{ label: 'cuda:0', name: 'NVIDIA H200' }], source: 'nvidia-smi' };
const NONE: CudaProbe = { devices: [], source: 'no NVIDIA driver found' };
const ONE_GPU_REFUSAL = 'EVAL_DEVICES: cuda:7 is not on this machine: it has 1 CUDA device (cuda:0, NVIDIA H200)';
const PYTHON = resolve('.tools/python/bin/python');

function refusal(devices: string[], probe: () => CudaProbe): string | undefined {
  try {
    checkCudaDevices(devices, probe);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

test('a CUDA device the machine lacks is refused, naming it and what the machine has', () => {
  assert.equal(refusal(['cuda:0', 'cuda:7'], () => H200), ONE_GPU_REFUSAL);
  assert.equal(refusal(['cuda:0', 'cuda', 'cpu'], () => H200), undefined);
  assert.equal(refusal(['cuda'], () => NONE), 'EVAL_DEVICES: cuda is not on this machine: it has no CUDA device (no NVIDIA driver found)');
  assert.equal(refusal(['cuda:0'], () => NONE), 'EVAL_DEVICES: cuda:0 is not on this machine: it has no CUDA device (no NVIDIA driver found)');
  assert.equal(refusal(['cuda:one'], () => H200), 'EVAL_DEVICES: cuda:one is not a CUDA device; write cuda:<index>, e.g. cuda:0');
  const two = { devices: [...H200.devices, { label: 'cuda:1', name: 'NVIDIA H200' }], source: 'nvidia-smi' };
  assert.match(refusal(['cuda:2'], () => two)!, /it has 2 CUDA devices \(cuda:0, NVIDIA H200; cuda:1, NVIDIA H200\)$/);
  // Other labels are slot names: the machine is not even asked.
  const unprobed = (): CudaProbe => assert.fail('probed for devices that are not CUDA devices');
  assert.equal(refusal(['cpu', 'cpu', 'slot:3', 'onnx:cuda', 'cuda0'], unprobed), undefined);
});

test('the probe reads nvidia-smi (else /proc) and numbers GPUs as CUDA_VISIBLE_DEVICES makes CUDA do', () => {
  const gpus = parseNvidiaSmi('0, NVIDIA A100-SXM4-80GB, GPU-aaaa-1111\n1, NVIDIA H200, GPU-bbbb-2222\n');
  assert.deepEqual(gpus[1], { index: 1, name: 'NVIDIA H200', uuid: 'GPU-bbbb-2222' });
  const sources = (smi: PhysicalGpu[] | string | undefined, proc?: PhysicalGpu[]): GpuSources => ({ nvidiaSmi: () => smi, procGpus: () => proc });
  const labels = (visible: string | undefined, s = sources(gpus)) =>
    probeCudaDevices(visible === undefined ? {} : { CUDA_VISIBLE_DEVICES: visible }, s).devices.map((d) => `${d.label} ${d.name}`);
  assert.deepEqual(labels(undefined), ['cuda:0 NVIDIA A100-SXM4-80GB', 'cuda:1 NVIDIA H200']);
  assert.deepEqual(labels('1'), ['cuda:0 NVIDIA H200']);
  assert.deepEqual(labels('GPU-bbbb,0'), ['cuda:0 NVIDIA H200', 'cuda:1 NVIDIA A100-SXM4-80GB']);
  assert.deepEqual(labels('0,7,1'), ['cuda:0 NVIDIA A100-SXM4-80GB'], 'CUDA ignores the list from a bad entry on');
  assert.deepEqual(labels(''), []);
  assert.deepEqual(labels('MIG-1234'), ['cuda:0 MIG instance MIG-1234']);
  assert.deepEqual(labels(undefined, sources(undefined, gpus.slice(1))), ['cuda:0 NVIDIA H200']);
  assert.equal(probeCudaDevices({ CUDA_VISIBLE_DEVICES: '1' }, sources(gpus)).source, 'nvidia-smi, CUDA_VISIBLE_DEVICES=1');
  assert.deepEqual(probeCudaDevices({}, sources('nvidia-smi failed: NVIDIA-SMI has failed')), { devices: [], source: 'nvidia-smi failed: NVIDIA-SMI has failed' });
  assert.match(probeCudaDevices({}, sources(undefined)).source, /^no NVIDIA driver found/);
});

/** A device this machine lacks, whatever it has: cuda:7 unless it has 8 or more. */
function absentDevice(): { device: string; found: CudaProbe } {
  const found = probeCudaDevices();
  return { device: `cuda:${Math.max(7, found.devices.length)}`, found };
}

test("this machine's own probe: a device past its last is refused (on a GPU-less machine, cuda:0 too)", () => {
  const { device, found } = absentDevice();
  assert.match(refusal([device], () => found)!, new RegExp(`^EVAL_DEVICES: ${device} is not on this machine: it has `));
  if (found.devices.length === 0) assert.match(refusal(['cuda:0'], () => found)!, /it has no CUDA device \(.+\)$/);
  else assert.equal(refusal(['cuda:0'], () => found), undefined);
});

/** A TCP port nothing listens on: a worker that tried to connect would fail with a connection error. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

/** Runs a worker process to its exit; resolves to its exit code and output. */
async function runWorker(command: string, args: string[], devices: string): Promise<{ code: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_ADDRESS: `127.0.0.1:${await closedPort()}`, EVAL_DEVICES: devices, NB201_TABLE: TABLE_PATH };
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  clearTimeout(timer);
  return { code, output };
}

const WORKERS = {
  typescript: () => [process.execPath, ['--import', 'tsx', 'src/workers/eval.ts']] as const,
  python: () => {
    if (!existsSync(PYTHON)) assert.fail(`the Python eval worker's environment is missing (${PYTHON}); create it with: bash scripts/python-env.sh`);
    return [PYTHON, ['-m', 'collm_eval']] as const;
  },
};

for (const [kind, command] of Object.entries(WORKERS)) {
  test(`the ${kind} eval worker stops at start-up on a CUDA device the machine lacks, before connecting`, async () => {
    const [cmd, args] = command();
    const { device } = absentDevice();
    const refused = await runWorker(cmd, [...args], `cpu,${device}`);
    assert.equal(refused.code, 1, refused.output);
    assert.match(refused.output, new RegExp(`EVAL_DEVICES: ${device} is not on this machine: it has (no CUDA device|\\d+ CUDA devices?) \\(`));
    assert.doesNotMatch(refused.output, /connect|transport/i, 'it must not have tried to connect');
    // The same worker with CPU slots gets past the check, to the closed port.
    const connecting = await runWorker(cmd, [...args], 'cpu,cpu');
    assert.equal(connecting.code, 1, connecting.output);
    assert.match(connecting.output, /Connection refused|connect/i);
    assert.doesNotMatch(connecting.output, /EVAL_DEVICES/);
  });
}

test('the Python worker: the same refusals, and device errors fail evaluations for good, naming the device', async () => {
  const { code, output } = await new Promise<{ code: number | null; output: string }>((done) => {
    const child = spawn(WORKERS.python()[0], ['-m', 'collm_eval.selftest_devices'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (c) => done({ code: c, output: c === 0 ? out : err }));
  });
  assert.equal(code, 0, `collm_eval.selftest_devices failed:\n${output}`);
  type Failure = { type: string; message: string; nonRetryable: boolean };
  const report = JSON.parse(output) as { startup: Record<string, string>; failures: Record<string, Failure> };
  assert.equal(report.startup.oneGpu, ONE_GPU_REFUSAL, 'the Python worker says what the TypeScript one says');
  assert.equal(report.startup.noGpu, refusal(['cuda'], () => NONE));
  for (const name of ['acceleratorError', 'invalidOrdinal', 'noDriver', 'cpuOnlyTorch', 'noGpus']) {
    const f = report.failures[name]!;
    assert.equal(f.type, 'DeviceError', name);
    assert.equal(f.nonRetryable, true, name);
    assert.match(f.message, /^eval worker .+, device cuda:3: /, name);
  }
  assert.match(report.failures.invalidOrdinal!.message, /device cuda:3: CUDA error: invalid device ordinal \(/);
  assert.deepEqual([report.failures.outOfMemory!.type, report.failures.outOfMemory!.nonRetryable], ['DeviceOutOfMemory', false]);
  assert.deepEqual(report.failures.other, { type: 'RuntimeError', message: 'loss is NaN', nonRetryable: false });
});
