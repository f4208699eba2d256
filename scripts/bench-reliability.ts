/**
 * Fault injection on the real Temporal dev server with real worker processes.
 *   npm run bench:reliability [-- --trials 20 --seed S --kinds kill,kill-collm,server-restart,hang,failing --port 7671]
 *
 * Each trial runs one NAS-Bench-201 search (budget 40-60, batch 10, runs
 * continued-as-new every few iterations, evaluations slowed with
 * EVAL_SIMULATE_MS) on worker processes started as `npm run worker:*` starts
 * them, and does one kind of damage at random moments:
 *
 *   kill            SIGKILL of the control worker, the eval worker or both,
 *                   1-3 times, each restarted after 0.2-3 s
 *   kill-collm      the same during a collm search whose LLM is a scripted
 *                   endpoint (test/fake-llm.ts) answering slowly, so that some
 *                   kills land during an LLM call
 *   server-restart  the dev server stopped and started again on the same
 *                   SQLite file, 2-3 times, the workers left running
 *   hang            one of two eval workers frozen (SIGSTOP) while it runs
 *                   evaluations: its heartbeat timeout must move them to the
 *                   other worker; it is thawed afterwards, with its stale
 *                   attempts still to report
 *   failing         an evaluation program that fails on every attempt for
 *                   some architectures: each is recorded as failed after
 *                   maximumAttempts and the search goes on
 *
 * Every search must finish with the result of the same search run without
 * faults (in this process; the fake LLM answers by the request's content, so
 * the same prompt gets the same answer). Its histories, across every run,
 * must hold exactly one completed `evaluate` per evaluated architecture:
 * none twice, none missing. The trials' parameters come from --seed (printed;
 * trial i depends only on the seed and i), so a failure can be re-run.
 * Exits 1 if any trial breaks an invariant.
 *
 * This file parses the flags and runs the trials; the parts are in
 * scripts/reliability/: plan.ts (trial plans from a seed), env.ts (the shared
 * server, bundle and fake LLM), trial.ts (one trial), faults.ts (kills,
 * server restarts, hangs), reference.ts (the fault-free runs), checks.ts (the
 * invariants on the histories), report.ts (the per-trial lines and the table).
 */
import { connect, openEnv } from './reliability/env';
import type { Outcome } from './reliability/outcome';
import { fnv, KINDS, makePlan, Rng, type Kind } from './reliability/plan';
import { killAllWorkers } from './reliability/processes';
import { table, trialLine } from './reliability/report';
import { runTrial } from './reliability/trial';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<number> {
  const trials = Number(arg('trials') ?? 20);
  const seed = Number(arg('seed') ?? Math.floor(Math.random() * 1_000_000));
  const port = Number(arg('port') ?? 7671);
  const kinds = (arg('kinds')?.split(',') ?? [...KINDS]) as Kind[];
  for (const k of kinds) if (!KINDS.includes(k)) throw new Error(`--kinds: unknown kind '${k}'; use ${KINDS.join(', ')}`);
  if (!Number.isInteger(trials) || trials < 1 || !Number.isInteger(seed)) throw new Error('--trials and --seed take whole numbers');
  console.log(`reliability benchmark: ${trials} trials, seed ${seed} (re-run with: npm run bench:reliability -- --trials ${trials} --seed ${seed}${arg('kinds') ? ` --kinds ${kinds.join(',')}` : ''})`);

  const { env, stopAll } = await openEnv(seed, port);
  process.once('SIGINT', () => void stopAll().finally(() => process.exit(130)));
  process.once('SIGTERM', () => void stopAll().finally(() => process.exit(143)));
  try {
    if (!env.server.started) throw new Error(`port ${port} already has a server; this benchmark stops and restarts its own, so give it a free --port`);
    await connect(env);
    const outcomes: Outcome[] = [];
    for (let i = 0; i < trials; i++) {
      const kind = kinds[i % kinds.length]!;
      // Trial i's plan depends only on the seed and i, so any one trial can be re-run from the printed seed.
      const plan = makePlan(kind, new Rng(fnv(`${seed}:${i}`)), env.fake.baseUrl);
      const o = await runTrial(env, plan, i);
      outcomes.push(o);
      console.log(trialLine(o, plan));
    }
    console.log(`\n${table(outcomes)}\n\nseed ${seed}`);
    const bad = outcomes.filter((o) => o.problems.length > 0 || !o.finished || !o.equal);
    if (bad.length) console.log(`${bad.length} trial(s) broke an invariant: ${bad.map((o) => o.index).join(', ')}`);
    return bad.length ? 1 : 0;
  } finally {
    await stopAll();
  }
}

process.on('exit', killAllWorkers);
main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
