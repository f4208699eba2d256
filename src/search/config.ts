import { z } from 'zod';
import { SPACES } from '../spaces';
import { EVAL_TASK_QUEUE } from '../task-queues';
import { STRATEGIES } from './strategies';
import type { SearchConfig, StrategyConfig } from './types';

/**
 * The search config's core fields: the plain JSON a user passes to
 * `nasSearch`, from a file in config/, a script or `temporal workflow start
 * --input`. Every field has a default but `budget`, so `{"budget": 100}` is a
 * whole search. The evaluator's options and the LLMs are checked against their
 * registries one layer up (src/config), which turns all of it into a
 * `SearchConfig`.
 */

const duration = z
  .string()
  .regex(/^\d+(\.\d+)?(ms|s|m|h|d)$/, 'must be a duration such as "30s", "10m" or "2h"');

/** `strategy`: a bare name ("random") or {name, ...that strategy's options}. */
const strategySchema = z.preprocess(
  (v) => (typeof v === 'string' ? { name: v } : v),
  z
    .object({ name: z.string({ error: `must name a strategy; ${STRATEGIES.hint}` }) }, { error: `must be a strategy name or an object with name and options; ${STRATEGIES.hint}` })
    .loose()
    .transform((raw, ctx): StrategyConfig => {
      const { name, ...rest } = raw;
      if (!STRATEGIES.has(name)) {
        ctx.addIssue({ code: 'custom', path: ['name'], message: `unknown strategy '${name}'; ${STRATEGIES.hint}` });
        return z.NEVER;
      }
      const options = STRATEGIES.get(name).options.safeParse(rest);
      if (!options.success) {
        for (const issue of options.error.issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issueMessage(issue) });
        return z.NEVER;
      }
      return { name, ...(options.data as object) };
    }),
);

export const constraintSchema = z
  .object({
    metric: z.enum(['flops', 'params', 'latency'], { error: 'must be one of flops (M), params (M), latency (ms)' }),
    max: z.number().positive({ error: 'must be a positive number in the metric\'s unit (MFLOPs, M params or ms)' }),
    /** For latency: which device, e.g. "hwnb_pixel3". */
    device: z.string().min(1).optional(),
  })
  .strict()
  .refine((c) => c.metric !== 'latency' || c.device !== undefined, {
    message: 'a latency constraint needs device, e.g. "hwnb_pixel3" or "hwnb_raspi4"',
    path: ['device'],
  });

const EVALUATION_DEFAULTS = {
  startToCloseTimeout: '30m',
  heartbeatTimeout: '60s',
  maximumAttempts: 5,
  taskQueue: EVAL_TASK_QUEUE,
  maxFailuresInARow: 50,
  options: {},
};

export const evaluationSchema = z
  .object({
    /** Evaluator plug-in by name; default: the space's natural one. */
    evaluator: z.string().min(1).optional(),
    /** The evaluator's own options, checked against its schema. */
    options: z.record(z.string(), z.unknown(), { error: 'must be an object of the evaluator\'s options' }).default({}),
    /** An evaluator that measures costs beside it, e.g. "onnx-cost"; default: one that measures the latency device, if needed. */
    costEvaluator: z.string().min(1).optional(),
    costOptions: z.record(z.string(), z.unknown(), { error: 'must be an object of the cost evaluator\'s options' }).optional(),
    /** Longest one evaluation may take (a GPU training run can take hours). */
    startToCloseTimeout: duration.default(EVALUATION_DEFAULTS.startToCloseTimeout),
    /** Evaluators heartbeat; a worker silent this long is presumed dead and the evaluation moves. */
    heartbeatTimeout: duration.default(EVALUATION_DEFAULTS.heartbeatTimeout),
    maximumAttempts: z.number().int().min(1).default(EVALUATION_DEFAULTS.maximumAttempts),
    /** Task queue of the evaluation workers. */
    taskQueue: z.string().min(1).default(EVALUATION_DEFAULTS.taskQueue),
    /**
     * A failed candidate is dropped and the search goes on; this many in a
     * row means the evaluator itself is broken, and the search stops rather
     * than spend days retrying.
     */
    maxFailuresInARow: z.number().int().min(1).default(EVALUATION_DEFAULTS.maxFailuresInARow),
  })
  .strict();

const LLM_CALLS_DEFAULTS = { startToCloseTimeout: '10m', heartbeatTimeout: '30s', maximumAttempts: 8 };

/** How LLM calls run as activities, for strategies that make them. */
export const llmCallsSchema = z
  .object({
    /** Task queue of the workers that call the LLM (default: the control worker's). */
    taskQueue: z.string().min(1).optional(),
    /** One LLM call may take this long before it is retried. */
    startToCloseTimeout: duration.default(LLM_CALLS_DEFAULTS.startToCloseTimeout),
    /** A worker silent this long during an LLM call is presumed dead; the call moves to another worker. */
    heartbeatTimeout: duration.default(LLM_CALLS_DEFAULTS.heartbeatTimeout),
    maximumAttempts: z.number().int().min(1).default(LLM_CALLS_DEFAULTS.maximumAttempts),
  })
  .strict();

export const coreConfigSchema = z
  .object({
    /** Free-form label shown in the Web UI. */
    name: z.string().max(200).optional(),
    space: z
      .string({ error: `must be a string naming a search space; ${SPACES.hint}` })
      .refine((s) => SPACES.has(s), { error: (i) => `unknown search space '${String(i.input)}'; ${SPACES.hint}` })
      .default('nb201'),
    dataset: z.string({ error: 'must be a string naming a dataset' }).optional(),
    strategy: strategySchema.default({ name: 'evolution' }),
    /** Which LLM plays each of the strategy's roles; checked against the provider registry (src/config). */
    llm: z.unknown().optional(),
    llmCalls: llmCallsSchema.default(LLM_CALLS_DEFAULTS),
    /** Number of unique architectures to evaluate. */
    budget: z
      .number({ error: 'must be a whole number of architectures to evaluate, e.g. 100' })
      .int({ error: 'must be a whole number of architectures to evaluate, e.g. 100' })
      .min(1, { error: 'must be at least 1: it is the number of architectures to evaluate, e.g. 100' })
      .max(1_000_000),
    /** Candidates evaluated in parallel per iteration. */
    batchSize: z.number().int().min(1).max(1000).default(10),
    seed: z.number({ error: 'must be an integer' }).int({ error: 'must be an integer' }).default(0),
    constraint: constraintSchema.optional(),
    /** Stop as soon as the best feasible validation accuracy reaches this (percent). */
    targetAccuracy: z.number().min(0).max(100).optional(),
    /** Architectures (text format) evaluated first, e.g. a known good design. */
    seedArchitectures: z.array(z.string()).default([]),
    evaluation: evaluationSchema.default(EVALUATION_DEFAULTS),
    /** Continue-as-new after this many history events even if the server has not suggested it. */
    continueAsNewAfterEvents: z.number().int().min(50).optional(),
    /** How many best architectures `progress` and the result list. */
    topK: z.number().int().min(1).max(100).default(5),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (!SPACES.has(c.space)) return; // already reported on the field
    const space = SPACES.get(c.space);
    if (c.dataset !== undefined && !space.datasets.includes(c.dataset)) {
      ctx.addIssue({
        code: 'custom',
        path: ['dataset'],
        message: `unknown dataset '${c.dataset}' for space ${c.space}; use one of ${space.datasets.join(', ')}`,
      });
    }
    c.seedArchitectures.forEach((text, i) => {
      try {
        space.parse(text);
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: ['seedArchitectures', i], message: (err as Error).message });
      }
    });
  });

export type SearchConfigInput = z.input<typeof coreConfigSchema>;
export type CoreConfig = z.output<typeof coreConfigSchema>;

/** A config that failed validation; the message lists every bad field. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid search config:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function describePath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(config)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return `unknown field(s) ${issue.keys.map((k) => `'${k}'`).join(', ')}; remove them or check the spelling`;
  }
  return issue.message;
}

/** Zod's issues as "field.path: what to do" lines, under `prefix`. */
export function problemsOf(error: z.ZodError, prefix: readonly PropertyKey[] = []): string[] {
  return error.issues.map((issue) => `${describePath([...prefix, ...issue.path])}: ${issueMessage(issue)}`);
}

/** The core fields, checked; the rest of `SearchConfig` is filled in by src/config. */
export function parseCoreConfig(input: unknown): { config?: CoreConfig; problems: string[] } {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { problems: ['(config): must be a JSON object such as {"space": "nb201", "dataset": "cifar10", "budget": 100}'] };
  }
  const result = coreConfigSchema.safeParse(input);
  return result.success ? { config: result.data, problems: [] } : { problems: problemsOf(result.error) };
}

export type { SearchConfig };
