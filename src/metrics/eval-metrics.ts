import { noopMetricMeter, type MetricMeter } from '@temporalio/common';
import { SPACES } from '../spaces';
import { bounded } from './meter';
import { METRICS } from './names';

/** What an eval worker records about its evaluations and device slots. */
export interface EvalMetrics {
  /** A slot was taken for an evaluation on `device`, or given back. */
  slotTaken(device: string): void;
  slotFreed(device: string): void;
  /** One evaluation (purpose "evaluate") began; `attempt` > 1 is a retry. */
  started(labels: EvalLabels, attempt: number): void;
  completed(labels: EvalLabels, device: string, seconds: number): void;
  failed(labels: EvalLabels): void;
  /** One candidate scored by a ranking stage (evaluateBatch with purpose "rank"). */
  ranked(labels: EvalLabels, ok: boolean): void;
}

export interface EvalLabels {
  evaluator: string;
  space: string;
}

/**
 * EvalMetrics on `meter` for a worker with `devices` (one slot each; a label
 * given twice, "cpu,cpu", is one series counting two slots). The evaluator
 * is one this worker serves (an unknown one fails before anything is
 * counted); a space no registry knows is "other".
 */
export function evalMetrics(meter: MetricMeter, devices: readonly string[]): EvalMetrics {
  const started = meter.createCounter(METRICS.evaluationsStarted, undefined, 'Evaluations started (retries included), by evaluator and space');
  const completed = meter.createCounter(METRICS.evaluationsCompleted, undefined, 'Evaluations that returned a result');
  const failed = meter.createCounter(METRICS.evaluationsFailed, undefined, 'Evaluation attempts that failed');
  const retried = meter.createCounter(METRICS.evaluationsRetried, undefined, 'Evaluation attempts after the first');
  const seconds = meter.createHistogram(METRICS.evaluationSeconds, 'float', 's', 'Wall time of one evaluation on its device slot');
  const ranked = meter.createCounter(METRICS.rankEvaluations, undefined, 'Candidates scored by a ranking stage');
  const busyGauge = meter.createGauge(METRICS.slotsBusy, 'int', undefined, 'Device slots running an evaluation');
  const freeGauge = meter.createGauge(METRICS.slotsFree, 'int', undefined, 'Device slots waiting for an evaluation');

  const total = new Map<string, number>();
  for (const d of devices) total.set(d, (total.get(d) ?? 0) + 1);
  const busy = new Map<string, number>([...total.keys()].map((d) => [d, 0]));
  const publish = (device: string): void => {
    const n = busy.get(device) ?? 0;
    busyGauge.set(n, { device });
    freeGauge.set((total.get(device) ?? 0) - n, { device });
  };
  for (const d of total.keys()) publish(d);
  const tags = (l: EvalLabels) => ({ evaluator: l.evaluator, space: bounded(l.space, SPACES.names) });

  return {
    slotTaken(device) {
      busy.set(device, (busy.get(device) ?? 0) + 1);
      publish(device);
    },
    slotFreed(device) {
      busy.set(device, (busy.get(device) ?? 1) - 1);
      publish(device);
    },
    started(l, attempt) {
      started.add(1, tags(l));
      if (attempt > 1) retried.add(1, tags(l));
    },
    completed(l, device, s) {
      completed.add(1, tags(l));
      seconds.record(s, { ...tags(l), device });
    },
    failed(l) {
      failed.add(1, tags(l));
    },
    ranked(l, ok) {
      ranked.add(1, { ...tags(l), outcome: ok ? 'ok' : 'failed' });
    },
  };
}

/** For activities made outside a worker (unit tests): records nothing. */
export const NO_EVAL_METRICS: EvalMetrics = evalMetrics(noopMetricMeter, []);
