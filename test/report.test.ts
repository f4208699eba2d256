import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startSearch } from '../src/client/search';
import { searchLog } from '../src/client/search-log';
import { BELOW_AXIS, CHART_IDS, COMPARE_CHART_ID, gatherSearch, runReportCommand, writeReport, writeSearchFiles, type SearchReportData } from '../src/report';
import { focusAxis } from '../src/report/axis';
import { decisionEffects } from '../src/report/importance';
import { SPACES } from '../src/spaces';
import { statRows } from '../src/report/stats';
import { wrap } from '../src/report/tips';
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

/** Moves the mouse onto a point as a person would and returns the lines its tooltip shows. */
async function tooltipAt(page: Page, chartId: string, datasetLabel: string, index: number): Promise<string[]> {
  const at = await page.evaluate(([id, label, i]) => {
    const chart = (globalThis as any).Chart.getChart(id);
    const d = (chart.data.datasets as { label: string }[]).findIndex((ds) => ds.label === label);
    const point = chart.getDatasetMeta(d).data[i];
    return { x: point.x as number, y: point.y as number };
  }, [chartId, datasetLabel, index] as const);
  await page.locator(`#${chartId}`).scrollIntoViewIfNeeded();
  const box = (await page.locator(`#${chartId}`).boundingBox())!;
  await page.mouse.move(box.x + at.x, box.y + at.y);
  // Chart.js handles mouse moves on the next animation frame.
  await page.waitForFunction((id) => (globalThis as any).Chart.getChart(id).tooltip.opacity > 0, chartId);
  const lines = await page.evaluate((id) => ((globalThis as any).Chart.getChart(id).tooltip.body as { lines: string[] }[]).flatMap((b) => b.lines), chartId);
  await page.mouse.move(0, 0);
  return lines;
}

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
        assert.equal(points(chart, ['Pareto front', BELOW_AXIS]), 30, `${metric}: every evaluation once`);
        for (const [origin, n] of Object.entries(origins)) assert.equal(dataset(chart, origin)?.points, n, `${metric}: ${origin}`);
      }
      assert.ok(!charts.has(CHART_IDS.cost('latency')), 'no latency chart: this search measured none');

      const byOrigin = charts.get(CHART_IDS.origins);
      assert.equal(byOrigin?.labels, result.iterations);
      for (const [origin, n] of Object.entries(origins)) assert.equal(dataset(byOrigin, origin)?.sum, n, origin);

      assert.equal(points(charts.get(CHART_IDS.llmLatency)), exchanges.length);
      assert.equal(charts.get(CHART_IDS.llmTokens)?.labels, exchanges.length);
      assert.equal(dataset(charts.get(CHART_IDS.llmTokens), 'tokens in (prompt)')?.sum, exchanges.reduce((n, e) => n + e.tokensIn, 0));
      // NAS-Bench-201's six edges, each with its share of the variance.
      const importance = charts.get(CHART_IDS.importance);
      assert.equal(importance?.labels, 6);
      assert.equal(await page.locator('#importance-table tbody tr').count(), 6);
      const shares = (await page.locator('#importance-table tbody tr td:nth-child(2)').evaluateAll((tds) => tds.map((td) => Number(td.getAttribute('data-v')))));
      assert.ok(shares.every((v) => v >= 0 && v <= 100) && shares.join() === shares.slice().sort((a, b) => b - a).join(), shares.join());
      assert.equal(charts.size, 7);
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

      // A collm search's caption speaks of its Navigator, whose strategies the chart marks.
      assert.match((await page.locator('#progress figcaption').first().textContent())!, /each new strategy of the Navigator; .*steering hint|each new strategy of the Navigator, ◆ each steering hint/);

      // A point's tooltip: the whole architecture and its figures.
      const bestIndex = result.history.findIndex((e) => e.arch === result.best!.arch);
      const tip = await tooltipAt(page, CHART_IDS.cost('flops'), result.best!.origin, result.history.filter((e) => e.feasible && e.origin === result.best!.origin).findIndex((e) => e.arch === result.best!.arch));
      const shown = tip.join('');
      assert.ok(shown.includes(result.best!.arch), `the whole architecture in the tooltip: ${tip.join(' / ')}`);
      const b = result.best!;
      for (const figure of [
        `validation accuracy: ${b.valAcc.toFixed(2)}, test accuracy: ${b.testAcc!.toFixed(2)}`,
        `FLOPs: ${b.cost.flopsM.toFixed(2)} M, params: ${b.cost.paramsM.toFixed(3)} M`,
        `evaluation #${bestIndex + 1}, iteration ${b.iteration}, origin ${b.origin}`,
      ]) {
        assert.ok(tip.includes(figure), `tooltip line ${figure}: ${tip.join(' / ')}`);
      }
      assert.ok(tip.every((line) => line.length <= 60), 'tooltip lines are wrapped');

      // The strategy's figures in words and units, the field's name only on hover.
      const figures = await page.locator('#stats th').allTextContents();
      assert.ok(figures.includes('LLM time') && figures.includes('Generator calls'), figures.join(', '));
      assert.ok(!figures.some((f) => /^[a-z]+[A-Z]\w*$/.test(f)), `no raw field names: ${figures.join(', ')}`);
      const llmTime = page.locator('#stats tr', { has: page.locator('th', { hasText: 'LLM time' }) });
      assert.equal(await llmTime.locator('th').getAttribute('title'), "llmMs in the result's stats");
      assert.match((await llmTime.locator('td').textContent())!, /^\d+(\.\d)?s$|^\d+ms$/);

      // Every LLM exchange, Navigator and Generator alike, collapsed until asked for.
      const all = page.locator('#llm-exchanges');
      assert.equal(await all.getAttribute('open'), null);
      assert.equal(await all.locator('.exchange').count(), exchanges.length + Number(result.stats!.llmFailures));
      assert.equal(await all.locator('.exchange').first().isVisible(), false);
      await all.locator('summary').first().click();
      const navigator = all.locator('.exchange', { hasText: 'Navigator (fake-model)' }).first();
      const generator = all.locator('.exchange:not(.failed)', { hasText: 'Generator (fake-model)' }).first();
      assert.equal(await navigator.locator('pre').first().isVisible(), false, 'each exchange is collapsed too');
      await navigator.locator('summary').click();
      await generator.locator('summary').click();
      assert.match((await navigator.locator('pre').first().textContent())!, /You are the Navigator/);
      assert.ok((await navigator.locator('pre').last().textContent())!.includes(INJECTION), 'the Navigator\'s answer, as text');
      assert.match((await generator.locator('pre').first().textContent())!, /You are the Generator/);
      assert.match((await generator.locator('pre').last().textContent())!, /"candidates"/);
      assert.match((await all.locator('.exchange.failed').textContent())!, /loading|503/);
      assert.equal(await page.evaluate(() => (globalThis as any).__injected), undefined);
      assert.equal(await page.locator('img').count(), 0);

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
    // The table fits the page; on a narrow screen it scrolls sideways, the search's name staying in view.
    const widths = () =>
      page.evaluate(() => {
        const table = (globalThis as any).document.getElementById('comparison-table');
        const last = table.tHead.rows[0].cells[table.tHead.rows[0].cells.length - 1].getBoundingClientRect();
        const first = table.tBodies[0].rows[0].cells[0].getBoundingClientRect();
        return { table: table.scrollWidth as number, box: table.parentElement.clientWidth as number, lastRight: last.right as number, firstLeft: first.left as number, viewport: (globalThis as any).innerWidth as number };
      });
    const wide = await widths();
    assert.ok(wide.table <= wide.box && wide.lastRight <= wide.viewport, `fits at 1280 px: ${JSON.stringify(wide)}`);
    await page.screenshot({ path: join(ARTIFACTS, 'report-comparison.png'), fullPage: true });
    await page.setViewportSize({ width: 640, height: 900 });
    const narrow = await widths();
    assert.ok(narrow.table > narrow.box && narrow.lastRight > narrow.viewport, `too wide for 640 px: ${JSON.stringify(narrow)}`);
    await page.locator('#comparison-table').evaluate((t) => (t.parentElement!.scrollLeft = t.parentElement!.scrollWidth));
    const scrolled = await widths();
    assert.ok(scrolled.lastRight <= scrolled.viewport, `the last column scrolls into view: ${JSON.stringify(scrolled)}`);
    assert.ok(scrolled.firstLeft >= 0, `the first column stays: ${JSON.stringify(scrolled)}`);
    await page.screenshot({ path: join(ARTIFACTS, 'report-comparison-narrow.png') });
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
  // A baseline's own report speaks of no Navigator: it has none.
  const evolution = await open(join(dir, `${runs[1]!.id}.html`));
  try {
    const captions = (await evolution.page.locator('figcaption').allTextContents()).join('\n');
    assert.doesNotMatch(captions, /Navigator/);
    assert.doesNotMatch((await evolution.page.locator('main').textContent())!, /Navigator/);
    assert.match((await evolution.page.locator('#summary').textContent())!, /evolution \(regularized \(aging\) evolution/);
    assert.deepEqual(evolution.errors, []);
  } finally {
    await evolution.page.close();
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
    llm: [
      {
        at: '2025-06-01T00:00:00.000Z', evaluated: 0, purpose: 'generator', model: 'm', tokensIn: 1, tokensOut: 1, latencyMs: 5,
        messages: [{ role: 'system', content: `You are the Generator. ${leakyUrl}` }, { role: 'user', content: INJECTION }],
        answer: JSON.stringify({ candidates: [arch] }), reasoning: INJECTION,
      },
    ],
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
    // The architecture reached Chart.js intact, as the tooltip lines of its point, and shows so.
    const tip = await page.evaluate(() => (globalThis as any).Chart.getChart('chart-best').data.datasets[1].data[1].tip as string[]);
    assert.ok(tip.join('').includes(`${arch} 1`), tip.join('\n'));
    assert.ok((await tooltipAt(page, 'chart-best', 'each evaluation', 1)).join('').includes(`${arch} 1`));
    // The LLM exchanges and the table hold it as text too.
    await page.locator('#llm-exchanges > summary').click();
    await page.locator('#llm-call-1 > summary').click();
    assert.ok((await page.locator('#llm-call-1').textContent())!.includes(INJECTION));
    assert.ok((await page.locator('#llm-call-1').textContent())!.includes(arch.split(',')[0]!));
    await page.fill('#evaluations-filter', '</script><script>');
    assert.equal(await page.locator('#evaluations-table tbody tr:not([hidden])').count(), 2);
    assert.equal(await page.evaluate(() => (globalThis as any).__injected), undefined);
    assert.equal(await page.locator('img').count(), 0);
    assert.equal(await page.title(), `Search report: ${data.workflowId}`);
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

/** A search's evaluations as the report reads them: NAS-Bench-201-like accuracies in a narrow band. */
function evaluations(valAccs: readonly number[]): SearchReportData['evaluations'] {
  return valAccs.map((valAcc, i) => ({
    arch: `|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|#${i}`,
    key: String(i), origin: i % 2 ? 'mutation' : 'random', valAcc, testAcc: valAcc + 2, cost: { flopsM: 10 + i, paramsM: 0.1 + i / 100 }, feasible: true, iteration: 1 + Math.floor(i / 5),
  }));
}

test('report: the accuracy axis shows the band the search works in; a far-off evaluation is marked on its floor, not lost', async () => {
  const band = Array.from({ length: 29 }, (_, i) => 85 + ((i * 7) % 70) / 10);
  const valAccs = [...band.slice(0, 3), 9.7, ...band.slice(3)];
  const data: SearchReportData = {
    workflowId: 'axis', runIds: ['r1'], status: 'completed', evaluations: evaluations(valAccs),
    failedEvaluations: [], llm: [], llmFailures: [], strategies: [], hints: [],
    config: { strategy: { name: 'evolution' }, evaluation: { evaluator: 'nb201-table' } } as SearchReportData['config'],
  };
  const written = writeSearchFiles(data, join(out, 'axis'));
  const { page, errors } = await open(written.html);
  try {
    const scale = await page.evaluate(() => {
      const chart = (globalThis as any).Chart.getChart('chart-best');
      return { min: chart.scales.y.min as number, max: chart.scales.y.max as number };
    });
    assert.ok(scale.min > 80 && scale.min <= 85 && scale.max >= 91.8, `the axis spans the band: ${JSON.stringify(scale)}`);
    // The 9.7 % evaluation: still a point of its own series, and a ▼ on the floor whose tooltip gives its accuracy.
    const below = await page.evaluate((label) => {
      const chart = (globalThis as any).Chart.getChart('chart-best');
      return (chart.data.datasets as { label: string; data: { x: number; y: number; tip: string[] }[] }[]).find((d) => d.label === label)?.data;
    }, BELOW_AXIS);
    assert.deepEqual(below?.map((p) => [p.x, p.y]), [[4, scale.min]]);
    assert.match(below![0]!.tip[0]!, /its validation accuracy is 9\.7$/);
    const tip = await tooltipAt(page, 'chart-best', BELOW_AXIS, 0);
    assert.ok(tip.some((l) => /9\.7/.test(l)), tip.join(' / '));
    for (const id of [CHART_IDS.cost('flops'), CHART_IDS.cost('params')]) {
      assert.equal(await page.evaluate((c) => (globalThis as any).Chart.getChart(c).scales.y.min as number, id), scale.min, id);
    }
    assert.match((await page.locator('#progress figcaption').first().textContent())!, new RegExp(`the axis starts at ${scale.min}: 1 evaluation below it \\(lowest 9\\.70\\) is drawn on its floor as ▼`));
    // No Navigator in an evolution search's captions.
    assert.doesNotMatch((await page.locator('#progress').textContent())!, /Navigator/);

    // The file's table sorts and filters too, offline.
    const rows = page.locator('#evaluations-table tbody tr:not([hidden])');
    await page.fill('#evaluations-filter', 'val<50');
    assert.equal(await rows.count(), 1);
    assert.equal(await page.textContent('#evaluations-count'), '1 of 30 shown');
    await page.fill('#evaluations-filter', '');
    const sortByAccuracy = page.locator('#evaluations-table').getByRole('button', { name: 'validation accuracy', exact: true });
    await sortByAccuracy.click();
    await sortByAccuracy.click();
    const firstRow = await rows.first().locator('td').nth(2).getAttribute('data-v');
    assert.equal(Number(firstRow), Math.max(...valAccs));
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test('report: axis, tooltip and figure helpers', () => {
  // A wide spread (random search on CIFAR-100) keeps the library's own axis; a far-off few do not.
  assert.equal(focusAxis([1, 20, 35, 50, 60, 65, 70, 72, 73]), undefined);
  assert.equal(focusAxis([85, 86, 87, 88, 89, 90, 91]), undefined);
  assert.deepEqual(focusAxis([9.7, 85, 86, 87, 88, 89, 90, 91, 92]), { min: 84 });
  assert.deepEqual(focusAxis([0.097, 0.85, 0.86, 0.87, 0.88, 0.89, 0.9, 0.91, 0.92]), { min: 0.84 });
  const arch = '|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|'.repeat(3);
  const lines = wrap(arch);
  assert.equal(lines.join(''), arch);
  assert.ok(lines.length > 1 && lines.every((l) => l.length <= 60), lines.join('\n'));
  assert.ok(lines.slice(0, -1).every((l) => /[|~+]$/.test(l)), 'broken after separators');
  // One edge decides the accuracy: it explains all of its variance and comes first; its best choice is not "none".
  const nb201 = SPACES.get('nb201');
  const ops = nb201.decisions!.choices[0]!;
  const sample = Array.from({ length: 20 }, (_, i) => {
    const indices = [i % 5, (i * 3) % 5, (i * 7) % 5, i % 2 === 0 ? 0 : 3, (i + 1) % 5, (i * 2) % 5];
    return { arch: nb201.format(nb201.decisions!.decode(indices)), valAcc: indices[3] === 0 ? 10 : 90 };
  });
  assert.equal(ops[0], 'none');
  const effects = decisionEffects(evaluations(sample.map((e) => e.valAcc)).map((e, i) => ({ ...e, arch: sample[i]!.arch })), 'nb201')!;
  assert.equal(effects[0]!.decision, 'Edge 0->3 (output from the input)');
  assert.equal(effects[0]!.importance, 1);
  assert.deepEqual(effects[0]!.choices.map((c) => [c.choice, c.meanAcc, c.evaluations]), [[ops[3], 90, 10], ['none', 10, 10]]);
  assert.ok(effects.slice(1).every((e) => e.importance < 1));
  assert.equal(decisionEffects(evaluations(sample.map((e) => e.valAcc)).slice(0, 9), 'nb201'), undefined, 'too few to say');
  assert.equal(decisionEffects(evaluations(sample.map((e) => e.valAcc)), 'ofa-mbv3-w10'), undefined, 'no categorical decisions');

  const rows = statRows({ llmMs: 245128, tokensIn: 12345, promptVersion: 'v3', queueWaitMs: 1500, oddCounter: 7 });
  assert.deepEqual(rows.map((r) => [r.label, r.value, r.field]), [
    ['LLM time', '4m 05s', 'llmMs'],
    ['tokens in (prompts)', '12,345', 'tokensIn'],
    ['prompt version', 'v3', 'promptVersion'],
    ['queue wait time', '1.5s', 'queueWaitMs'],
    ['odd counter', '7', 'oddCounter'],
  ]);
});
