/**
 * What this worker has learned about each endpoint (per base URL and model):
 * the structured-output mode it accepts and the context its model has. One
 * cheap probe per endpoint and worker (GET /props, then GET /models), and
 * what refusals teach later; a provider instance per call would otherwise
 * pay the refused requests again on every call.
 */

/** How one request asks for JSON. */
export type StructuredMode = 'json_schema' | 'json_object' | 'grammar' | 'prompt';

export interface EndpointFacts {
  /** The mode `auto` uses now; undefined until the probe has run. */
  mode?: StructuredMode;
  /** Tokens of context (prompt + answer); undefined when the server does not say. */
  contextTokens?: number;
  /** The server's kind, as the probe recognised it. */
  server?: 'llama.cpp' | 'vllm' | 'other';
}

const known = new Map<string, EndpointFacts>();
const probing = new Map<string, Promise<EndpointFacts>>();

const key = (baseUrl: string, model: string): string => `${baseUrl}\u0000${model}`;

/** Forgets every endpoint (tests that reuse a port for another server). */
export function forgetEndpoints(): void {
  known.clear();
  probing.clear();
}

export function endpointFacts(baseUrl: string, model: string): EndpointFacts | undefined {
  return known.get(key(baseUrl, model));
}

export function learn(baseUrl: string, model: string, facts: Partial<EndpointFacts>): void {
  const k = key(baseUrl, model);
  known.set(k, { ...known.get(k), ...facts });
}

/** The facts for an endpoint, probing it once per worker (concurrent calls share the probe). */
export function probeEndpoint(baseUrl: string, model: string, headers: Record<string, string>, timeoutMs: number): Promise<EndpointFacts> {
  const k = key(baseUrl, model);
  const have = known.get(k);
  if (have?.server !== undefined) return Promise.resolve(have);
  let running = probing.get(k);
  if (!running) {
    running = probe(baseUrl, model, headers, timeoutMs).then((facts) => {
      probing.delete(k);
      // Facts learned from refusals while the probe ran win over the probe's guesses;
      // a probe nobody answered is not remembered, so the next call probes again.
      const merged = { ...facts, ...known.get(k) };
      if (facts.server !== undefined) known.set(k, merged);
      return merged;
    });
    probing.set(k, running);
  }
  return running;
}

async function probe(baseUrl: string, model: string, headers: Record<string, string>, timeoutMs: number): Promise<EndpointFacts> {
  const base = baseUrl.replace(/\/+$/, '');
  // llama.cpp's server answers /props beside /v1; its n_ctx is the context of one slot.
  const propsAnswer = await getJson(`${base.replace(/\/v1$/, '')}/props`, headers, timeoutMs);
  const props = propsAnswer.json;
  const settings = record(record(props)?.['default_generation_settings']);
  if (settings) {
    const nCtx = positive(settings['n_ctx']) ?? positive(record(props)?.['n_ctx']);
    return { server: 'llama.cpp', mode: 'grammar', ...(nCtx ? { contextTokens: nCtx } : {}) };
  }
  const modelsAnswer = await getJson(`${base}/models`, headers, timeoutMs);
  // Nothing answered (a server still starting, a network fault): this call uses the standard field,
  // and the next one probes again rather than remember a guess for the worker's lifetime.
  if (!propsAnswer.answered && !modelsAnswer.answered) return { mode: 'json_schema' };
  const models = record(modelsAnswer.json);
  const list = Array.isArray(models?.['data']) ? (models['data'] as unknown[]).map(record) : [];
  const entry = list.find((m) => m?.['id'] === model) ?? (list.length === 1 ? list[0] : undefined);
  const meta = record(entry?.['meta']);
  const contextTokens =
    positive(entry?.['max_model_len']) ?? positive(entry?.['context_length']) ?? positive(meta?.['n_ctx']) ?? positive(meta?.['n_ctx_train']);
  const server = entry?.['max_model_len'] !== undefined ? 'vllm' : 'other';
  return { server, mode: 'json_schema', ...(contextTokens ? { contextTokens } : {}) };
}

/**
 * A GET's JSON answer (undefined for anything else: a probe must never fail a
 * call), and whether the server answered at all, if only with a 404.
 */
async function getJson(url: string, headers: Record<string, string>, timeoutMs: number): Promise<{ answered: boolean; json?: unknown }> {
  let response: Response;
  try {
    response = await fetch(url, { headers, signal: AbortSignal.timeout(Math.min(timeoutMs, 10_000)) });
  } catch {
    return { answered: false };
  }
  if (!response.ok) {
    await response.body?.cancel();
    return { answered: true };
  }
  try {
    return { answered: true, json: (await response.json()) as unknown };
  } catch {
    return { answered: true };
  }
}

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function positive(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
}
