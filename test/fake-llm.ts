import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local OpenAI-compatible endpoint scripted by the test: the one boundary
 * the tests fake. Requests go over real HTTP through the `openai` package.
 */
export interface LlmRequestSeen {
  role: 'navigator' | 'generator' | 'summary' | 'other';
  body: { messages: { role: string; content: string }[]; response_format?: unknown; [k: string]: unknown };
  authorization?: string;
}

export type Reply =
  | { status?: number; content?: string; reasoning?: string; delayMs?: number; error?: string }
  | 'hang';

export interface FakeLlm {
  baseUrl: string;
  seen: LlmRequestSeen[];
  close(): Promise<void>;
}

function roleOf(messages: { role: string; content: string }[]): LlmRequestSeen['role'] {
  const system = messages[0]?.content ?? '';
  const last = messages[messages.length - 1]?.content ?? '';
  if (/Summarise everything above/.test(last)) return 'summary';
  if (system.includes('You are the Navigator')) return 'navigator';
  if (system.includes('You are the Generator')) return 'generator';
  return 'other';
}

/** `port` 0 (the default) takes any free port; a script confined to a port range names one. */
export async function startFakeLlm(reply: (req: LlmRequestSeen, index: number) => Reply, port = 0): Promise<FakeLlm> {
  const seen: LlmRequestSeen[] = [];
  const pending = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    if (req.method === 'GET') {
      // The provider's probes (/props, /v1/models): a server that offers neither, as OpenAI's own.
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'not found' } }));
      return;
    }
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const body = JSON.parse(raw || '{}') as LlmRequestSeen['body'];
      const entry: LlmRequestSeen = { role: roleOf(body.messages ?? []), body, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) };
      seen.push(entry);
      const r = reply(entry, seen.length - 1);
      if (r === 'hang') {
        pending.add(res);
        return;
      }
      const send = (): void => {
        const status = r.status ?? 200;
        res.writeHead(status, { 'content-type': 'application/json' });
        if (status !== 200) {
          res.end(JSON.stringify({ error: { message: r.error ?? `status ${status}` } }));
          return;
        }
        res.end(
          JSON.stringify({
            id: `fake-${seen.length}`,
            object: 'chat.completion',
            created: 0,
            model: String(body.model ?? 'fake'),
            choices: [
              {
                index: 0,
                finish_reason: 'stop',
                message: { role: 'assistant', content: r.content ?? '', ...(r.reasoning ? { reasoning_content: r.reasoning } : {}) },
              },
            ],
            usage: { prompt_tokens: 100, completion_tokens: 50, total_tokens: 150 },
          }),
        );
      };
      if (r.delayMs) setTimeout(send, r.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    seen,
    close: async () => {
      for (const res of pending) res.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

export const STRATEGY_TEXT = `# SUMMARY
Explore convolution-heavy cells first.
# KEY PATTERNS
3x3 convolutions on the path to the output help.
# NAVIGATION DIRECTIONS
## Edge 0->1 (node 1 from the input)
Prefer nor_conv_3x3.`;

const OPS = ['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3'];

/** `count` distinct cells, chosen by a simple seeded walk (deterministic per call index). */
export function cells(count: number, salt: number): string[][] {
  const out: string[][] = [];
  let x = (salt * 2654435761) >>> 0;
  while (out.length < count) {
    x = (Math.imul(x ^ (x >>> 15), 2246822519) + 0x9e3779b9) >>> 0;
    out.push(Array.from({ length: 6 }, (_, e) => OPS[(x >>> (e * 3)) % 5]!));
  }
  return out;
}

/** How many candidates the Generator request asks for ("Write exactly N ..."). */
export function requestedCount(req: LlmRequestSeen): number {
  const m = /Write (?:exactly )?(\d+)/.exec(req.body.messages[req.body.messages.length - 1]?.content ?? '');
  return m ? Number(m[1]) : 10;
}
