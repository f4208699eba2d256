import { hostname } from 'node:os';
import { EvaluationError } from './types';

/**
 * What a GPU stack says when a device is missing or unusable: the same on
 * every attempt on this worker, so retrying only burns the retry budget
 * (python/collm_eval/errors.py recognises the same for the Python worker).
 * Out of memory is not here: it may pass.
 */
const DEVICE_FAILURES = [
  /invalid device ordinal/i,
  /no CUDA GPUs are available/i,
  /found no NVIDIA driver/i,
  /CUDA driver version is insufficient/i,
  /Torch not compiled with CUDA enabled/i,
  /ExecutionProvider_Cuda: Failed to load/i, // onnxruntime-node without its CUDA build
];

/** The first line of `text` that says a device is missing or broken, or undefined. */
export function deviceFailureLine(text: string): string | undefined {
  return text.split('\n').find((line) => DEVICE_FAILURES.some((p) => p.test(line)))?.trim();
}

/** A non-retryable error naming this worker and `device`, for a device failure `line` reported. */
export function deviceError(device: string, line: string): EvaluationError {
  return new EvaluationError(
    `eval worker ${hostname()}, device ${device}: ${line} (a device error no retry on this worker can fix: check EVAL_DEVICES and the GPU with nvidia-smi there)`,
    false,
    'DeviceError',
  );
}
