import { Runtime, type Logger } from '@temporalio/worker';
import { metricsBindAddress } from './address';
import { HISTOGRAM_BUCKETS } from './names';

/**
 * Installs this process's Temporal runtime, once and before its first
 * connection as the SDK requires, with a Prometheus endpoint at
 * COLLM_METRICS_ADDRESS when it is set. The endpoint carries the SDK's
 * worker metrics (task slots, poll and schedule-to-start latencies,
 * failures) and this project's own (src/metrics/names.ts). Returns where it
 * listens, or undefined when metrics are off. A runtime this process made
 * already is kept; metrics asked for then are an error, not silently lost.
 */
export function installWorkerRuntime(options: { logger?: Logger; env?: NodeJS.ProcessEnv } = {}): string | undefined {
  const bindAddress = metricsBindAddress((options.env ?? process.env).COLLM_METRICS_ADDRESS);
  try {
    Runtime.install({
      ...(options.logger ? { logger: options.logger } : {}),
      ...(bindAddress
        ? {
            telemetryOptions: {
              metrics: {
                // Durations in seconds, as Prometheus names them; counters keep the SDK's names (Temporal's dashboards use them).
                prometheus: { bindAddress, useSecondsForDurations: true, histogramBucketOverrides: HISTOGRAM_BUCKETS },
              },
            },
          }
        : {}),
    });
  } catch (err) {
    if (bindAddress) throw new Error(`COLLM_METRICS_ADDRESS: this process's Temporal runtime was made before metrics could be turned on (${(err as Error).message})`);
  }
  return bindAddress;
}
