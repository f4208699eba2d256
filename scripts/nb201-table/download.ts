/**
 * Downloads pinned files and checks each one's sha256 before anything reads
 * it: the table must come out the same everywhere, and a changed or tampered
 * file must stop the build rather than slip wrong numbers into it.
 */
import { createHash } from 'node:crypto';
import { sourceName, sourceUrl, type Pinned } from './sources';

/** The file could not be fetched at all (no network, DNS, refused, HTTP error, timeout). */
export class DownloadError extends Error {}

/** The file arrived but is not the pinned one. */
export class ChecksumError extends Error {}

export interface DownloadOptions {
  /** Base URL, e.g. https://raw.githubusercontent.com. */
  base: string;
  /** Per file, in ms. */
  timeoutMs?: number;
  /** Files fetched at once. */
  concurrency?: number;
}

function reason(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return 'timed out';
  const cause = e.cause?.code ?? e.cause?.message;
  return cause ? `${e.message ?? 'failed'} (${cause})` : (e.message ?? String(err));
}

async function fetchOne(file: Pinned, opts: DownloadOptions, abort: AbortSignal): Promise<Buffer> {
  const url = sourceUrl(opts.base, file);
  let body: Buffer;
  try {
    const res = await fetch(url, { signal: AbortSignal.any([abort, AbortSignal.timeout(opts.timeoutMs ?? 120_000)]) });
    if (!res.ok) throw new DownloadError(`could not download ${sourceName(file)} from ${url}: the server answered ${res.status} ${res.statusText}`);
    body = Buffer.from(await res.arrayBuffer());
  } catch (err) {
    if (err instanceof DownloadError) throw err;
    throw new DownloadError(`could not download ${sourceName(file)} from ${url}: ${reason(err)}`);
  }
  const got = createHash('sha256').update(body).digest('hex');
  if (got !== file.sha256) {
    throw new ChecksumError(
      `${sourceName(file)} from ${url} has sha256 ${got}, expected ${file.sha256}; refusing it ` +
        '(the file at a pinned commit never changes, so the server or something between sent another file)',
    );
  }
  return body;
}

/** Fetches every file, a few at a time; the first failure stops the rest and is thrown. */
export async function downloadAll(files: readonly Pinned[], opts: DownloadOptions): Promise<Map<Pinned, Buffer>> {
  const out = new Map<Pinned, Buffer>();
  const queue = [...new Set(files)];
  const stop = new AbortController();
  let first: unknown;
  const worker = async (): Promise<void> => {
    for (let file = queue.shift(); file && first === undefined; file = queue.shift()) {
      try {
        out.set(file, await fetchOne(file, opts, stop.signal));
      } catch (err) {
        first ??= err;
        stop.abort();
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 6 }, worker));
  if (first !== undefined) throw first;
  return out;
}
