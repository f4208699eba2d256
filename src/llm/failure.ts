/**
 * How a failed LLM call is reported, in one place: which failures another
 * attempt may fix, the failure type the `llmChat` activity gives each, its
 * message, and what the workflow makes of it once Temporal's retries are
 * spent. The provider (LlmError), the activity (src/activities/llm.ts) and the
 * workflow's port (llmFailures in src/workflows/failures.ts) all read these
 * rules, so they cannot drift apart.
 *
 * Pure, with no imports: the workflow sandbox imports it (as it does ./types).
 */

/** Why a provider's call failed (LlmError's kind). */
export type LlmErrorKind =
  | 'auth' // 401/403: wrong or missing API key
  | 'not_found' // 404: unknown model or wrong base URL
  | 'bad_request' // the server refuses the request itself as malformed (400/422, or a 500 whose message says so)
  | 'context_overflow' // the prompt leaves no room for an answer in the model's context, even with its history trimmed
  | 'rate_limit' // 429
  | 'timeout'
  | 'server' // 5xx, connection reset
  | 'config' // our own configuration is wrong (missing key variable, missing model file)
  | 'not_allowed'; // the worker's allow-list refuses the endpoint or the key variable

/**
 * Why the `llmChat` activity failed: a provider's kind, or an answer the
 * activity refused because it would not fit the workflow history.
 */
export type LlmFailureKind = LlmErrorKind | 'answer_too_large';

// Every kind, as a record so that a kind added above fails to compile until it is listed here.
const KINDS: Record<LlmFailureKind, true> = {
  auth: true,
  not_found: true,
  bad_request: true,
  context_overflow: true,
  rate_limit: true,
  timeout: true,
  server: true,
  config: true,
  not_allowed: true,
  answer_too_large: true,
};

/** The kind an activity failure's type (llmFailureType) stands for; undefined for a type that is none of them. */
export function llmFailureKindOfType(type: string | undefined): LlmFailureKind | undefined {
  return (Object.keys(KINDS) as LlmFailureKind[]).find((kind) => llmFailureType(kind) === type);
}

/** Timeouts, 429 and 5xx may pass (Temporal retries them, with backoff), and an oversized answer is asked again. */
const RETRYABLE: ReadonlySet<LlmFailureKind> = new Set<LlmFailureKind>(['rate_limit', 'timeout', 'server', 'answer_too_large']);

/** Whether another attempt may fix a failure of this kind. */
export function isRetryableLlmFailure(kind: LlmFailureKind): boolean {
  return RETRYABLE.has(kind);
}

/**
 * Failures of the request itself (malformed to this server, or too long for
 * its model): no retry fixes them, but unlike a rejected key they need not end
 * the search at once, since the next call's request is a different one. A
 * search rides out a run of them up to collm's `maxLlmRefusals`.
 */
const REFUSAL_TYPES: ReadonlySet<string> = new Set((['bad_request', 'context_overflow'] as const).map((kind) => llmFailureType(kind)));

/** Whether an activity failure of this type (llmFailureType) is a refusal of the request. */
export function isLlmRefusalType(type: string | undefined): boolean {
  return type !== undefined && REFUSAL_TYPES.has(type);
}

/** The activity failure's type for a kind: `auth` → `LlmAuthError`, `rate_limit` → `LlmRateLimitError`. */
export function llmFailureType(kind: LlmFailureKind): string {
  return `Llm${kind[0]!.toUpperCase()}${kind.slice(1).replace(/_(\w)/g, (_, c: string) => c.toUpperCase())}Error`;
}

/** What the `llmChat` activity throws (as an ApplicationFailure) for a failed call. */
export interface LlmActivityFailure {
  message: string;
  type: string;
  retryable: boolean;
}

/**
 * The activity's failure for a call made for `purpose` ("navigator",
 * "generator"...) that failed with `kind` and `message`. A failure no retry
 * fixes, and an oversized answer, name the call's purpose ("generator LLM:
 * ..."); a provider failure that may pass keeps the provider's own message,
 * which the workflow quotes once the retries are spent (llmUnavailableMessage).
 */
export function llmActivityFailure(purpose: string, kind: LlmFailureKind, message: string): LlmActivityFailure {
  const retryable = isRetryableLlmFailure(kind);
  const named = !retryable || kind === 'answer_too_large';
  return { message: named ? `${purpose} LLM: ${message}` : message, type: llmFailureType(kind), retryable };
}

/**
 * LlmUnavailable's message for a call whose retries are spent, quoting the
 * last failure. The workflow raises it for a failure the activity marked
 * retryable (by the rules above) or a timeout (the worker died or hung); any
 * other failure ends the search with the activity's own message and type.
 */
export function llmUnavailableMessage(lastFailure: string): string {
  return `LLM call failed after its retries: ${lastFailure}`;
}

/** The failure type, and message, with which LlmUnavailable ends a search under `onLlmFailure: "fail"`. */
export const LLM_UNAVAILABLE_TYPE = 'LlmUnavailable';
export function searchEndsMessage(unavailable: string): string {
  return `the search ends (onLlmFailure "fail"): ${unavailable}`;
}
