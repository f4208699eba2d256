/**
 * This project's Prometheus metrics, beside the SDK's own `temporal_*` ones.
 * Labels are bounded (an evaluator, a device, an LLM purpose...): never a
 * workflow id or an architecture, which would make a series per search or
 * per candidate. docs/metrics.md lists them for operators.
 */
export const METRICS = {
  evaluationsStarted: 'collm_evaluations_started',
  evaluationsCompleted: 'collm_evaluations_completed',
  evaluationsFailed: 'collm_evaluations_failed',
  evaluationsRetried: 'collm_evaluations_retried',
  evaluationSeconds: 'collm_evaluation_duration_seconds',
  rankEvaluations: 'collm_rank_evaluations',
  slotsBusy: 'collm_device_slots_busy',
  slotsFree: 'collm_device_slots_free',
  llmCalls: 'collm_llm_calls',
  llmFailures: 'collm_llm_failures',
  llmSeconds: 'collm_llm_latency_seconds',
  llmTokensIn: 'collm_llm_tokens_in',
  llmTokensOut: 'collm_llm_tokens_out',
  searches: 'collm_searches',
} as const;

/**
 * Buckets in seconds: an evaluation is a table lookup (milliseconds) or a
 * GPU training (hours); an LLM call is a second to minutes.
 */
export const HISTOGRAM_BUCKETS: Record<string, number[]> = {
  [METRICS.evaluationSeconds]: [0.005, 0.05, 0.25, 1, 5, 30, 120, 600, 1800, 3600, 4 * 3600, 12 * 3600],
  [METRICS.llmSeconds]: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
};
