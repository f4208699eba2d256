import http from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { gatherSearch } from './gather';
import { startLiveReport, type LiveReport, type LiveReportOptions, type LiveSnapshot } from './live';
import { contentSecurityPolicy } from './page';
import type { SearchReportData } from './types';

/**
 * `report <id> --serve`: the report as a web page that updates itself while
 * the search runs. Bound to the loopback address unless the caller allows
 * more: the page has no password and shows the search's prompts and
 * architectures. It answers only requests addressed to it by a loopback
 * name (a web page elsewhere cannot rebind a name of its own to this port
 * and read the report), serves its pages with the same content security
 * policy as the file and nothing but GET and HEAD.
 */

export const DEFAULT_PORT = 8300;
export const DEFAULT_HOST = '127.0.0.1';

export class ServeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServeError';
  }
}

export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  return bare === 'localhost' || bare === '::1' || (isIP(bare) === 4 && bare.startsWith('127.'));
}

export interface ServeOptions extends Pick<LiveReportOptions, 'intervalMs' | 'startCommand' | 'onEnded'> {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8300; 0 takes any free port. */
  port?: number;
  /** Allow a host other machines can reach. */
  allowRemote?: boolean;
}

export interface ReportServer {
  url: string;
  live: LiveReport;
  close(): Promise<void>;
}

const urlHost = (host: string): string => (isIP(host) === 6 ? `[${host}]` : host);

const COMMON_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

type ServedFile = { type: string; body: string; csp: string };

/** Built once per snapshot (a page polls /state.json every few seconds; the snapshot changes far less often). */
const filesBySnapshot = new WeakMap<LiveSnapshot, Map<string, ServedFile>>();
/** The same for every served page (it hashes the page's scripts, Chart.js among them): computed once. */
let pageCsp: string | undefined;

function files(snapshot: LiveSnapshot): Map<string, ServedFile> {
  let built = filesBySnapshot.get(snapshot);
  if (!built) filesBySnapshot.set(snapshot, (built = buildFiles(snapshot)));
  return built;
}

/** The files a served report has, by path: the page, its state, and the files a written report has beside it. */
function buildFiles(snapshot: LiveSnapshot): Map<string, ServedFile> {
  const { report, state } = snapshot;
  pageCsp ??= `${contentSecurityPolicy({ live: true })}; frame-ancestors 'none'`;
  const page = { type: 'text/html; charset=utf-8', body: report.html, csp: pageCsp };
  const data = (type: string, body: string) => ({ type, body, csp: "default-src 'none'; frame-ancestors 'none'" });
  const all = new Map([
    ['/', page],
    ['/index.html', page],
    [`/${report.names.html}`, page],
    ['/state.json', data('application/json; charset=utf-8', JSON.stringify(state))],
    [`/${report.names.csv}`, data('text/csv; charset=utf-8', report.csv)],
    [`/${report.names.json}`, data('application/json; charset=utf-8', report.json)],
  ]);
  if (report.config !== undefined) all.set(`/${report.names.config}`, data('application/json; charset=utf-8', report.config));
  return all;
}

function reply(res: http.ServerResponse, status: number, headers: Record<string, string>, body: string, head: boolean): void {
  res.writeHead(status, { ...COMMON_HEADERS, 'content-length': String(Buffer.byteLength(body)), ...headers });
  res.end(head ? undefined : body);
}

function handler(live: LiveReport, allowedHosts: Set<string> | undefined): http.RequestListener {
  return (req, res) => {
    const head = req.method === 'HEAD';
    const text = { 'content-type': 'text/plain; charset=utf-8' };
    if (allowedHosts && !allowedHosts.has((req.headers.host ?? '').toLowerCase())) {
      return reply(res, 421, text, `this report server answers only at ${[...allowedHosts].map((h) => `http://${h}/`).join(', ')}\n`, head);
    }
    if (req.method !== 'GET' && !head) return reply(res, 405, { ...text, allow: 'GET, HEAD' }, 'only GET and HEAD\n', head);
    const path = new URL(req.url ?? '/', 'http://report').pathname;
    const file = files(live.current()).get(path);
    if (!file) return reply(res, 404, text, `no ${path} here: the report is at /\n`, head);
    reply(res, 200, { 'content-type': file.type, 'content-security-policy': file.csp }, file.body, head);
  };
}

function listen(server: http.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new ServeError(`port ${port} on ${host} is in use: name another with --port, or --port 0 for any free one`));
      else if (err.code === 'EADDRNOTAVAIL') reject(new ServeError(`${host} is not an address of this machine: name one of its own with --host`));
      else reject(err);
    });
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

/** Refuses an address other machines reach unless allowed: the report has no password. */
export function checkHost(host: string, allowRemote = false): void {
  if (isLoopback(host) || allowRemote) return;
  throw new ServeError(
    `--host ${host} is not a loopback address: the report has no password and shows the search's prompts and architectures to anyone who reaches it. ` +
      `Add --allow-remote to serve it there anyway, or keep the default and reach it through a tunnel (ssh -L ${DEFAULT_PORT}:127.0.0.1:${DEFAULT_PORT} <this machine>)`,
  );
}

/** Serves the report that `read` gathers; the host is checked before anything is read. */
export async function serveReport(read: () => Promise<SearchReportData>, options: ServeOptions = {}): Promise<ReportServer> {
  const host = options.host ?? DEFAULT_HOST;
  checkHost(host, options.allowRemote);
  const live = await startLiveReport({
    read,
    ...(options.intervalMs !== undefined ? { intervalMs: options.intervalMs } : {}),
    ...(options.startCommand ? { startCommand: options.startCommand } : {}),
    ...(options.onEnded ? { onEnded: options.onEnded } : {}),
  });
  const server = http.createServer();
  let port: number;
  try {
    port = await listen(server, host, options.port ?? DEFAULT_PORT);
  } catch (err) {
    live.stop();
    throw err;
  }
  const names = isLoopback(host) ? ['127.0.0.1', 'localhost', '[::1]', urlHost(host)] : undefined;
  server.on('request', handler(live, names && new Set(names.map((n) => `${n}:${port}`.toLowerCase()))));
  return {
    url: `http://${urlHost(host)}:${port}/`,
    live,
    async close() {
      live.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Serves a search's report, read from its workflow history. */
export function serveSearchReport(client: Client, workflowId: string, options: ServeOptions = {}): Promise<ReportServer> {
  return serveReport(() => gatherSearch(client, workflowId), options);
}
