import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Which CUDA devices this machine has, so that an eval worker refuses an
 * EVAL_DEVICES entry it cannot honour at start-up (before it connects)
 * rather than failing every evaluation later. The machine is a boundary we
 * don't own, so the probe is injectable: tests hand in what nvidia-smi or
 * /proc would say.
 */

/** A CUDA device as a process sees it: `label` is cuda:N in CUDA's numbering (after CUDA_VISIBLE_DEVICES). */
export interface CudaDevice {
  label: string;
  name: string;
}

export interface CudaProbe {
  devices: CudaDevice[];
  /** Why none were found, or where they came from: said in the refusal so a user can act on it. */
  source: string;
}

/** A GPU the driver lists, before CUDA_VISIBLE_DEVICES picks and renumbers them. */
export interface PhysicalGpu {
  index: number;
  name: string;
  uuid: string;
}

/** What the probe reads; each returns undefined when its source is absent. */
export interface GpuSources {
  nvidiaSmi(): PhysicalGpu[] | string | undefined;
  procGpus(): PhysicalGpu[] | undefined;
}

const SMI_ARGS = ['--query-gpu=index,name,uuid', '--format=csv,noheader'];
const PROC_GPUS = '/proc/driver/nvidia/gpus';

/** nvidia-smi's list; a string when it runs but fails (e.g. no driver loaded), undefined when absent. */
function nvidiaSmi(): PhysicalGpu[] | string | undefined {
  const run = spawnSync('nvidia-smi', SMI_ARGS, { encoding: 'utf8', timeout: 15_000 });
  if (run.error) return undefined;
  if (run.status !== 0) return `nvidia-smi failed: ${(run.stdout + run.stderr).trim().split('\n')[0]}`;
  return parseNvidiaSmi(run.stdout);
}

export function parseNvidiaSmi(text: string): PhysicalGpu[] {
  return text
    .split('\n')
    .map((line) => line.split(',').map((s) => s.trim()))
    .filter((cols) => cols.length >= 2 && /^\d+$/.test(cols[0]!))
    .map(([index, name, uuid]) => ({ index: Number(index), name: name!, uuid: uuid ?? '' }));
}

/** The driver's own list, one folder per GPU named by PCI bus id; nvidia-smi numbers them in bus order too. */
function procGpus(): PhysicalGpu[] | undefined {
  let buses: string[];
  try {
    buses = readdirSync(PROC_GPUS).sort();
  } catch {
    return undefined;
  }
  return buses.map((bus, index) => {
    const info = readFileSync(join(PROC_GPUS, bus, 'information'), 'utf8');
    const field = (key: string) => new RegExp(`^${key}:\\s*(.*)$`, 'm').exec(info)?.[1]?.trim() ?? '';
    return { index, name: field('Model') || `GPU at ${bus}`, uuid: field('GPU UUID') };
  });
}

const SYSTEM: GpuSources = { nvidiaSmi, procGpus };

/**
 * The GPUs CUDA_VISIBLE_DEVICES lets a process see, renumbered from 0 as CUDA
 * does. Entries are indices or (prefixes of) GPU UUIDs; like CUDA, the list
 * ends at the first entry that names no GPU (or one named already).
 */
export function visibleGpus(gpus: PhysicalGpu[], visible: string | undefined): PhysicalGpu[] {
  if (visible === undefined) return gpus;
  const out: PhysicalGpu[] = [];
  for (const entry of visible.split(',').map((s) => s.trim())) {
    // A MIG instance is not in nvidia-smi's GPU list; CUDA shows it as a device of its own.
    const mig = entry.startsWith('MIG-') ? { index: -1, name: `MIG instance ${entry}`, uuid: entry } : undefined;
    const gpu = mig ?? (/^\d+$/.test(entry) ? gpus.find((g) => g.index === Number(entry)) : entry && gpus.find((g) => g.uuid.startsWith(entry)));
    if (!gpu || out.some((g) => g.index === gpu.index && g.uuid === gpu.uuid)) break;
    out.push(gpu);
  }
  return out;
}

export function probeCudaDevices(env: NodeJS.ProcessEnv = process.env, sources: GpuSources = SYSTEM): CudaProbe {
  const smi = sources.nvidiaSmi();
  const gpus = Array.isArray(smi) ? smi : sources.procGpus();
  if (!gpus) {
    return { devices: [], source: typeof smi === 'string' ? smi : `no NVIDIA driver found: no nvidia-smi on PATH, no ${PROC_GPUS}` };
  }
  const visible = env.CUDA_VISIBLE_DEVICES;
  const devices = visibleGpus(gpus, visible).map((g, i) => ({ label: `cuda:${i}`, name: g.name }));
  const from = Array.isArray(smi) ? 'nvidia-smi' : PROC_GPUS;
  return { devices, source: visible === undefined ? from : `${from}, CUDA_VISIBLE_DEVICES=${visible}` };
}

/** cuda, cuda:N: devices torch and CUDA know. Any other label is a slot name the worker does not interpret. */
const CUDA_LABEL = /^cuda(?::(.*))?$/;

/** "1 CUDA device (cuda:0, NVIDIA H200)", "no CUDA device (why)". */
export function describeCuda(probe: CudaProbe): string {
  const n = probe.devices.length;
  if (n === 0) return `no CUDA device (${probe.source})`;
  return `${n} CUDA device${n === 1 ? '' : 's'} (${probe.devices.map((d) => `${d.label}, ${d.name}`).join('; ')})`;
}

/**
 * Throws, naming the device and what the machine has, when EVAL_DEVICES names
 * a CUDA device this process cannot see. The probe runs only if a cuda label
 * is listed, so CPU workers never look for a driver.
 */
export function checkCudaDevices(devices: readonly string[], probe: () => CudaProbe = probeCudaDevices): void {
  const cuda = devices.filter((d) => CUDA_LABEL.test(d));
  if (cuda.length === 0) return;
  const found = probe();
  for (const device of cuda) {
    const index = CUDA_LABEL.exec(device)![1];
    if (index !== undefined && !/^\d+$/.test(index)) {
      throw new Error(`EVAL_DEVICES: ${device} is not a CUDA device; write cuda:<index>, e.g. cuda:0`);
    }
    if (Number(index ?? 0) >= found.devices.length) {
      throw new Error(`EVAL_DEVICES: ${device} is not on this machine: it has ${describeCuda(found)}`);
    }
  }
}

export function parseDevices(text: string | undefined, fallback: number): string[] {
  if (!text) return Array.from({ length: fallback }, () => 'cpu');
  const devices = text.split(',').map((d) => d.trim()).filter(Boolean);
  if (devices.length === 0) throw new Error(`EVAL_DEVICES: '${text}' names no device; use e.g. "cuda:0,cuda:1" or "cpu,cpu"`);
  return devices;
}

/** EVAL_DEVICES (default: `fallback` CPU slots), checked against the machine's CUDA devices; throws naming a device it lacks. */
export function checkedDevices(text: string | undefined, fallback: number): string[] {
  const devices = parseDevices(text, fallback);
  checkCudaDevices(devices);
  return devices;
}
