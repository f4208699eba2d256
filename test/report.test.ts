import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startSearch } from '../src/client/search';
import { searchLog } from '../src/client/search-log';
import { CHART_IDS, COMPARE_CHART_ID, gatherSearch, runReportCommand, writeReport, writeSearchFiles, type SearchReportData } from '../src/report';
import type { SearchResult } from '../src/search/summary';
import { progressQuery, steerSignal } from '../src/workflows/api';
import { cells, requestedCount, startFakeLlm, STRATEGY_TEXT } from './fake-llm';
import { inProcessWorkers, queues, uniqueId, useTemporal, waitFor } from './helpers';

const env = useTemporal();

/** Screenshots land here (gitignored) for people to look at. */
const ARTIFACTS = 'test-artifacts';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let browser: Browser | undefined;
let out: string;
before(async () => {
  out = mkdtempSync(join(tmpdir(), 'collm-report-'));
  mkdirSync(ARTIFACTS, { recursive: true });
  // A missing browser is a failure, not a skip: npm test installs Chromium first (scripts/setup-test.sh).
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`);
  browser = await chromium.launch({ executablePath: CHROMIUM });
});
after(async () => {
  await browser?.close();
  rmSync(out, { recursive: true, force: true });
});

interface Drawn {
  id: string;
  type: string;
  labels: number;
  datasets: { label: string; points: number; sum: number }[];
}

/** Opens a report from disk; collects console errors and uncaught exceptions from the moment it loads. */
async function open(file: string): Promise<{ page: Page; errors: string[]; charts: Map<string, Drawn> }> {
  const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(pathToFileURL(file).href);
  // What Chart.js itself holds, not what the page says it drew.
  const drawn = await page.evaluate(() =>
    Object.values((globalThis as any).Chart.instances as Record<string, any>).map((c: any) => ({
      id: c.canvas.id as string,
      type: c.config.type as string,
      labels: (c.data.labels ?? []).length as number,
      datasets: (c.data.datasets as any[]).map((d) => ({
        label: d.label as string,
        points: d.data.length as number,
        sum: d.data.reduce((n: number, v: unknown) => n + (typeof v === 'number' ? v : 0), 0) as number,
      })),
    })),
  );
  return { page, errors, charts: new Map(drawn.map((c) => [c.id, c])) };
}

const dataset = (chart: Drawn | undefined, label: string) => chart?.datasets.find((d) => d.label === label);
const points = (chart: Drawn | undefined, except: string[] = []) =>
  (chart?.datasets ?? []).filter((d) => !except.includes(d.label)).reduce((n, d) => n + d.points, 0);

const INJECTION = '<script>globalThis.__injected = 1</script><img src="x" onerror="globalThis.__injected = 2">';

test('report: a collm search as one offline HTML page with every chart drawn, CSV and JSON beside it', { timeout: 90_000 }, async () => {
  const secret = 'sk-report-DO-NOT-LEAK-987';
  process.env.COLLM_LLM_API_KEY_REPORT_TEST = secret;
  let generatorCalls = 0;
  // The Navigator's text carries markup: a report must show it, not run it.
  const fake = await startFakeLlm((req, i) => {
    if (req.role === 'navigator') return { content: `${STRATEGY_TEXT}\n${INJECTION}` };
    // The first Generator call fails for good: the batch is filled and the failure reported.
    if (++generatorCalls === 1) return { status: 503, error: 'the model is loading' };
    return { content: JSON.stringify({ candidates: cells(requestedCount(req), i) }) };
  });
  const q = queues('report');
  const workers = await inProcessWorkers(env.native, q);
  const id = uniqueId('report');
  const hint = 'Prefer <b>3x3</b> convolutions & fewer pools';
  try {
    const result = await workers.run(async () => {
      const handle = await startSearch(
        env.client,
        {
          budget: 30,
          batchSize: 10,
          seed: 5,
          strategy: 'collm',
          llm: { provider: 'openai', baseUrl: fake.baseUrl, model: 'fake-model', apiKeyEnv: 'COLLM_LLM_API_KEY_REPORT_TEST', timeoutMs: 2000 },
          llmCalls: { maximumAttempts: 1 },
          evaluation: { taskQueue: q.eval },
        },
        { taskQueue: q.control, workflowId: id },
      );
      await handle.signal(steerSignal, hint);
      return (await handle.result()) as SearchResult;
    });
    assert.equal(result.evaluated, 30);
    const origins = result.origins.evaluated as Record<string, number>;
    assert.ok(origins.fill! > 0 && origins.llm! > 0, JSON.stringify(origins));
    const exchanges = (await searchLog(env.client, id)).filter((e) => e.kind === 'llm');
    const navigatorTurns = exchanges.filter((e) => e.purpose === 'navigator').length;
    assert.ok(navigatorTurns >= 2);

    const written = await writeReport(env.client, id, out);
    assert.deepEqual([written.html, written.csv, written.json, written.config].map((p) => p && dirname(p)), [out, out, out, out]);

    // The files beside the page: one row per evaluation, as the search recorded them.
    const csv = readFileSync(written.csv, 'utf8').trimEnd().split('\n');
    assert.equal(csv.length - 1, result.evaluated);
    assert.match(csv[0]!, /^index,iteration,origin,arch,/);
    const json = JSON.parse(readFileSync(written.json, 'utf8')) as { arch: string; origin: string; valAcc: number }[];
    assert.deepEqual(json.map((e) => [e.arch, e.origin, e.valAcc]), result.history.map((e) => [e.arch, e.origin, e.valAcc]));
    assert.equal((JSON.parse(readFileSync(written.config!, 'utf8')) as { budget: number }).budget, 30);
    for (const file of [written.html, written.csv, written.json, written.config!]) {
      assert.ok(!readFileSync(file, 'utf8').includes(secret), `${file} holds no secret`);
    }
    const html = readFileSync(written.html, 'utf8');
    assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!127\.0\.0\.1)[\w.-]+\/[\w./-]*\.(js|css)/i, 'nothing loaded from elsewhere');

    const { page, errors, charts } = await open(written.html);
    try {
      const best = charts.get(CHART_IDS.best);
      assert.equal(dataset(best, 'best so far')?.points, 30);
      assert.equal(dataset(best, 'each evaluation')?.points, 30);
      assert.equal(dataset(best, 'test accuracy of the best so far')?.points, 30);
      assert.equal(dataset(best, 'Navigator strategy')?.points, navigatorTurns);
      assert.equal(dataset(best, 'steering hint')?.points, 1);

      for (const metric of ['flops', 'params'] as const) {
        const chart = charts.get(CHART_IDS.cost(metric));
        assert.equal(dataset(chart, 'Pareto front')?.points, result.pareto[metric]!.length, metric);
        assert.equal(points(chart, ['Pareto front']), 30, `${metric}: every evaluation once`);
        for (const [origin, n] of Object.entries(origins)) assert.equal(dataset(chart, origin)?.points, n, `${metric}: ${origin}`);
      }
      assert.ok(!charts.has(CHART_IDS.cost('latency')), 'no latency chart: this search measured none');

      const byOrigin = charts.get(CHART_IDS.origins);
      assert.equal(byOrigin?.labels, result.iterations);
      for (const [origin, n] of Object.entries(origins)) assert.equal(dataset(byOrigin, origin)?.sum, n, origin);

      assert.equal(points(charts.get(CHART_IDS.llmLatency)), exchanges.length);
      assert.equal(charts.get(CHART_IDS.llmTokens)?.labels, exchanges.length);
      assert.equal(dataset(charts.get(CHART_IDS.llmTokens), 'tokens in (prompt)')?.sum, exchanges.reduce((n, e) => n + e.tokensIn, 0));
      assert.equal(charts.size, 6);
      // Every canvas's declared count matches what Chart.js drew.
      for (const c of charts.values()) {
        assert.equal(Number(await page.getAttribute(`#${c.id}`, 'data-points')), points(c), c.id);
      }

      assert.equal(await page.locator('#llm-failures tbody tr').count(), Number(result.stats!.llmFailures));
      assert.match((await page.locator('#llm-failures').textContent())!, /loading|503/);
      // Untrusted text is shown as text: the markup is on the page and did nothing.
      assert.equal(await page.evaluate(() => (globalThis as any).__injected), undefined);
      assert.equal(await page.locator('img').count(), 0);
      assert.ok((await page.locator('details.strategy pre').first().textContent())!.includes(INJECTION));
      assert.equal(await page.locator('p.hint b').count(), 0);
      assert.ok((await page.locator('p.hint').textContent())!.includes(hint));
      assert.ok((await page.locator('#best').textContent())!.includes(result.best!.arch));
      assert.ok((await page.locator('#reproduce pre').first().textContent())!.endsWith(`start ${written.config!}`));

      await page.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  } finally {
    delete process.env.COLLM_LLM_API_KEY_REPORT_TEST;
    await fake.close();
  }
});

test('report: several searches get their reports and one comparison of their best-so-far curves', { timeout: 60_000 }, async () => {
  const q = queues('compare');
  const workers = await inProcessWorkers(env.native, q);
  const runs = [
    { id: uniqueId('cmp-random'), config: { budget: 20, strategy: 'random', seed: 1 } },
    { id: uniqueId('cmp-evolution'), config: { budget: 25, strategy: 'evolution', seed: 2, batchSize: 5 } },
  ];
  await workers.run(async () => {
    for (const r of runs) {
      const handle = await startSearch(env.client, { ...r.config, evaluation: { taskQueue: q.eval } }, { taskQueue: q.control, workflowId: r.id });
      await handle.result();
    }
  });
  const dir = join(out, 'compare');
  const paths = await runReportCommand(env.client, { workflowIds: runs.map((r) => r.id), outDir: dir });
  const comparison = join(dir, 'comparison.html');
  assert.ok(paths.includes(comparison) && paths.includes(join(dir, 'comparison.csv')), paths.join('\n'));
  assert.equal(paths.filter((p) => p.endsWith('.candidates.csv')).length, 2);
  assert.equal(readFileSync(join(dir, 'comparison.csv'), 'utf8').trimEnd().split('\n').length, 3);

  const { page, errors, charts } = await open(comparison);
  try {
    const chart = charts.get(COMPARE_CHART_ID);
    assert.deepEqual(
      chart?.datasets.map((d) => [d.label, d.points]),
      runs.map((r) => [r.id, r.config.budget]),
    );
    assert.equal(await page.locator('#comparison-table tbody tr').count(), 2);
    // Each row links to that search's own report, which exists beside it.
    const hrefs = await page.locator('#comparison-table tbody a').evaluateAll((as) => as.map((a) => (a as any).getAttribute('href') as string));
    assert.equal(hrefs.length, 2);
    for (const href of hrefs) assert.ok(existsSync(join(dir, href)), href);
    await page.screenshot({ path: join(ARTIFACTS, 'report-comparison.png'), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test('report: a search ended midway, across continue-as-new runs, is reported as far as it got', async () => {
  const q = queues('partial');
  const workers = await inProcessWorkers(env.native, q, { simulateMs: 20 });
  const id = uniqueId('partial');
  await workers.run(async () => {
    const handle = await startSearch(
      env.client,
      { budget: 1000, batchSize: 5, strategy: 'random', seed: 4, continueAsNewAfterEvents: 60, evaluation: { taskQueue: q.eval } },
      { taskQueue: q.control, workflowId: id },
    );
    await waitFor('two continue-as-new runs', async () => ((await handle.query(progressQuery)).runs >= 2 ? true : undefined));
    await handle.terminate('enough for the report');
  });
  const data = await gatherSearch(env.client, id);
  assert.equal(data.status, 'terminated');
  assert.equal(data.closeReason, 'enough for the report');
  assert.equal(data.result, undefined);
  assert.ok(data.runIds.length >= 3, `runs: ${data.runIds.length}`);
  // Every evaluation the history holds; those of runs that handed their state on keep their origin.
  const logged = (await searchLog(env.client, id)).filter((e) => e.kind === 'evaluation');
  const pairs = (list: { arch: string; valAcc: number }[]) => list.map((e) => `${e.arch} ${e.valAcc}`).sort();
  assert.deepEqual(pairs(data.evaluations), pairs(logged));
  assert.ok(data.evaluations.some((e) => e.origin === 'random'));
  assert.deepEqual([...new Set(data.evaluations.map((e) => e.origin))].sort(), data.evaluations.some((e) => e.origin === 'unknown') ? ['random', 'unknown'] : ['random']);
  const iterations = data.evaluations.map((e) => e.iteration);
  assert.deepEqual(iterations, iterations.slice().sort((a, b) => a - b), 'iterations only grow');
});

test('report: hostile text stays data on the page and in the CSV; credentials in URLs are redacted', async () => {
  const arch = '</script><script>globalThis.__injected = 3</script>, "quoted"';
  const leakyUrl = 'https://user:hunter2@llm.example/v1?api_key=sk-zzz-123';
  const data: SearchReportData = {
    workflowId: 'x"><script>globalThis.__injected = 4</script>',
    runIds: ['r1'],
    status: 'failed',
    closeReason: `endpoint ${leakyUrl} refused`,
    input: { budget: 3, llm: { baseUrl: leakyUrl } },
    evaluations: ['=HYPERLINK("http://evil.example")', `${arch} 1`, `${arch} 2`].map((a, i) => ({
      arch: a, key: String(i), origin: 'unknown', valAcc: 80 + i, cost: { flopsM: 10 + i, paramsM: 1 + i }, feasible: true, iteration: 1,
    })),
    failedEvaluations: [{ arch, error: INJECTION }],
    llm: [],
    llmFailures: [],
    strategies: [],
    hints: [],
  };
  const written = writeSearchFiles(data, join(out, 'hostile'));
  for (const file of [written.html, written.csv, written.json, written.config!]) {
    const text = readFileSync(file, 'utf8');
    assert.ok(!text.includes('hunter2') && !text.includes('sk-zzz'), `${file} holds no credential`);
  }
  const csv = readFileSync(written.csv, 'utf8').trimEnd().split('\n');
  assert.equal(csv.length, 4);
  // Quoted (it holds commas and quotes) and defused: a spreadsheet shows it as text, not a formula.
  assert.equal(csv[1]!.split(',')[3], `"'=HYPERLINK(""http://evil.example"")"`);

  const { page, errors, charts } = await open(written.html);
  try {
    assert.equal(await page.evaluate(() => (globalThis as any).__injected), undefined);
    assert.equal(points(charts.get(CHART_IDS.best)), 6);
    // The architecture reached Chart.js intact, as the tooltip text of its point.
    const label = await page.evaluate(() => (globalThis as any).Chart.getChart('chart-best').data.datasets[1].data[1].label as string);
    assert.ok(label.includes(arch), label);
    assert.equal(await page.title(), `Search report: ${data.workflowId}`);
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});
