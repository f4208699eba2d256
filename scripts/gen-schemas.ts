/**
 * Writes the eval activities' contract (src/evaluators/contract.ts) as JSON
 * Schema for the Python eval worker, which validates what it receives and
 * returns against these files:
 *   npm run schemas
 * The files are committed; test/python-worker.test.ts fails when they differ
 * from what this script would write, so the two sides cannot drift apart.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { evalBatchOutcomeSchema, evalBatchRequestSchema, evalRequestSchema, evalResultSchema } from '../src/evaluators/contract';

export const SCHEMA_DIR = resolve(__dirname, '../python/collm_eval/schemas');

const SOURCES: Record<string, { schema: z.ZodType; title: string }> = {
  'eval-request.schema.json': { schema: evalRequestSchema, title: 'collm-nas evaluate activity: input' },
  'eval-result.schema.json': { schema: evalResultSchema, title: 'collm-nas evaluate activity: output' },
  'eval-batch-request.schema.json': { schema: evalBatchRequestSchema, title: 'collm-nas evaluateBatch activity: input' },
  'eval-batch-outcome.schema.json': { schema: evalBatchOutcomeSchema, title: 'collm-nas evaluateBatch activity: one outcome of its output' },
};

/** File name -> file text. Plain JSON.stringify of a fixed schema: the same bytes on every run. */
export function generateSchemas(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(SOURCES).map(([file, { schema, title }]) => {
      // 'input' describes what a sender may write; the schemas have no defaults or transforms, so it equals 'output'.
      const { $schema, ...body } = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' });
      const json = {
        $schema,
        $comment: 'Generated from src/evaluators/contract.ts by scripts/gen-schemas.ts (npm run schemas). Do not edit.',
        title,
        ...body,
      };
      return [file, `${JSON.stringify(json, null, 2)}\n`];
    }),
  );
}

if (require.main === module) {
  mkdirSync(SCHEMA_DIR, { recursive: true });
  for (const [file, text] of Object.entries(generateSchemas())) {
    writeFileSync(join(SCHEMA_DIR, file), text);
    console.log(`schemas: wrote ${join('python/collm_eval/schemas', file)}`);
  }
}
