import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startSearch } from '../src/client/search';
import { ensureDevServer, isListening } from '../src/temporal/dev-server';
import { pauseSignal, progressQuery, type SearchProgress } from '../src/workflows/api';
import { connect, inProcessWorkers, queues, uniqueId, waitFor } from './helpers';

// The shared test server runs headless, so this test starts its own with the Web UI
// (gRPC on PORT, UI on PORT + 1).
const PORT = Number(process.env.TEST_WEB_UI_PORT ?? 7320);
const UI_PORT = PORT + 1;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Git-ignored: screenshots for people to look at. */
const ARTIFACTS = resolve(__dirname, '..', 'test-artifacts');
const BUDGET = 1000;

test('the Web UI filters searches by NasStrategy, runs the progress query, and tells a paused search\'s story: summary, current details, activity summaries', { timeout: 120_000 }, async () => {
  // Chromium is part of the set-up (npm test installs it: scripts/setup-test.sh): missing, it is a failure, not a skip.
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`);
  mkdirSync(ARTIFACTS, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'collm-web-ui-'));
  const server = await ensureDevServer({ port: PORT, uiPort: UI_PORT, dbFile: join(dir, 'temporal.sqlite'), logFile: join(dir, 'temporal.log') });
  let env: Awaited<ReturnType<typeof connect>> | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  try {
    // A reused server would be one without our UI port, or with other searches in its list.
    assert.ok(server.started, `port ${PORT} must be free for this test`);
    env = await connect(server.address);
    const { client, native } = env;
    const q = queues('webui');
    // Slow evaluations, so that the pause lands long before the budget is spent.
    const workers = await inProcessWorkers(native, q, { simulateMs: 200 });
    // The workers keep polling throughout: the UI's query is answered by the control worker.
    await workers.run(async () => {
      const start = (strategy: string) =>
        startSearch(client, { budget: BUDGET, batchSize: 5, strategy, seed: 1, evaluation: { taskQueue: q.eval } }, { taskQueue: q.control, workflowId: uniqueId(`webui-${strategy}`) });
      const evolution = await start('evolution');
      const random = await start('random');
      try {
        // Paused before its first batch a search would show nothing to compare: let each evaluate some first.
        await waitFor('both searches to evaluate a batch', async () => {
          const [e, r] = await Promise.all([evolution.query(progressQuery), random.query(progressQuery)]);
          return e.evaluated > 0 && r.evaluated > 0 ? true : undefined;
        }, 30_000);
        await Promise.all([evolution.signal(pauseSignal), random.signal(pauseSignal)]);
        // Once its batch in flight is done a paused search stands still, so the UI must show these very figures.
        const held = await waitFor('both searches paused with nothing in flight', async () => {
          const [e, r] = await Promise.all([evolution.query(progressQuery), random.query(progressQuery)]);
          return e.status === 'paused' && e.inFlight === 0 && r.status === 'paused' && r.inFlight === 0 ? e : undefined;
        }, 30_000);
        assert.ok(held.evaluated > 0 && held.evaluated < BUDGET, `evaluated ${held.evaluated} of ${BUDGET}`);
        await waitFor('the Web UI to listen', async () => ((await isListening(UI_PORT)) ? true : undefined), 30_000);

        browser = await chromium.launch({
          executablePath: CHROMIUM,
          headless: true,
          // Chromium's sandbox does not run as root in a container, and /dev/shm is often tiny there.
          args: ['--no-sandbox', '--disable-dev-shm-usage'],
        });
        page = await browser.newPage({ viewport: { width: 1800, height: 1000 } });
        page.setDefaultTimeout(20_000);
        const main = page.getByRole('main');
        const link = (id: string) => main.getByRole('link', { name: id, exact: true });

        // Unfiltered, the list holds both searches.
        await page.goto(`http://127.0.0.1:${UI_PORT}/namespaces/default/workflows`);
        await link(evolution.workflowId).waitFor();
        await link(random.workflowId).waitFor();

        // Filter as a person would: Add Filter, pick the attribute from its menu, type the value, Apply.
        // Web UI 2.54 opens the menus outside <main> (2.42 inside it), so each is found on the page by what it holds.
        await main.getByRole('button', { name: 'Add Filter' }).click();
        const attributes = page.getByRole('menu').filter({ has: page.getByRole('textbox', { name: 'Search' }) });
        await attributes.getByRole('textbox', { name: 'Search' }).fill('NasStrategy');
        await attributes.getByRole('menuitem').filter({ hasText: 'NasStrategy' }).click();
        const condition = page.getByRole('menu').filter({ has: page.getByRole('heading', { name: 'Filter by NasStrategy' }) });
        await condition.getByRole('button', { name: 'Equal to', exact: true }).click();
        await condition.getByRole('textbox', { name: 'Value' }).fill('evolution');
        await condition.getByRole('button', { name: 'Apply' }).click();
        await link(random.workflowId).waitFor({ state: 'detached' });
        await link(evolution.workflowId).waitFor();
        await main.getByRole('button', { name: 'NasStrategy = "evolution"', exact: true }).waitFor();
        // The filter builder writes the name quoted: `NasStrategy`="evolution".
        assert.equal(new URL(page.url()).searchParams.get('query')?.replace(/[`\s]/g, ''), 'NasStrategy="evolution"');
        const rows = main.getByRole('table', { name: 'Workflows' }).getByRole('row');
        assert.equal(await rows.count(), 2, 'the header row and the evolution search only');
        // Its status cell reads Running (2.54 styles the badge in capitals, so innerText would say RUNNING).
        const row = rows.nth(1);
        await row.getByRole('cell', { name: 'Running', exact: true }).waitFor();
        await row.getByRole('link', { name: evolution.workflowId, exact: true }).waitFor();
        // The project's attributes as list columns, as the README tells people to add them.
        await main.getByRole('button', { name: 'Configure Columns' }).click();
        for (const column of ['NasEvaluated', 'NasBestValAcc']) await page.getByRole('button', { name: new RegExp(`^Add ${column}\\b`) }).click();
        await page.getByRole('button', { name: /^close/i }).first().click();
        await page.getByRole('heading', { name: 'Configure Workflows Table' }).waitFor({ state: 'hidden' });
        const header = rows.nth(0);
        await header.getByText('NasBestValAcc', { exact: true }).waitFor();
        await header.getByText('NasEvaluated', { exact: true }).waitFor();
        await row.getByRole('cell', { name: String(held.best!.valAcc), exact: true }).waitFor();
        await row.getByRole('cell', { name: String(held.evaluated), exact: true }).waitFor();
        await page.screenshot({ path: join(ARTIFACTS, 'web-ui-list.png') });

        // The search's own page: Temporal's status (a paused search still runs) and, from the Queries tab, our progress.
        await link(evolution.workflowId).click();
        await main.getByRole('heading', { level: 1, name: evolution.workflowId }).waitFor();
        await main.locator('header').getByText('Running', { exact: true }).waitFor();
        await main.getByRole('tab', { name: 'Queries' }).click();
        await main.getByRole('button').filter({ has: page.getByRole('textbox', { name: 'Query Type' }) }).click();
        await main.getByRole('option', { name: 'progress', exact: true }).click();
        await main.getByRole('button', { name: 'Run Query' }).click();
        const result = main.getByRole('textbox').filter({ hasText: '"status"' });
        await result.waitFor();
        // The result editor renders only the lines in view, so its text is compared field by field, not parsed.
        const shown = await result.innerText();
        const fields: (keyof SearchProgress)[] = ['status', 'space', 'dataset', 'strategy', 'evaluator', 'iteration', 'evaluated', 'budget', 'inFlight'];
        for (const key of fields) {
          assert.ok(shown.includes(`"${key}": ${JSON.stringify(held[key])}`), `the UI's progress shows ${key} = ${JSON.stringify(held[key])}:\n${shown}`);
        }
        assert.equal(held.strategy, 'evolution');
        assert.ok(shown.includes(`"valAcc": ${held.best!.valAcc}`), `the UI's progress shows the best's accuracy:\n${shown}`);
        await page.screenshot({ path: join(ARTIFACTS, 'web-ui.png'), fullPage: true });

        // The timeline names each activity by what it does, not only by its type.
        await main.getByRole('tab', { name: 'Timeline' }).click();
        await main.getByText(/evaluateBatch • evaluate 5 candidates: \|/).first().waitFor();

        // User Metadata: the summary set at start, and current details kept up by the workflow, with no query run by hand.
        await main.getByRole('tab', { name: 'User Metadata' }).click();
        await main.getByText('Current Details').waitFor();
        const summary = `NAS nb201/cifar10 · evolution · ${BUDGET} evaluations`;
        // The UI renders each markdown text in a sandboxed frame of its own.
        const metadata = await waitFor('the summary and the current details', async () => {
          const texts = await Promise.all(page!.frames().map((f) => f.locator('body').innerText({ timeout: 2000 }).catch(() => '')));
          const all = texts.join('\n');
          return all.includes('Best so far') && all.includes(summary) ? all : undefined;
        }, 20_000);
        assert.match(metadata, new RegExp(`Paused · ${held.evaluated} / ${BUDGET} evaluated`), `a paused search reads as paused:\n${metadata}`);
        assert.ok(metadata.includes(`Best so far ${held.best!.valAcc.toFixed(2)} by nb201-table`), `best so far, without running a query:\n${metadata}`);
        assert.ok(metadata.includes(held.best!.arch), `the best architecture:\n${metadata}`);
        assert.ok(metadata.includes('Evaluator nb201-table'), `the static details:\n${metadata}`);
        await page.screenshot({ path: join(ARTIFACTS, 'web-ui-metadata.png'), fullPage: true });
      } finally {
        await Promise.all([evolution, random].map((h) => h.terminate('web-ui test done').catch(() => {})));
      }
    });
  } catch (err) {
    await page?.screenshot({ path: join(ARTIFACTS, 'web-ui-failure.png'), fullPage: true }).catch(() => {});
    throw err;
  } finally {
    await browser?.close();
    await env?.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
