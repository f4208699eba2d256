import { createHash } from 'node:crypto';
import { bestOf, overview } from './overview';
import { renderSearchReport, type RenderedReport } from './render';
import type { ReportEvaluation, SearchReportData, SearchStatusName } from './types';

/**
 * A report kept up to date: the history is read again every few seconds
 * while the search runs, and the report rendered again when what it shows
 * has changed (its version goes up). Once the search has ended the history
 * is read no more. What `report --serve` serves (./serve.ts).
 */

/** What a served page polls for: has the report changed, and how far has the search got. Field names as `collm-nas result --json`'s. */
export interface LiveState {
  workflowId: string;
  status: SearchStatusName;
  evaluated: number;
  budget?: number;
  /** The best feasible evaluation so far. */
  best?: ReportEvaluation;
  /** Goes up whenever the report changes. */
  version: number;
  /** ISO time the history was last read. */
  checkedAt: string;
  /** Why the last read failed, when it did: the report is the one read before. */
  readError?: string;
}

export interface LiveSnapshot {
  report: RenderedReport;
  state: LiveState;
}

export interface LiveReportOptions {
  /** Reads the search's report data (from its workflow history). */
  read: () => Promise<SearchReportData>;
  /** How often to read it while the search runs (default 2000 ms); longer when a read takes long. */
  intervalMs?: number;
  /** How the reproduce line starts a search (default "npm run nas -- start"). */
  startCommand?: string;
  /** Called once, when the search is seen to have ended. */
  onEnded?: (state: LiveState) => void;
}

export interface LiveReport {
  current(): LiveSnapshot;
  /** Reads no more. */
  stop(): void;
}

export const DEFAULT_INTERVAL_MS = 2000;

/** A read takes this many intervals' worth of waiting at least: a long history is not read back to back. */
const READ_COST_FACTOR = 3;

const fingerprint = (data: SearchReportData): string => createHash('sha256').update(JSON.stringify(data)).digest('hex');

/** Reads the search once (its errors, e.g. an unknown id, are thrown here), then keeps reading while it runs. */
export async function startLiveReport(options: LiveReportOptions): Promise<LiveReport> {
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  let version = 0;
  let seen = '';
  let snapshot: LiveSnapshot;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const render = (data: SearchReportData, checkedAt: string): LiveSnapshot => {
    const report = renderSearchReport(data, {
      ...(options.startCommand ? { startCommand: options.startCommand } : {}),
      live: { version, intervalMs, checkedAt },
    });
    const o = overview(report.data);
    const best = bestOf(report.data.evaluations)?.best;
    const state: LiveState = {
      workflowId: report.data.workflowId,
      status: report.data.status,
      evaluated: o.evaluated,
      ...(o.budget !== undefined ? { budget: o.budget } : {}),
      ...(best ? { best } : {}),
      version,
      checkedAt,
    };
    return { report, state };
  };

  const take = (data: SearchReportData): void => {
    const checkedAt = new Date().toISOString();
    const print = fingerprint(data);
    if (print === seen) {
      const state = { ...snapshot.state, checkedAt };
      delete state.readError;
      snapshot = { report: snapshot.report, state };
      return;
    }
    seen = print;
    version++;
    snapshot = render(data, checkedAt);
  };

  const schedule = (delayMs: number): void => {
    if (stopped) return;
    if (snapshot.state.status !== 'running') {
      options.onEnded?.(snapshot.state);
      return;
    }
    timer = setTimeout(() => void refresh(), delayMs);
  };

  const refresh = async (): Promise<void> => {
    const started = Date.now();
    try {
      take(await options.read());
    } catch (err) {
      snapshot = { report: snapshot.report, state: { ...snapshot.state, readError: (err as Error).message } };
    }
    schedule(Math.max(intervalMs, (Date.now() - started) * READ_COST_FACTOR));
  };

  take(await options.read());
  schedule(intervalMs);
  return {
    current: () => snapshot,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
