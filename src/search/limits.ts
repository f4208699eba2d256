/**
 * Sizes of what people and LLMs send into a search. All of it lands in the
 * workflow history (a config is stored as the input, the resolved config,
 * the memo and every continue-as-new's input; a hint as a signal; an answer
 * as an activity result), where Temporal refuses a payload over 2 MB and
 * every replay reads it again, so anything larger is refused with a message
 * before it gets there. Plain values (no Temporal import): the workflow and
 * the config schema read them too, as does the schedule id's pattern at the end.
 */

/** A search config as JSON text, in characters. The largest real configs are a few KB. */
export const MAX_CONFIG_CHARS = 256 * 1024;

/** `seedArchitectures` entries: far more than a search evaluates first. */
export const MAX_SEED_ARCHITECTURES = 1000;

/** One architecture's text; every space's is a few hundred characters at most. */
export const MAX_ARCH_CHARS = 4000;

/** A steering hint (`steer` signal); the Navigator reads it in its prompt. */
export const MAX_HINT_CHARS = 2000;

/** Hints waiting for the Navigator's next turn; more are dropped (they cross continue-as-new). */
export const MAX_PENDING_HINTS = 20;

/** An LLM's answer text; far above any `maxTokens` an answer is asked for with. */
export const MAX_LLM_ANSWER_CHARS = 256 * 1024;

/** Reasoning kept beside an answer for the search log; the rest is cut. */
export const MAX_LLM_REASONING_CHARS = 64 * 1024;

/**
 * A search's evaluation budget, extensions included: twenty times the
 * paper's largest. The state crossing continue-as-new still grows by 23-52
 * bytes per evaluation (packed; bench:scale), so this keeps it near 1 MB at
 * most, under Temporal's 2 MB payload limit.
 */
export const MAX_BUDGET = 20_000;

/**
 * Evaluations a search's result lists in `history` (the most recent; config
 * `resultHistory`). An OFA evaluation is ~400 bytes of JSON, so 500 keep the
 * result near 200 KB; the search log holds them all.
 */
export const DEFAULT_RESULT_HISTORY = 500;

/** The most `resultHistory` may be: 2,000 OFA evaluations are ~800 KB, well below the 2 MB payload limit. */
export const MAX_RESULT_HISTORY = 2000;

/** A schedule id goes into visibility queries between single quotes, so it may not contain quotes or backslashes. */
export const SCHEDULE_ID_PATTERN = /^[^'"\\]+$/;

/**
 * Screened-out candidates a search keeps in its state for strategies to see
 * (the most recent): the state crosses continue-as-new as one payload, and a
 * pool ten times the batch screens out nine candidates per evaluation.
 */
export const MAX_SCREENED_KEPT = 500;
