import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startSearch } from '../src/client/search';
import { fileBase, serveReport, serveSearchReport, type LiveState, type ReportServer, type SearchReportData } from '../src/report';
import type { SearchResult } from '../src/search/summary';
import { progressQuery, steerSignal } from '../src/workflows/api';
import { cells, requestedCount, startFakeLlm, STRATEGY_TEXT } from './fake-llm';
import { ADDRESS, inProcessWorkers, queues, uniqueId, useTemporal, waitFor } from './helpers';

const env = useTemporal();

/** Screenshots land here (gitignored) for people to look at. */
const ARTIFACTS = 'test-artifacts';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** How often the served page and its server look again: short, so that the test sees several updates. */
const INTERVAL_MS = 300;

const INJECTION = '<script>globalThis.__injected = 1</script><img src="x" onerror="globalThis.__injected = 2">';

let browser: Browser | undefined;
before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  // A missing browser is a failure, not a skip: npm test installs Chromium first (scripts/setup-test.sh).
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`);
  browser = await chromium.launch({ executablePath: CHROMIUM });
});
after(async () => {
  await browser?.close();
});

/** A page that fails the test on any script error; counts its polls of the server. */
async function openPage(url: string): Promise<{ page: Page; errors: string[]; polls: () => number }> {
  const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  let polls = 0;
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => {
    if (r.url().endsWith('/state.json')) polls++;
  });
  await page.goto(url);
  return { page, errors, polls: () => polls };
}

const shownCount = async (page: Page): Promise<number> => Number(await page.textContent('#live-evaluated'));
const visibleRows = (page: Page) => page.locator('#evaluations-table tbody tr:not([hidden])');
/** A column of the rows shown, as the cells' values. */
const column = (page: Page, key: string) =>
  page.evaluate((k) => {
    const table = (globalThis as any).document.getElementById('evaluations-table');
    const at = [...table.tHead.rows[0].cells].findIndex((th: any) => th.dataset.key === k);
    return [...table.tBodies[0].rows].filter((r: any) => !r.hidden).map((r: any) => (r.cells[at].dataset.v ?? r.cells[at].textContent) as string);
  }, key);

test('report --serve: the page follows a running search without a reload, keeps the reader\'s filter, sorts, and stops once the search ends', { timeout: 60_000 }, async () => {
  const fake = await startFakeLlm((req, i) => {
    if (req.role === 'navigator') return { content: `${STRATEGY_TEXT}\n${INJECTION}` };
    return { content: JSON.stringify({ candidates: cells(requestedCount(req), i) }) };
  });
  const q = queues('serve');
  // Slow evaluations: the search runs for several seconds while the page is open.
  const workers = await inProcessWorkers(env.native, q, { simulateMs: 400 });
  const id = uniqueId('serve');
  let server: ReportServer | undefined;
  let ended: LiveState | undefined;
  try {
    await workers.run(async () => {
      const handle = await startSearch(
        env.client,
        {
          budget: 40, batchSize: 4, seed: 3, strategy: 'collm',
          llm: { provider: 'openai', baseUrl: fake.baseUrl, model: 'fake-model', timeoutMs: 2000 },
          evaluation: { taskQueue: q.eval },
        },
        { taskQueue: q.control, workflowId: id },
      );
      await handle.signal(steerSignal, `prefer ${INJECTION}`);
      await waitFor('a first batch', async () => ((await handle.query(progressQuery)).evaluated >= 4 ? true : undefined), 30_000);
      server = await serveSearchReport(env.client, id, { port: 0, intervalMs: INTERVAL_MS, onEnded: (s) => (ended = s) });
      assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);

      const { page, errors, polls } = await openPage(server.url);
      try {
        assert.equal(await page.getAttribute('#live', 'data-status'), 'running');
        const first = await shownCount(page);
        assert.ok(first >= 4 && first < 40, `evaluated when opened: ${first}`);
        // The prompts and answers come collapsed.
        assert.equal(await page.getAttribute('#llm-exchanges', 'open'), null);
        assert.equal(await page.locator('#llm-exchanges .exchange').first().isVisible(), false);
        // Marks this very document: a reload would lose it.
        await page.evaluate(() => ((globalThis as any).__sameDocument = true));
        // The reader opens the exchanges and filters while the search runs; updates must undo neither.
        await page.locator('#llm-exchanges > summary').click();
        await page.fill('#evaluations-filter', 'iteration<=2');
        // Rows of later iterations arrive, and the filter hides them as they come.
        await page.waitForFunction(
          (n) => {
            const doc = (globalThis as any).document;
            return Number(doc.getElementById('live-evaluated').textContent) > n && doc.querySelectorAll('#evaluations-table tbody tr[hidden]').length > 0;
          },
          first,
          { timeout: 20_000 },
        );
        assert.equal(await page.evaluate(() => (globalThis as any).__sameDocument), true, 'updated in place, not reloaded');
        assert.equal(await page.inputValue('#evaluations-filter'), 'iteration<=2');
        const iterations = (await column(page, 'iteration')).map(Number);
        assert.ok(iterations.length > 0 && iterations.every((it) => it <= 2), `the filter still holds: ${iterations.join(',')}`);
        const total = await page.locator('#evaluations-table tbody tr').count();
        assert.ok(total > iterations.length);
        assert.equal(await page.textContent('#evaluations-count'), `${iterations.length} of ${total} shown`);
        assert.notEqual(await page.getAttribute('#llm-exchanges', 'open'), null, 'what the reader opened stays open');
        assert.equal(await page.locator('#llm-exchanges .exchange').first().isVisible(), true);
        // The charts were drawn again from the new data.
        const drawn = await page.evaluate(() => (globalThis as any).Chart.getChart('chart-best').data.datasets.find((d: any) => d.label === 'each evaluation').data.length as number);
        assert.ok(drawn > first, `chart points ${drawn} > ${first}`);
        await page.screenshot({ path: join(ARTIFACTS, 'report-serve-running.png'), fullPage: true });

        const result = (await handle.result()) as SearchResult;
        await page.waitForFunction(() => (globalThis as any).document.getElementById('live').dataset.status === 'completed', undefined, { timeout: 20_000 });
        assert.equal(await shownCount(page), result.evaluated);
        assert.match((await page.textContent('#live'))!, /has ended \(completed\): this page no longer updates/);
        assert.equal(ended?.status, 'completed');
        assert.equal(ended?.evaluated, result.evaluated);
        // Ended: the page asks its server no more.
        const asked = polls();
        await page.waitForTimeout(INTERVAL_MS * 4);
        assert.equal(polls(), asked, 'no polling once the search has ended');

        // With origins known, filter by one; then sort by accuracy, both ways.
        await page.fill('#evaluations-filter', 'origin=llm');
        const llm = (result.origins.evaluated as Record<string, number>).llm!;
        assert.ok(llm > 0);
        assert.equal(await visibleRows(page).count(), llm);
        assert.deepEqual([...new Set(await column(page, 'origin'))], ['llm']);
        await page.fill('#evaluations-filter', '');
        assert.equal(await visibleRows(page).count(), result.evaluated);
        const sortByAccuracy = page.locator('#evaluations-table th[data-key="val"] button');
        const accuracies = result.history.map((e) => e.valAcc);
        await sortByAccuracy.click();
        assert.deepEqual((await column(page, 'val')).map(Number), accuracies.slice().sort((a, b) => a - b));
        assert.equal(await page.getAttribute('#evaluations-table th[data-key="val"]', 'aria-sort'), 'ascending');
        await sortByAccuracy.click();
        assert.deepEqual((await column(page, 'val')).map(Number), accuracies.slice().sort((a, b) => b - a));

        // The strategies the reader left alone follow the page: only the latest is open.
        assert.equal(await page.locator('details.strategy[open]').count(), 1);
        assert.equal(await page.locator('details.strategy').last().getAttribute('open'), '');
        // The LLM's prompts and answers, Navigator and Generator, are inert text.
        const exchanges = page.locator('#llm-exchanges');
        assert.equal(await exchanges.locator('.exchange', { hasText: 'Generator (fake-model)' }).count(), Number(result.stats!.generatorCalls));
        const navigator = exchanges.locator('.exchange', { hasText: 'Navigator (fake-model)' }).first();
        await navigator.locator(':scope > summary').click();
        assert.ok((await navigator.textContent())!.includes(INJECTION));
        assert.ok((await page.locator('p.hint').first().textContent())!.includes(INJECTION));
        assert.equal(await page.evaluate(() => (globalThis as any).__injected), undefined);
        assert.equal(await page.locator('img').count(), 0);
        await page.screenshot({ path: join(ARTIFACTS, 'report-serve-ended.png'), fullPage: true });
        assert.deepEqual(errors, []);
      } finally {
        await page.close();
      }
    });
  } finally {
    await server?.close();
    await fake.close();
  }
});

test('report --serve: hostile text stays inert on the served page and in its files; only loopback names are answered', { timeout: 30_000 }, async () => {
  const arch = '</script><script>globalThis.__injected = 3</script>, "quoted"';
  const data: SearchReportData = {
    workflowId: 'x"><script>globalThis.__injected = 4</script>',
    runIds: ['r1'],
    status: 'failed',
    closeReason: 'endpoint https://user:hunter2@llm.example/v1 refused',
    input: { budget: 3 },
    evaluations: ['=HYPERLINK("http://evil.example")', `${arch} 1`, `${arch} 2`].map((a, i) => ({
      arch: a, key: String(i), origin: 'unknown', valAcc: 80 + i, cost: { flopsM: 10 + i, paramsM: 1 + i }, feasible: true, iteration: 1,
    })),
    failedEvaluations: [{ arch, error: INJECTION }],
    llm: [
      {
        at: '2025-06-01T00:00:00.000Z', evaluated: 0, purpose: 'navigator', model: 'm', tokensIn: 1, tokensOut: 1, latencyMs: 5,
        messages: [{ role: 'system', content: 'You are the Navigator. https://user:hunter2@llm.example/v1' }, { role: 'user', content: INJECTION }],
        answer: INJECTION, reasoning: arch,
      },
    ],
    llmFailures: [{ at: '2025-06-01T00:00:01.000Z', evaluated: 0, purpose: 'generator', model: 'm', error: INJECTION, messages: [{ role: 'user', content: arch }] }],
    strategies: [{ at: '2025-06-01T00:00:00.000Z', evaluated: 0, text: INJECTION }],
    hints: [{ at: '2025-06-01T00:00:00.500Z', evaluated: 0, text: INJECTION }],
  };
  // A non-loopback address is refused before anything is read or bound.
  await assert.rejects(serveReport(async () => data, { host: '0.0.0.0', port: 0 }), /not a loopback address.*--allow-remote/);
  const server = await serveReport(async () => data, { port: 0 });
  try {
    const { page, errors } = await openPage(server.url);
    try {
      assert.equal(await page.title(), `Search report: ${data.workflowId}`);
      await page.locator('#llm-exchanges > summary').click();
      for (const n of [1, 2]) await page.locator(`#llm-call-${n} > summary`).click();
      for (const id of ['#llm-call-1', '#llm-call-2', '#failed', '#timeline']) {
        assert.ok((await page.locator(id).textContent())!.includes(INJECTION), `${id} shows the text as text`);
      }
      await page.fill('#evaluations-filter', '</script><script>');
      assert.equal(await visibleRows(page).count(), 2);
      // Failed: the page says the search ended and does not poll.
      assert.equal(await page.getAttribute('#live', 'data-status'), 'failed');
      assert.equal(await page.evaluate(() => (globalThis as any).__injected), undefined);
      assert.equal(await page.locator('img').count(), 0);
      assert.ok(!(await page.content()).includes('hunter2'));
      await page.screenshot({ path: join(ARTIFACTS, 'report-serve-hostile.png'), fullPage: true });
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }

    const csv = await fetch(new URL(`${fileBase(data.workflowId)}.candidates.csv`, server.url));
    assert.equal(csv.status, 200);
    assert.equal((await csv.text()).trimEnd().split('\n')[1]!.split(',')[3], `"'=HYPERLINK(""http://evil.example"")"`);
    const html = await fetch(server.url);
    assert.match(html.headers.get('content-security-policy')!, /script-src 'sha256-[^']+'( 'sha256-[^']+')+; connect-src 'self'; frame-ancestors 'none'$/);
    assert.equal(html.headers.get('x-content-type-options'), 'nosniff');
    const state = (await (await fetch(new URL('state.json', server.url))).json()) as LiveState;
    assert.deepEqual([state.status, state.evaluated, state.best?.cost.flopsM], ['failed', 3, 12]);
    assert.equal((await fetch(new URL('nothing', server.url))).status, 404);
    assert.equal((await fetch(server.url, { method: 'POST' })).status, 405);
    // A page elsewhere that rebinds its own name to this address gets nothing.
    const { port } = new URL(server.url);
    const rebound = await new Promise<number>((resolve, reject) =>
      http.get({ host: '127.0.0.1', port, path: '/state.json', headers: { host: `evil.example:${port}` } }, (res) => resolve(res.statusCode!)).on('error', reject),
    );
    assert.equal(rebound, 421);
  } finally {
    await server.close();
  }
});

test('report --serve from the command line: prints the URL, serves until Ctrl-C, refuses a non-loopback --host', { timeout: 30_000 }, async () => {
  const q = queues('servecli');
  const id = uniqueId('servecli');
  const workers = await inProcessWorkers(env.native, q);
  await workers.run(async () => (await startSearch(env.client, { strategy: 'random', budget: 6, seed: 2, evaluation: { taskQueue: q.eval } }, { taskQueue: q.control, workflowId: id })).result());
  const cli = (args: string[]) => spawn('bin/collm-nas', ['report', ...args], { env: { ...process.env, TEMPORAL_ADDRESS: ADDRESS }, stdio: ['ignore', 'pipe', 'pipe'] });
  const ended = (child: ReturnType<typeof cli>) =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      let out = '';
      let err = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      child.on('exit', (code) => resolve({ code, out, err }));
    });

  const refused = await ended(cli([id, '--serve', '--host', '0.0.0.0']));
  assert.equal(refused.code, 2, refused.err);
  assert.match(refused.err, /--host 0\.0\.0\.0 is not a loopback address.*--allow-remote/);
  const stray = await ended(cli([id, '--port', '8300']));
  assert.equal(stray.code, 2, stray.err);
  assert.match(stray.err, /--port: only with --serve/);

  const child = cli([id, '--serve', '--port', '0', '--json']);
  const done = ended(child);
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve((JSON.parse(out.split('\n')[0]!) as { url: string }).url);
    });
    child.on('exit', (code) => reject(new Error(`exited ${code} before serving`)));
  });
  const page = await fetch(url);
  assert.equal(page.status, 200);
  assert.ok((await page.text()).includes(`Search report: ${id}`));
  child.kill('SIGINT');
  const { code } = await done;
  assert.equal(code, 0);
  await assert.rejects(fetch(url), 'nothing listens once stopped');
});
