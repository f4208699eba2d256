/**
 * Trial plans from a seed: which search a trial runs and what damage it does
 * when. Everything random in a trial is drawn here, from an Rng seeded by the
 * run's --seed and the trial's index, so that a failing trial can be re-run
 * exactly by passing the printed seed back.
 */
import { join } from 'node:path';
import { ROOT } from '../../src/temporal/paths';

export const KINDS = ['kill', 'kill-collm', 'server-restart', 'hang', 'failing'] as const;
export type Kind = (typeof KINDS)[number];

/** mulberry32: small, seedable, the same on every machine. */
export class Rng {
  constructor(private s: number) {}
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
}

export function fnv(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export interface KillFault {
  delayMs: number;
  target: 'control' | 'eval' | 'both';
  pauseMs: number;
  /** What to wait for, after the delay, before killing: an evaluation or an LLM call running, or nothing. */
  landing: 'evaluation' | 'llm' | 'any';
  /** After that, a little longer: a random point of the evaluation or call, not its start. */
  jitterMs: number;
}
export interface RestartFault {
  delayMs: number;
  pauseMs: number;
}
export interface HangFault {
  delayMs: number;
  worker: 0 | 1;
  /** How long the worker stays frozen after its evaluations have moved. */
  pauseMs: number;
}

export interface Plan {
  kind: Kind;
  config: Record<string, unknown> & { evaluation: Record<string, unknown> };
  simulateMs: number;
  evalWorkers: number;
  devicesPerWorker: number;
  kills: KillFault[];
  restarts: RestartFault[];
  hangs: HangFault[];
}

const FLAKY_PROGRAM = join(ROOT, 'scripts/reliability/flaky-program.mjs');
const TABLE_STRATEGIES = ['evolution', 'random', 'reinforce'] as const;
const DATASETS = ['cifar10', 'cifar100', 'imagenet16'] as const;
/** Exported: the failing trials' checks and the report hold the search to exactly this many attempts. */
export const FAILING_ATTEMPTS = 3;

export function makePlan(kind: Kind, rng: Rng, llmBaseUrl: string): Plan {
  const config = {
    budget: rng.int(40, 60),
    // Batches of 5 as well: the table's batches are one activity each, and a search must still cross runs.
    batchSize: rng.pick([5, 10]),
    seed: rng.int(0, 9999),
    dataset: rng.pick(DATASETS),
    strategy: rng.pick(TABLE_STRATEGIES) as string,
    // Low enough that every search crosses several runs, so faults also land around continue-as-new.
    continueAsNewAfterEvents: rng.int(50, 70),
    evaluation: { heartbeatTimeout: '2s' } as Record<string, unknown>,
  };
  const plan: Plan = { kind, config, simulateMs: rng.int(500, 1000), evalWorkers: 1, devicesPerWorker: 10, kills: [], restarts: [], hangs: [] };
  const kill = (collm: boolean): KillFault => {
    const midLlm = collm && rng.next() < 0.6;
    const target = midLlm ? rng.pick(['control', 'both'] as const) : rng.pick(['control', 'eval', 'both'] as const);
    // Mostly where it hurts; sometimes anywhere (a workflow task, a continue-as-new, between batches).
    const landing = midLlm ? 'llm' : target !== 'control' && rng.next() < 0.75 ? 'evaluation' : 'any';
    return { delayMs: rng.int(300, 2500), target, pauseMs: rng.int(200, 3000), landing, jitterMs: rng.int(0, 300) };
  };
  switch (kind) {
    case 'kill':
      plan.kills = Array.from({ length: rng.int(1, 3) }, () => kill(false));
      // With a ranking stage: the pool, its ranking and the screened candidates cross the kills too
      // (the other kinds search without one).
      Object.assign(config, { rank: { by: 'cost', pool: 5 * config.batchSize } });
      break;
    case 'kill-collm':
      Object.assign(config, {
        strategy: 'collm',
        llm: { provider: 'openai', baseUrl: llmBaseUrl, model: 'fake', timeoutMs: 60_000 },
        llmCalls: { heartbeatTimeout: '2s' },
      });
      plan.kills = Array.from({ length: rng.int(1, 3) }, () => kill(true));
      break;
    case 'server-restart':
      plan.simulateMs = rng.int(400, 800);
      plan.restarts = Array.from({ length: rng.int(2, 3) }, () => ({ delayMs: rng.int(500, 3000), pauseMs: rng.int(200, 3000) }));
      break;
    case 'hang':
      // Two workers of five slots: the frozen one's evaluations (one candidate each, or a table's whole batch in
      // one activity) must move to the survivor after their heartbeat timeout.
      plan.evalWorkers = 2;
      plan.devicesPerWorker = 5;
      plan.simulateMs = rng.int(800, 1500);
      plan.hangs = Array.from({ length: rng.int(1, 2) }, () => ({ delayMs: rng.int(200, 1500), worker: rng.int(0, 1) as 0 | 1, pauseMs: rng.int(200, 3000) }));
      break;
    case 'failing':
      config.strategy = rng.pick(['evolution', 'random']);
      plan.simulateMs = rng.int(0, 200);
      config.evaluation = {
        heartbeatTimeout: '5s',
        evaluator: 'command',
        options: { argv: [process.execPath, FLAKY_PROGRAM, '6'] },
        maximumAttempts: FAILING_ATTEMPTS,
      };
      break;
  }
  return plan;
}
