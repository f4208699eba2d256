import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './helpers';

/**
 * A real Prometheus (Debian's `prometheus`, installed by
 * scripts/setup-test.sh) scraping `targets` every second, with its own
 * config and data in a temporary folder, on `port`.
 */
export interface Prometheus {
  url: string;
  /** The value of an instant query's single series. */
  value(query: string): Promise<number | undefined>;
  /** `sum(query)`, 0 when no series matches yet. */
  sum(query: string): Promise<number>;
  series(query: string): Promise<{ metric: Record<string, string>; value: number }[]>;
  stop(): Promise<void>;
}

export async function startPrometheus(port: number, targets: Record<string, string>): Promise<Prometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'collm-prometheus-'));
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    ...Object.entries(targets).flatMap(([job, target]) => [`  - job_name: ${job}`, '    static_configs:', `      - targets: ['${target}']`]),
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), config + '\n');
  const bin = process.env.PROMETHEUS_BIN ?? 'prometheus';
  const child: ChildProcess = spawn(
    bin,
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const series = async (query: string) => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(query)}`);
    const body = (await res.json()) as { status: string; error?: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    if (body.status !== 'success') throw new Error(`prometheus: ${query}: ${body.error}`);
    return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  };
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(`prometheus on ${url}\n${log}`, async () => ((await fetch(`${url}/-/ready`)).ok ? true : undefined), 30_000);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${log}`);
  }
  const value = async (query: string): Promise<number | undefined> => {
    const r = await series(query);
    if (r.length > 1) throw new Error(`prometheus: ${query}: ${r.length} series, expected one`);
    return r[0]?.value;
  };
  return { url, series, value, sum: async (query) => (await value(`sum(${query})`)) ?? 0, stop };
}
