import { z } from 'zod';
import { SPACES, SPACE_NAMES } from '../spaces';
import { collmStrategySchema } from './collm/config';

/**
 * The search config: the plain JSON a user passes to `nasSearch`, from a file
 * in config/, a script or `temporal workflow start --input`. Every field has
 * a default but `budget`, so `{"budget": 100}` is a whole search.
 */

const duration = z
  .string()
  .regex(/^\d+(\.\d+)?(ms|s|m|h|d)$/, 'must be a duration such as "30s", "10m" or "2h"');

const randomStrategy = z.object({ name: z.literal('random') }).strict();

const evolutionStrategy = z
  .object({
    name: z.literal('evolution'),
    /** Architectures kept alive; the oldest dies when a child is born. */
    populationSize: z.number().int().min(2).default(10),
    /** Tournament size: the parent is the best of this many random members. */
    sampleSize: z.number().int().min(1).default(3),
  })
  .strict()
  .refine((s) => s.sampleSize <= s.populationSize, {
    message: 'sampleSize must not exceed populationSize',
    path: ['sampleSize'],
  });

/** A bare name ("random") stands for that strategy with default parameters. */
export const strategySchema = z.preprocess(
  (v) => (typeof v === 'string' ? { name: v } : v),
  z.discriminatedUnion('name', [randomStrategy, evolutionStrategy, collmStrategySchema], {
    error: 'must be "random", "evolution" or "collm" (or an object with name and parameters)',
  }),
);

export const constraintSchema = z
  .object({
    metric: z.enum(['flops', 'params', 'latency'], { error: 'must be one of flops (M), params (M), latency (ms)' }),
    max: z.number().positive({ error: 'must be a positive number in the metric\'s unit (MFLOPs, M params or ms)' }),
    /** For latency: which device column of the hardware table, e.g. "hwnb_pixel3". */
    device: z.string().min(1).optional(),
  })
  .strict()
  .refine((c) => c.metric !== 'latency' || c.device !== undefined, {
    message: 'a latency constraint needs device, e.g. "hwnb_pixel3" or "hwnb_raspi4"',
    path: ['device'],
  });

export const evaluationSchema = z
  .object({
    /** Longest one evaluation may take (a GPU training run can take hours). */
    startToCloseTimeout: duration.default('30m'),
    /** Evaluators heartbeat; a worker silent this long is presumed dead and the evaluation moves. */
    heartbeatTimeout: duration.default('60s'),
    maximumAttempts: z.number().int().min(1).default(5),
    /** Task queue of the evaluation workers. */
    taskQueue: z.string().min(1).default('nas-eval'),
  })
  .strict();

export const searchConfigSchema = z
  .object({
    /** Free-form label shown in the Web UI. */
    name: z.string().max(200).optional(),
    space: z
      .string({ error: `must be a string naming a search space: ${SPACE_NAMES.join(', ')}` })
      .refine((s) => s in SPACES, { error: (i) => `unknown search space '${String(i.input)}'; use one of ${SPACE_NAMES.join(', ')}` })
      .default('nb201'),
    dataset: z.string({ error: 'must be a string naming a dataset' }).default('cifar10'),
    strategy: strategySchema.default({ name: 'evolution', populationSize: 10, sampleSize: 3 }),
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
    evaluation: evaluationSchema.default({
      startToCloseTimeout: '30m',
      heartbeatTimeout: '60s',
      maximumAttempts: 5,
      taskQueue: 'nas-eval',
    }),
    /** Continue-as-new after this many history events even if the server has not suggested it. */
    continueAsNewAfterEvents: z.number().int().min(50).optional(),
    /** How many best architectures `progress` and the result list. */
    topK: z.number().int().min(1).max(100).default(5),
  })
  .strict()
  .superRefine((c, ctx) => {
    const space = SPACES[c.space];
    if (!space) return; // already reported on the field
    if (!space.datasets.includes(c.dataset)) {
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
    if (c.constraint?.metric === 'latency' && c.space !== 'nb201') {
      ctx.addIssue({ code: 'custom', path: ['constraint', 'metric'], message: `latency is not tabulated for space ${c.space}` });
    }
  });

export type SearchConfigInput = z.input<typeof searchConfigSchema>;
export type SearchConfig = z.output<typeof searchConfigSchema>;
export type StrategyConfig = SearchConfig['strategy'];
export type Constraint = NonNullable<SearchConfig['constraint']>;

/** A config that failed validation; the message lists every bad field. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid search config:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function describePath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(config)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

/** Validates a config; throws ConfigError naming each bad field. */
export function parseSearchConfig(input: unknown): SearchConfig {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new ConfigError(['(config): must be a JSON object such as {"space": "nb201", "dataset": "cifar10", "budget": 100}']);
  }
  const result = searchConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return `${describePath(issue.path)}: unknown field(s) ${issue.keys.map((k) => `'${k}'`).join(', ')}; remove them or check the spelling`;
    }
    return `${describePath(issue.path)}: ${issue.message}`;
  });
  throw new ConfigError(problems);
}
