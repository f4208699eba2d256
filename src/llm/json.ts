/**
 * Getting a JSON answer out of model text. Small and local models wrap their
 * JSON in prose, code fences and reasoning, so providers without enforced
 * structured output (and those whose enforcement was ignored) go through here.
 */

export interface StrippedText {
  text: string;
  reasoning?: string;
}

// <thinking> appears in some fine-tunes; <think> is the DeepSeek-R1/Qwen3 convention.
const THINK_BLOCK = /<(think|thinking)>([\s\S]*?)<\/\1>/gi;
const THINK_OPEN = /^\s*<(think|thinking)>/i;
const THINK_CLOSE = /<\/(think|thinking)>/i;

/** Separates reasoning ("thinking") text from the answer. */
export function stripReasoning(text: string): StrippedText {
  const reasoning: string[] = [];
  let rest = text;

  // Chat templates of R1/Qwen3 put the opening <think> into the prompt, so the
  // completion starts mid-reasoning and only the closing tag shows up.
  const close = THINK_CLOSE.exec(rest);
  if (close && !/<(think|thinking)>/i.test(rest.slice(0, close.index))) {
    reasoning.push(rest.slice(0, close.index));
    rest = rest.slice(close.index + close[0].length);
  }

  rest = rest.replace(THINK_BLOCK, (_match, _tag: string, inner: string) => {
    reasoning.push(inner);
    return '';
  });

  // An opening tag that never closes: the answer was cut off (max tokens) while
  // the model was still thinking, so everything after it is reasoning.
  const open = THINK_OPEN.exec(rest);
  if (open) {
    reasoning.push(rest.slice(open[0].length));
    rest = '';
  }

  const joined = reasoning.map((r) => r.trim()).filter((r) => r.length > 0).join('\n\n');
  return joined ? { text: rest.trim(), reasoning: joined } : { text: rest.trim() };
}

const FENCE = /```[ \t]*([A-Za-z0-9_-]*)[^\n]*\n([\s\S]*?)```/g;

/**
 * The first JSON value in `text`: the content of a ```json (or unlabelled)
 * fenced block, else the first balanced {...} or [...] that parses.
 * Undefined when nothing parses; validation against a schema is the caller's job.
 */
export function extractJson(text: string): unknown | undefined {
  const whole = tryParse(text.trim());
  if (whole !== undefined) return whole;

  for (const match of text.matchAll(FENCE)) {
    const lang = (match[1] ?? '').toLowerCase();
    if (lang !== '' && lang !== 'json' && lang !== 'jsonc' && lang !== 'json5') continue;
    const value = tryParse((match[2] ?? '').trim());
    if (value !== undefined) return value;
  }

  for (let start = 0; start < text.length; start++) {
    const ch = text[start];
    if (ch !== '{' && ch !== '[') continue;
    const end = balancedEnd(text, start);
    if (end === undefined) continue;
    const value = tryParse(text.slice(start, end + 1));
    if (value !== undefined) return value;
  }
  return undefined;
}

function tryParse(candidate: string): unknown | undefined {
  // Only objects and arrays: a bare word like `true` or `42` in prose is not an answer.
  if (!candidate.startsWith('{') && !candidate.startsWith('[')) return undefined;
  try {
    return JSON.parse(candidate) as unknown;
  } catch {
    return undefined;
  }
}

/** Index of the bracket closing the one at `start`, skipping brackets inside strings. */
function balancedEnd(text: string, start: number): number | undefined {
  const stack: string[] = [];
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{') stack.push('}');
    else if (ch === '[') stack.push(']');
    else if (ch === '}' || ch === ']') {
      if (stack.pop() !== ch) return undefined;
      if (stack.length === 0) return i;
    }
  }
  return undefined;
}
