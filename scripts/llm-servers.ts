import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { DEFAULT_LOCAL_MODEL } from '../src/llm/local';

/**
 * The two real OpenAI-compatible servers scripts/build-llm-servers.sh builds
 * into .tools/llm-servers/, serving the embedded GGUF as `smollm2` with the
 * context the embedded provider uses. Started per test file, on a free port
 * (or COLLM_TEST_LLM_PORT and the next one). Used by test/llm-servers.test.ts and
 * scripts/bench-llm-servers.ts.
 */
export type ServerKind = 'llama-server' | 'llama-cpp-python';

export interface RunningServer {
  kind: ServerKind;
  baseUrl: string;
  stop(): Promise<void>;
}

const TOOLS = resolve(__dirname, '..', '.tools', 'llm-servers');
export const MODEL_ALIAS = 'smollm2';
const CONTEXT = 8192;

function command(kind: ServerKind, port: number): [string, string[]] {
  const common = { host: '127.0.0.1', port: String(port) };
  if (kind === 'llama-server') {
    return [resolve(TOOLS, 'llama-server'), ['-m', DEFAULT_LOCAL_MODEL, '--alias', MODEL_ALIAS, '--host', common.host, '--port', common.port, '-c', String(CONTEXT), '-t', '2', '-np', '1']];
  }
  return [
    resolve(TOOLS, 'py', 'bin', 'python'),
    ['-m', 'llama_cpp.server', '--model', DEFAULT_LOCAL_MODEL, '--model_alias', MODEL_ALIAS, '--host', common.host, '--port', common.port, '--n_ctx', String(CONTEXT), '--n_threads', '2'],
  ];
}

async function freePort(): Promise<number> {
  const fixed = process.env.COLLM_TEST_LLM_PORT;
  if (fixed) return Number(fixed) + (portsTaken++);
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}
let portsTaken = 0;

/** Starts a server and waits until it answers /v1/models; the set-up must have built it (npm test does). */
export async function startServer(kind: ServerKind): Promise<RunningServer> {
  const port = await freePort();
  const [bin, args] = command(kind, port);
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run scripts/build-llm-servers.sh (npm test's set-up does)`);
  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
  const baseUrl = `http://127.0.0.1:${port}/v1`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${kind} exited with ${child.exitCode}:\n${log}`);
    try {
      const r = await fetch(`${baseUrl}/models`, { signal: AbortSignal.timeout(2000) });
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${kind} did not answer within 120 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return {
    kind,
    baseUrl,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}
