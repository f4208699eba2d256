import { z } from 'zod';
import { durationSchema } from '../lib/duration';
import { jsonShapeProblem } from '../lib/plain-json';
import { clip, describeValue, EXPLAINED } from '../lib/zod-messages';
import { SPACES } from '../spaces';
import { MAX_ARCH_CHARS, MAX_BUDGET, MAX_CONFIG_CHARS, MAX_RESULT_HISTORY, MAX_SEED_ARCHITECTURES, SCHEDULE_ID_PATTERN } from './limits';
import { STRATEGIES } from './strategies';
import { EVAL_TASK_QUEUE } from './task-queues';
import type { SearchConfig, StrategyConfig } from './types';

/**
 * The search config's core fields: the plain JSON a user passes to
 * `nasSearch`, from a file in config/, a script or `temporal workflow start
 * --input`. Every field has a default but `budget`, so `{"budget": 100}` is a
 * whole search. The evaluator's options and the LLMs are checked against their
 * registries one layer up (src/config), which turns all of it into a
 * `SearchConfig`.
 */

/** `strategy`: a bare name ("random") or {name, ...that strategy's options}. */
const strategySchema = z.preprocess(
  (v) => (typeof v === 'string' ? { name: v } : v),
  z
    .object({ name: z.string({ error: `must name a strategy; ${STRATEGIES.hint}` }) }, { error: `must be a strategy name or an object with name and options; ${STRATEGIES.hint}` })
    .loose()
    .transform((raw, ctx): StrategyConfig => {
      const { name, ...rest } = raw;
      if (!STRATEGIES.has(name)) {
        ctx.addIssue({ code: 'custom', path: ['name'], message: `unknown strategy '${clip(name)}'; ${STRATEGIES.hint}` });
        return z.NEVER;
      }
      const options = STRATEGIES.get(name).options.safeParse(rest, EXPLAINED);
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
    startToCloseTimeout: durationSchema.default(EVALUATION_DEFAULTS.startToCloseTimeout),
    /** Evaluators heartbeat; a worker silent this long is presumed dead and the evaluation moves. */
    heartbeatTimeout: durationSchema.default(EVALUATION_DEFAULTS.heartbeatTimeout),
    maximumAttempts: z.number().int().min(1).default(EVALUATION_DEFAULTS.maximumAttempts),
    /** Task queue of the evaluation workers. */
    taskQueue: z.string().min(1).default(EVALUATION_DEFAULTS.taskQueue),
    /**
     * A failed candidate is dropped and the search goes on; this many in a
     * row means the evaluator itself is broken, and the search stops rather
     * than spend days retrying.
     */
    maxFailuresInARow: z.number().int().min(1).default(EVALUATION_DEFAULTS.maxFailuresInARow),
    /** Each batch in one `evaluateBatch` activity; default: when the evaluator is cheap enough to want it (a table, a predictor). */
    batched: z.boolean({ error: 'must be true (one activity per batch) or false (one per candidate)' }).optional(),
  })
  .strict();

/**
 * `rank`: a ranking stage. The strategy proposes `pool` candidates per batch,
 * `by` scores them cheaply and only the top `batchSize` are evaluated. `by`
 * and `options` are checked against the rankers and evaluators one layer up.
 */
export const rankSchema = z
  .object({
    by: z.string({ error: 'must name a ranker: "cost", "llm" or an evaluator such as "naswot"' }).min(1),
    /** Candidates proposed per full batch, the batch included. */
    pool: z.number({ error: 'must be a whole number of candidates to rank per batch, e.g. 50' }).int().min(1).max(10_000),
    options: z.record(z.string(), z.unknown(), { error: 'must be an object of the ranker\'s options' }).default({}),
    onFailure: z.enum(['fallback', 'fail'], { error: 'must be "fallback" (keep the strategy\'s order, recorded) or "fail" (end the search)' }).default('fallback'),
    /** For an evaluator: the queue of the workers that score (default: evaluation.taskQueue). */
    taskQueue: z.string().min(1).optional(),
    /** For an evaluator: one scoring call covers a whole pool. */
    startToCloseTimeout: durationSchema.default('10m'),
    heartbeatTimeout: durationSchema.default('60s'),
    maximumAttempts: z.number().int().min(1).default(3),
  })
  .strict();

const LLM_CALLS_DEFAULTS = { startToCloseTimeout: '10m', heartbeatTimeout: '30s', maximumAttempts: 8 };

/** How LLM calls run as activities, for strategies that make them. */
export const llmCallsSchema = z
  .object({
    /** Task queue of the workers that call the LLM (default: the control worker's). */
    taskQueue: z.string().min(1).optional(),
    /** One LLM call may take this long before it is retried. */
    startToCloseTimeout: durationSchema.default(LLM_CALLS_DEFAULTS.startToCloseTimeout),
    /** A worker silent this long during an LLM call is presumed dead; the call moves to another worker. */
    heartbeatTimeout: durationSchema.default(LLM_CALLS_DEFAULTS.heartbeatTimeout),
    maximumAttempts: z.number().int().min(1).default(LLM_CALLS_DEFAULTS.maximumAttempts),
  })
  .strict();

/**
 * `warmStart`: a scheduled search begins with the best architectures of the
 * last completed run of a schedule (found through Temporal's visibility), so
 * a nightly search builds on the night before instead of starting over.
 */
export const warmStartSchema = z
  .object({
    /** The schedule whose last completed run seeds this one; true: the schedule that started this run. */
    fromSchedule: z
      .union([
        z.literal(true),
        z.string().min(1).regex(SCHEDULE_ID_PATTERN, 'must be a schedule id without quotes or backslashes'),
      ], { error: 'must be true (the schedule that started the run) or a schedule id' })
      .default(true),
    /** How many of that run's best feasible architectures to evaluate first. */
    top: z.number().int().min(1).max(100).default(5),
  })
  .strict();

export const coreConfigSchema = z
  .object({
    /** Free-form label shown in the Web UI. */
    name: z.string().max(200).optional(),
    space: z
      .string({ error: `must be a string naming a search space; ${SPACES.hint}` })
      .refine((s) => SPACES.has(s), { error: (i) => `unknown search space '${clip(String(i.input))}'; ${SPACES.hint}` })
      .default('nb201'),
    dataset: z.string({ error: 'must be a string naming a dataset' }).optional(),
    strategy: strategySchema.default({ name: 'evolution' }),
    /** Which LLM plays each of the strategy's roles; checked against the provider registry (src/config). */
    llm: z.unknown().optional(),
    llmCalls: llmCallsSchema.default(LLM_CALLS_DEFAULTS),
    /** Number of unique architectures to evaluate. */
    budget: z
      .number({ error: (i) => `must be a whole number of architectures to evaluate, e.g. 100, got ${describeValue(i.input)}` })
      .int({ error: (i) => `must be a whole number of architectures to evaluate, e.g. 100, got ${describeValue(i.input)}` })
      .min(1, { error: 'must be at least 1: it is the number of architectures to evaluate, e.g. 100' })
      .max(MAX_BUDGET, { error: `must be at most ${MAX_BUDGET.toLocaleString('en-US')}` }),
    /** Candidates evaluated in parallel per iteration. */
    batchSize: z.number().int().min(1).max(1000).default(10),
    /** A ranking stage before the evaluation (see `rankSchema`); absent: every proposal is evaluated. */
    rank: rankSchema.optional(),
    seed: z
      .number({ error: (i) => `must be an integer, got ${describeValue(i.input)}` })
      .int({ error: (i) => `must be an integer, got ${describeValue(i.input)}` })
      .default(0),
    constraint: constraintSchema.optional(),
    /** Stop as soon as the best feasible validation accuracy reaches this (percent). */
    targetAccuracy: z.number().min(0).max(100).optional(),
    /** Architectures (text format) evaluated first, e.g. a known good design. */
    seedArchitectures: z
      .array(z.string().max(MAX_ARCH_CHARS), { error: 'must be an array of architectures in the space\'s text format' })
      .max(MAX_SEED_ARCHITECTURES, {
        error: (i) =>
          `at most ${MAX_SEED_ARCHITECTURES} architectures, got ${(i.input as unknown[]).length}: the config is stored in the workflow history; ` +
          'seed with the best few and let the search find the rest',
      })
      .default([]),
    /** Seed from the last completed run of a schedule; see `warmStartSchema`. No default: without it a run starts cold. */
    warmStart: warmStartSchema.optional(),
    evaluation: evaluationSchema.default(EVALUATION_DEFAULTS),
    /** Continue-as-new after this many history events even if the server has not suggested it. */
    continueAsNewAfterEvents: z.number().int().min(50).optional(),
    /** How many best architectures `progress` and the result list. */
    topK: z.number().int().min(1).max(100).default(5),
    /**
     * How many of the most recent evaluations the result lists in `history`
     * (default 500, DEFAULT_RESULT_HISTORY); the search log has every one. No
     * default in the resolved config, so configs resolved before it existed read the same.
     */
    resultHistory: z
      .number()
      .int()
      .min(0)
      .max(MAX_RESULT_HISTORY, { error: `must be at most ${MAX_RESULT_HISTORY}: the result is one payload in the workflow history; the search log lists every evaluation` })
      .optional(),
  })
  .strict();

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
    return `unknown field(s) ${issue.keys.map((k) => `'${clip(k)}'`).join(', ')}; remove them or check the spelling`;
  }
  return issue.message;
}

/** Zod's issues as "field.path: what to do" lines, under `prefix`. */
export function problemsOf(error: z.ZodError, prefix: readonly PropertyKey[] = []): string[] {
  return error.issues.map((issue) => `${describePath([...prefix, ...issue.path])}: ${issueMessage(issue)}`);
}

/** How many bad seed architectures a report lists; the rest are counted. */
const SEEDS_LISTED = 10;

/**
 * Checks across fields (the dataset and the seed architectures belong to the
 * space), on whichever fields parsed, so that they are reported beside the
 * problems of other fields rather than after those are fixed.
 */
function crossFieldProblems(fields: Partial<CoreConfig>): string[] {
  const problems: string[] = [];
  if (fields.rank && fields.batchSize !== undefined && fields.rank.pool < fields.batchSize) {
    problems.push(`rank.pool: ${fields.rank.pool} is smaller than batchSize (${fields.batchSize}); the pool is what each batch is picked from, so make it at least ${fields.batchSize} (e.g. ${fields.batchSize * 5})`);
  }
  if (fields.space === undefined || !SPACES.has(fields.space)) return problems; // reported on the field
  const space = SPACES.get(fields.space);
  if (fields.dataset !== undefined && !space.datasets.includes(fields.dataset)) {
    problems.push(`dataset: unknown dataset '${clip(fields.dataset)}' for space ${space.name}; use one of ${space.datasets.join(', ')}`);
  }
  const bad: string[] = [];
  (fields.seedArchitectures ?? []).forEach((text, i) => {
    try {
      space.parse(text);
    } catch (err) {
      bad.push(`seedArchitectures[${i}]: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
  problems.push(...bad.slice(0, SEEDS_LISTED));
  if (bad.length > SEEDS_LISTED) problems.push(`seedArchitectures: ${bad.length - SEEDS_LISTED} more invalid architecture(s) not listed`);
  return problems;
}

/** Each top-level field parsed on its own: what a failed whole still lets the other checks see. */
function parseEachField(input: Record<string, unknown>): Partial<CoreConfig> {
  const fields: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(coreConfigSchema.shape)) {
    const result = (schema as z.ZodType).safeParse(input[name], EXPLAINED);
    if (result.success) fields[name] = result.data;
  }
  return fields as Partial<CoreConfig>;
}

/** The config's size as JSON text, or undefined for what JSON cannot hold (a cycle, a bigint). */
function jsonChars(input: unknown): number | undefined {
  try {
    return JSON.stringify(input)?.length;
  } catch {
    return undefined;
  }
}

const size = (chars: number): string => (chars >= 1024 * 1024 ? `${(chars / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(chars / 1024)} KB`);

/**
 * A config that is not a plain JSON object, or too large to store in the
 * history; checked before anything else reads it (a 10 MB config is not
 * parsed field by field).
 */
function shapeProblems(input: unknown): string[] {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return ['(config): must be a JSON object such as {"space": "nb201", "dataset": "cifar10", "budget": 100}'];
  }
  // Before anything reads it: a prototype key or a 10,000-deep nesting is named as what it is.
  const shape = jsonShapeProblem(input);
  if (shape !== undefined) return [shape];
  const chars = jsonChars(input);
  if (chars === undefined) return ['(config): must be plain JSON (no cycles, no bigints)'];
  if (chars <= MAX_CONFIG_CHARS) return [];
  const problems = [
    `(config): is ${size(chars)} of JSON, more than the ${size(MAX_CONFIG_CHARS)} a search config may be: ` +
      'it is stored in the workflow history (input, memo, every continue-as-new); keep large data on the workers',
  ];
  const seeds = (input as Record<string, unknown>)['seedArchitectures'];
  if (Array.isArray(seeds) && seeds.length > MAX_SEED_ARCHITECTURES) {
    problems.push(`seedArchitectures: at most ${MAX_SEED_ARCHITECTURES} architectures, got ${seeds.length}`);
  }
  return problems;
}

/**
 * The core fields, checked; the rest of `SearchConfig` is filled in by
 * src/config. `fields` holds every top-level field that is valid on its own,
 * for the checks one layer up, so that one report lists every bad field.
 */
export function parseCoreConfig(input: unknown): { config?: CoreConfig; fields: Partial<CoreConfig>; problems: string[] } {
  const refused = shapeProblems(input);
  if (refused.length > 0) return { fields: {}, problems: refused };
  const result = coreConfigSchema.safeParse(input, EXPLAINED);
  const fields = result.success ? result.data : parseEachField(input as Record<string, unknown>);
  const problems = [...(result.success ? [] : problemsOf(result.error)), ...crossFieldProblems(fields)];
  return result.success && problems.length === 0 ? { config: result.data, fields, problems } : { fields, problems };
}

export type { SearchConfig };
