import { z } from 'zod';
import type { EvalResult } from '../search/types';
import type { EvalRequest } from './types';

/**
 * The evaluation activity's contract as zod schemas: what the `evaluate`
 * activity on the eval queue receives and returns, whichever worker serves
 * it (this TypeScript worker, or the Python one in python/, which checks the
 * same contract as JSON Schema generated from these: `npm run schemas`).
 */
export const evalRequestSchema = z
  .object({
    evaluator: z.string().min(1),
    options: z.record(z.string(), z.unknown()),
    space: z.string().min(1),
    dataset: z.string().min(1),
    arch: z.string().min(1),
    latencyDevice: z.string().min(1).optional(),
    costEvaluator: z.string().min(1).optional(),
    costOptions: z.record(z.string(), z.unknown()).optional(),
    latencyFrom: z.literal('cost').optional(),
  })
  .strict() satisfies z.ZodType<EvalRequest>;

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

/**
 * Extra metrics per result, and the length of their names. Each result lands
 * in the workflow history: a program printing 30,000 fields made 2.2 MB of
 * history from 3 evaluations, more than a client reads in one message.
 */
export const MAX_METRICS = 64;
export const MAX_METRIC_NAME = 64;

export const evalResultSchema = z
  .object({
    valAcc: finite,
    testAcc: finite.optional(),
    cost: z
      .object({ flopsM: finite.min(0), paramsM: finite.min(0), latencyMs: finite.min(0).optional() })
      .strict(),
    device: z.string().optional(),
    ms: finite.min(0).optional(),
    metrics: z
      .record(z.string().max(MAX_METRIC_NAME), finite)
      .refine((m) => Object.keys(m).length <= MAX_METRICS, `at most ${MAX_METRICS} metrics per result`)
      // A refinement has no JSON Schema form; this gives the Python worker's schema the same bound.
      .meta({ maxProperties: MAX_METRICS })
      .optional(),
    log: z.string().max(8192).optional(),
  })
  .strict() satisfies z.ZodType<EvalResult>;

/** Candidates one `evaluateBatch` activity takes at most: its request and its results are one payload each. */
export const MAX_BATCH = 2000;

/**
 * What the `evaluateBatch` activity receives: many candidates of one search
 * in one activity, for evaluators cheap enough that orchestration would cost
 * more than the evaluations (a table, a predictor, a training-free score).
 */
export const evalBatchRequestSchema = evalRequestSchema
  .omit({ arch: true })
  .extend({
    archs: z.array(z.string().min(1)).min(1).max(MAX_BATCH),
    /** Attempts per candidate: a retryable failure is tried again, inside the activity, up to this many times in all. */
    attempts: z.number().int().min(1).max(100),
    /** "rank": a ranking stage's scores, which get none of the worker's simulated training time. */
    purpose: z.enum(['evaluate', 'rank']).optional(),
  })
  .strict();

export type EvalBatchRequest = z.output<typeof evalBatchRequestSchema>;

/** One candidate's outcome in a batch, in the order of `archs`: its result, or its failure, which is its own. */
export const evalBatchOutcomeSchema = z.union([
  z
    .object({
      result: evalResultSchema,
      /** Attempts it took, when more than one (retried inside the activity). */
      attempts: z.number().int().min(1).optional(),
    })
    .strict(),
  z
    .object({
      error: z.string(),
      /** The failure's type, e.g. "TableError". */
      type: z.string().optional(),
      /** No retry can help (a missing table): the search ends, as for a single evaluation. */
      nonRetryable: z.boolean().optional(),
      attempts: z.number().int().min(1).optional(),
    })
    .strict(),
]);

export type EvalBatchOutcome = z.output<typeof evalBatchOutcomeSchema>;
