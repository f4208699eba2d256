import { ServiceError, WorkflowFailedError, WorkflowUpdateFailedError, isGrpcServiceError } from '@temporalio/client';
import {
  CancelledFailure,
  TerminatedFailure,
  TimeoutFailure,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
} from '@temporalio/common';
import { ConfigError } from '../search/config';
import type { TemporalTarget } from '../temporal/connection';
import { EXIT, type ExitCode } from './exit-codes';

/**
 * An error whose message is advice (what went wrong, which flag or field,
 * what to do) and whose exit code says its kind. Everything a command throws
 * becomes one of these before it reaches the user. An empty message exits
 * with the code alone, after a command has printed its own verdict.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.error,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function usageError(message: string): CliError {
  return new CliError(message, EXIT.usage);
}

/** The advice when nothing answers at the address in use. */
export function noServerMessage(target: Pick<TemporalTarget, 'address' | 'external'>, detail?: string): string {
  const why = (source?: string): string => {
    const parts = [source, detail?.replace(/^Failed/, 'failed')].filter(Boolean);
    return parts.length > 0 ? ` (${parts.join('; ')})` : '';
  };
  if (!target.external) {
    return `no Temporal server at ${target.address}${why()}: run \`collm-nas server start\` or set TEMPORAL_ADDRESS`;
  }
  const [host, port] = target.address.split(':');
  return host === '127.0.0.1' || host === 'localhost'
    ? `no Temporal server at ${target.address}${why('TEMPORAL_ADDRESS')}: run \`collm-nas server start --port ${port}\`, or point TEMPORAL_ADDRESS at a running server`
    : `no Temporal server answers at ${target.address}${why('TEMPORAL_ADDRESS')}: check the address and the TLS and API key settings (TEMPORAL_TLS*, TEMPORAL_API_KEY), or unset TEMPORAL_ADDRESS to use a local dev server`;
}

/** What a search's failure says, from the failure the workflow closed with. */
function failureText(workflowId: string, err: WorkflowFailedError): string {
  const cause = err.cause;
  if (cause instanceof TerminatedFailure) return `search '${workflowId}' was terminated${cause.message ? `: ${cause.message}` : ''}`;
  if (cause instanceof CancelledFailure) return `search '${workflowId}' was cancelled`;
  if (cause instanceof TimeoutFailure) return `search '${workflowId}' timed out (its workflow execution timeout)`;
  return `search '${workflowId}' failed: ${cause?.message ?? err.message}`;
}

/** Turns what the SDK, the config layer and the commands throw into advice with an exit code. */
export function explain(err: unknown, target: TemporalTarget, workflowId?: string): CliError {
  if (err instanceof CliError) return err;
  // The config layer's message already names every bad field and its fix.
  if (err instanceof ConfigError) return new CliError(err.message, EXIT.usage);
  if (err instanceof WorkflowNotFoundError) {
    const id = err.workflowId || workflowId || '?';
    if (/already completed/i.test(err.message)) {
      return new CliError(`search '${id}' has already finished, so it takes no signals or updates: \`collm-nas result ${id}\` shows its result`, EXIT.searchFailed);
    }
    return notFound(id, target);
  }
  if (err instanceof WorkflowFailedError) return new CliError(failureText(workflowId ?? '?', err), EXIT.searchFailed);
  if (err instanceof WorkflowUpdateFailedError) return new CliError(`the search refused the update: ${err.cause?.message ?? err.message}`, EXIT.error);
  if (err instanceof WorkflowExecutionAlreadyStartedError) {
    return new CliError(`a search with workflow id '${err.workflowId}' already exists: give another --id, or \`collm-nas watch ${err.workflowId}\``, EXIT.error);
  }
  if (err instanceof ServiceError && /^Failed to query/.test(err.message)) {
    // Queries are answered by a control worker, even for a finished search.
    return new CliError(
      `search '${workflowId ?? '?'}' did not answer the query (${causeText(err)}): a control worker must be polling its task queue; start one with \`npx collm-nas worker control\``,
    );
  }
  if (isGrpcServiceError(err) && err.code === 5 && workflowId) return notFound(workflowId, target); // NOT_FOUND
  if (isGrpcServiceError(err) && err.code === 14) return new CliError(noServerMessage(target, err.details), EXIT.noServer); // UNAVAILABLE
  return new CliError((err as Error)?.message ?? String(err));
}

/**
 * A visibility query (--query) the server refused: INVALID_ARGUMENT, which
 * the SDK wraps in "Failed to list workflows", carries the server's own words
 * on what is wrong with it. Undefined for any other error.
 */
export function refusedQuery(err: unknown, flag: string, sent: string): CliError | undefined {
  const grpc = [err, (err as Error)?.cause].find(isGrpcServiceError);
  return grpc?.code === 3 ? usageError(`${flag}: ${grpc.details} (in the query sent: ${sent})`) : undefined;
}

function causeText(err: ServiceError): string {
  const cause = err.cause as { details?: string; message?: string } | undefined;
  return cause?.details || cause?.message || err.message;
}

function notFound(workflowId: string, target: TemporalTarget): CliError {
  return new CliError(
    `no search with workflow id '${workflowId}' in namespace '${target.namespace}' at ${target.address}: \`collm-nas list\` shows the searches there`,
    EXIT.searchFailed,
  );
}
