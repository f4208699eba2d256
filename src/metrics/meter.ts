import type { MetricMeter } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';

/**
 * The process's meter, the one the Prometheus endpoint exports. Its runtime
 * is the one the workers were made with, installed before them
 * (installWorkerRuntime); without an exporter, values go nowhere.
 */
export function processMeter(): MetricMeter {
  return Runtime.instance().metricMeter;
}

/** `value` if it is one of `known`, else "other": a label never takes a value a sender made up. */
export function bounded(value: string | undefined, known: readonly string[]): string {
  return value !== undefined && known.includes(value) ? value : 'other';
}
