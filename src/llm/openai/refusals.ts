/**
 * What a server's refusal means, read from its message as well as its
 * status: servers disagree on statuses (llama-cpp-python answers a request
 * its validation refuses with 500, llama.cpp's server a prompt longer than
 * its context with 400 or 500), and only the meaning says whether another
 * attempt can help.
 */

/** Why a request was refused, where the message says so. */
export type Refusal =
  /** The prompt and the answer's room do not fit the model's context: the same request fails again. */
  | 'context_overflow'
  /** The server does not take this way of asking for structured output (response_format, json_schema, grammar). */
  | 'structured_output'
  /** The request itself is malformed to this server (a validation error). */
  | 'malformed';

const CONTEXT_OVERFLOW =
  /exceeds? the (available )?context|context (size|length|window)|maximum context|context_length_exceeded|too many tokens|prompt is too long|n_ctx|requested \d+ tokens/i;
const STRUCTURED_OUTPUT = /response_format|json_schema|json schema|json_object|structured output|guided|grammar/i;
// pydantic ("Input should be", "Field required", "validation error"), OpenAI ("Unrecognized request argument"), llama.cpp ("invalid").
const MALFORMED = /input should be|field required|validation error|unrecognized request argument|extra inputs are not permitted|invalid (request|argument|value|json|type)|is not supported|unsupported (parameter|value)/i;

/** The refusal a status and message describe, or undefined for a failure that may pass (an overload, a crash). */
export function refusalOf(status: number | undefined, message: string): Refusal | undefined {
  if (status === undefined || status < 400) return undefined;
  // Auth, unknown model, rate limits and timeouts keep their own meaning.
  if ([401, 403, 404, 408, 429].includes(status)) return undefined;
  if (CONTEXT_OVERFLOW.test(message)) return 'context_overflow';
  if (STRUCTURED_OUTPUT.test(message) && (status < 500 || MALFORMED.test(message) || /not supported|unsupported|unknown|invalid/i.test(message))) {
    return 'structured_output';
  }
  if (status < 500 || MALFORMED.test(message)) return 'malformed';
  return undefined;
}

/** The context size a context-overflow message states ("... context size (8192 tokens)", "n_ctx: 8192"), if any. */
export function contextInMessage(message: string): number | undefined {
  const m = /context(?: size| length| window)?[^\d]{0,20}(\d{3,7})|n_ctx\D{0,5}(\d{3,7})/i.exec(message);
  const n = m ? Number(m[1] ?? m[2]) : NaN;
  return Number.isFinite(n) && n > 0 ? n : undefined;
}
