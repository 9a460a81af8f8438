import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureWebBuilt } from '../../src/console/index.ts';
import { silentLogger } from '../../src/domain/index.ts';
import type { LabDocument } from '../../src/protocol/index.ts';
import { startConsoleDryRun, type ConsoleDryRun } from '../unit/console/dry-run-harness.ts';
import { TestClient, TOKENS } from '../unit/console/server-harness.ts';
import { ARTIFACTS, chromiumAvailable, launchBrowser, openConsole, pageErrors } from './browser.ts';

/**
 * The console in a real browser (Debian chromium driven by playwright-core) beside a running dry run: in-process
 * simulators, an in-memory database, a realtime clock sped up so a campaign lasts seconds while the page watches.
 * CI installs chromium when tests/e2e/.requires-chromium exists; without it these tests fail rather than skip.
 */
const t0 = Date.now();
const trace = (what: string) => { if (process.env.LABLOOP_E2E_TRACE) process.stderr.write(`[e2e +${Date.now() - t0} ms] ${what}\n`); };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TRIALS = 16;
const ofType = <T extends LabDocument['type']>(docs: LabDocument[], type: T) => docs.filter((d): d is Extract<LabDocument, { type: T }> => d.type === type);
const rows = (page: Page) => page.locator('#trials tbody tr[data-trial-id]');
const tableRows = (page: Page) =>
  page.$$eval('#trials tbody tr[data-trial-id]', (trs) => trs.map((tr) => ({ id: tr.getAttribute('data-trial-id'), status: tr.getAttribute('data-status') })));
const modelSeq = (page: Page) => page.evaluate(() => (globalThis as unknown as ConsoleHandle).labloop.page?.model.lastSeq ?? 0);

/** The page's debug handle (`window.labloop`, see src/console/web/src/main.ts). */
type ConsoleHandle = {
  labloop: { page?: { model: { lastSeq: number }; connection: { socket: { disconnect(): void; connect(): void }; counters(): Record<string, number> } } };
};

let browser: Awaited<ReturnType<typeof launchBrowser>>;

beforeAll(async () => {
  expect(chromiumAvailable(), 'Debian chromium at /usr/bin/chromium (apt-get install chromium)').toBe(true);
  await ensureWebBuilt({ logger: silentLogger });
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

describe('console in a browser during a dry run', () => {
  it('shows trials, best so far, faults live; pause/resume act on the engine; viewers are refused; a dropped socket catches up exactly; bad sockets are refused', async () => {
    const run: ConsoleDryRun = await startConsoleDryRun({ trials: TRIALS, stations: 2, speed: 800, faultRate: 0.06, seed: 3, agent: 'bo' });
    try {
      const hash = `#/campaign/${encodeURIComponent(run.campaignId)}`;
      const [page, viewerPage] = await Promise.all([openConsole(browser.context, run.url, hash, TOKENS.operator), openConsole(browser.context, run.url, hash, TOKENS.viewer)]);
      await expect.poll(() => page.locator('#connection').getAttribute('data-state'), { timeout: 15_000 }).toBe('live');
      await expect.poll(() => page.locator('#whoami').textContent()).toBe('ada (operator)');
      await expect.poll(() => viewerPage.locator('#whoami').textContent(), { timeout: 15_000 }).toBe('vic (viewer)');

      // Trials appear live. Pause as early as possible so that trials remain whatever the machine's load.
      trace('trials');
      await expect.poll(() => rows(page).count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
      const early = await rows(page).count();
      await expect.poll(() => viewerPage.locator('#campaign-state').getAttribute('data-state'), { timeout: 15_000 }).toBe('running');

      // Pause: the engine stops dispatching new trials (checked in the database).
      trace('pause');
      await page.locator('#controls button[data-action=pause]').click();
      await expect.poll(() => page.locator('#command-status').getAttribute('data-ok')).toBe('true');
      await expect.poll(() => page.locator('#campaign-state').getAttribute('data-state')).toBe('paused');
      await expect.poll(async () => (await run.api<{ campaign: { state: string } }>(`/api/campaigns/${encodeURIComponent(run.campaignId)}`)).campaign.state).toBe('paused');
      await sleep(400);
      const runsAtPause = ofType(await run.documents(), 'runStart').length;
      expect(runsAtPause).toBeLessThan(TRIALS);
      await sleep(1500);
      expect(ofType(await run.documents(), 'runStart').length).toBe(runsAtPause);
      await expect.poll(() => viewerPage.locator('#campaign-state').getAttribute('data-state')).toBe('paused');

      // A viewer cannot resume: the server refuses and the page says why; the campaign stays paused.
      trace('viewer refused');
      await viewerPage.locator('#controls button[data-action=resume]').click();
      await expect.poll(() => viewerPage.locator('#command-status').getAttribute('data-ok')).toBe('false');
      expect(await viewerPage.locator('#command-status').textContent()).toMatch(/resume: refused — forbidden: role "viewer" may watch but not resume/);
      expect(await page.locator('#campaign-state').getAttribute('data-state')).toBe('paused');
      expect(pageErrors(viewerPage)).toEqual([]);
      await viewerPage.close();

      // The trials in flight at the pause finish; the best-so-far chart is drawn from what has completed.
      const bestEarly = Number(await page.locator('#best-so-far').getAttribute('data-points'));

      // Resume: dispatching continues.
      trace('resume');
      await page.locator('#controls button[data-action=resume]').click();
      await expect.poll(() => page.locator('#campaign-state').getAttribute('data-state')).toBe('running');
      await expect.poll(async () => ofType(await run.documents(), 'runStart').length, { timeout: 20_000 }).toBeGreaterThan(runsAtPause);

      // Kill the socket mid-campaign; documents published meanwhile are replayed on reconnect.
      trace('dropped socket');
      const seqBefore = await modelSeq(page);
      await page.evaluate(() => (globalThis as unknown as ConsoleHandle).labloop.page?.connection.socket.disconnect());
      await expect.poll(() => page.locator('#connection').getAttribute('data-state')).toBe('offline');
      await expect.poll(async () => (await run.documents()).at(-1)?.seq ?? 0, { timeout: 20_000 }).toBeGreaterThan(seqBefore + 5);
      await page.evaluate(() => (globalThis as unknown as ConsoleHandle).labloop.page?.connection.socket.connect());
      await expect.poll(() => page.locator('#connection').getAttribute('data-state'), { timeout: 15_000 }).toBe('live');

      // More trials and best-so-far points arrive live; a station fault shows on its card and in the event log.
      trace('live updates and a fault');
      await expect.poll(() => rows(page).count(), { timeout: 30_000 }).toBeGreaterThan(early);
      await expect.poll(async () => Number(await page.locator('#best-so-far').getAttribute('data-points')), { timeout: 30_000 }).toBeGreaterThan(bestEarly);
      expect(await page.locator('#best-so-far canvas').count()).toBeGreaterThan(0);
      await expect.poll(() => page.locator('.station .last-fault').count(), { timeout: 30_000 }).toBeGreaterThan(0);
      expect(await page.locator('#event-log li.log-error', { hasText: 'fault on' }).count()).toBeGreaterThan(0);

      // The campaign page of the running dry run as an artifact (and, on request, the README's screenshot).
      trace('screenshot');
      await page.locator('#trials tbody tr[data-status=completed]').last().click();
      await sleep(300);
      mkdirSync(ARTIFACTS, { recursive: true });
      const shot = path.join(ARTIFACTS, 'console-campaign.png');
      await page.screenshot({ path: shot, fullPage: true });
      if (process.env.LABLOOP_UPDATE_SCREENSHOT) copyFileSync(shot, path.resolve(import.meta.dirname, '../../docs/console.png'));

      // Malformed and unauthorised socket events are refused; the server keeps serving the page.
      trace('bad sockets');
      const intruder = new TestClient(run.url, undefined);
      await expect(intruder.connected()).rejects.toThrow(/token is required/);
      intruder.close();
      const sloppy = new TestClient(run.url, TOKENS.operator);
      await sloppy.connected();
      expect(await sloppy.request('command', { action: 'pause', campaignId: run.campaignId, force: true })).toMatchObject({ ok: false, code: 'invalid', error: expect.stringMatching(/force/) });
      expect(await sloppy.request('subscribe', { campaignId: '../../etc/passwd' })).toMatchObject({ ok: false, code: 'invalid' });
      expect(await sloppy.request('drop-tables', { all: true })).toMatchObject({ ok: false, code: 'invalid' });
      sloppy.close();
      expect(await page.locator('#connection').getAttribute('data-state')).toBe('live');

      await run.ended;
      const docs = await run.documents();
      const lastSeq = docs.at(-1)?.seq ?? 0;
      expect(docs.map((d) => d.seq)).toEqual(Array.from({ length: lastSeq }, (_, i) => i + 1));
      await expect.poll(() => modelSeq(page), { timeout: 15_000 }).toBe(lastSeq);
      await expect.poll(() => page.locator('#campaign-state').getAttribute('data-state')).toBe('completed');
      const counters = await page.evaluate(() => (globalThis as unknown as ConsoleHandle).labloop.page?.connection.counters());
      expect(counters).toMatchObject({ applied: lastSeq, duplicates: 0, gaps: 0 });
      const dbTrials = (await run.trials()).map((t) => ({ id: t.id, status: t.status }));
      await expect.poll(() => tableRows(page)).toEqual(dbTrials);
      expect(dbTrials.length).toBeGreaterThanOrEqual(10);

      expect(pageErrors(page)).toEqual([]);
      await page.close();
      trace('page closed');
      const summary = await run.release();
      trace('released');
      expect(summary.result.state).toBe('completed');
    } finally {
      await run.release();
    }
  }, 150_000);

  it('polish: every trial row is reachable in the table, legends carry real labels, times show date and zone, failed trials are marked', async () => {
    // A fault rate of 25 % gives failed rows to mark; quarantine is switched off so both stations work all 30 trials
    // (with the default of 3 failures in a row, both were quarantined in about half the runs and the campaign failed).
    const run = await startConsoleDryRun({ trials: 30, stations: 2, speed: 2000, faultRate: 0.25, seed: 5, quarantineAfter: 1000 });
    try {
      const page = await openConsole(browser.context, run.url, `#/campaign/${encodeURIComponent(run.campaignId)}`, TOKENS.operator);
      await page.setViewportSize({ width: 1000, height: 800 });
      await run.ended;
      await expect.poll(() => page.locator('#campaign-state').getAttribute('data-state'), { timeout: 30_000 }).toBe('completed');
      await expect.poll(() => rows(page).count(), { timeout: 20_000 }).toBe(30);

      // The table scrolls (vertically and sideways) inside its panel, and every row, down to the last cell, can be
      // brought into view there.
      trace('polish: table');
      const wrap = page.locator('.table-wrap');
      const box = await wrap.evaluate((el) => ({ overflowY: getComputedStyle(el).overflowY, overflowX: getComputedStyle(el).overflowX, scrollH: el.scrollHeight, clientH: el.clientHeight, scrollW: el.scrollWidth, clientW: el.clientWidth, pageW: document.documentElement.scrollWidth, viewW: innerWidth }));
      expect(box.scrollH).toBeGreaterThan(box.clientH);
      expect(['auto', 'scroll']).toContain(box.overflowY);
      if (box.scrollW > box.clientW) expect(['auto', 'scroll']).toContain(box.overflowX);
      // The page itself does not widen past the window: the table scrolls in place.
      expect(box.pageW).toBeLessThanOrEqual(box.viewW);
      const reachable = await wrap.evaluate((el) => {
        const inside = (cell: Element): boolean => {
          const w = el.getBoundingClientRect();
          const c = cell.getBoundingClientRect();
          return c.top >= w.top - 1 && c.bottom <= w.bottom + 1 && c.left >= w.left - 1 && c.right <= w.right + 1;
        };
        const trs = Array.from(el.querySelectorAll('tbody tr[data-trial-id]'));
        let ok = 0;
        for (const tr of trs) {
          const cells = [tr.firstElementChild, tr.lastElementChild].filter((c): c is Element => c !== null);
          for (const cell of cells) {
            cell.scrollIntoView({ block: 'nearest', inline: 'nearest' });
            if (!inside(cell)) return { ok, of: trs.length, stuck: tr.getAttribute('data-trial-id') };
          }
          ok++;
        }
        return { ok, of: trs.length, stuck: null };
      });
      expect(reachable).toEqual({ ok: 30, of: 30, stuck: null });

      // Failed trials are marked: a red "failed" badge and their failure code in the row.
      trace('polish: failed rows');
      const failed = page.locator('#trials tbody tr[data-status=failed]');
      expect(await failed.count(), 'a 25 % fault rate fails some trials').toBeGreaterThan(0);
      const failedRow = await failed.first().evaluate((tr) => {
        const badge = tr.querySelector('.badge');
        return { badge: badge?.textContent, color: badge ? getComputedStyle(badge).color : '', code: Array.from(tr.querySelectorAll('td')).map((td) => td.textContent ?? '').find((t) => /^[A-Z][A-Z_]+$/.test(t)) ?? '' };
      });
      const completedColor = await page.locator('#trials tbody tr[data-status=completed] .badge').first().evaluate((b) => getComputedStyle(b).color);
      expect(failedRow.badge).toBe('failed');
      expect(failedRow.code).toMatch(/^[A-Z][A-Z_]+$/);
      expect(failedRow.color).not.toBe(completedColor);

      // Legends and axes name what they show; no placeholder text anywhere on the page.
      trace('polish: legends');
      const legend = await page.locator('#best-so-far .u-legend .u-series .u-label').allTextContents();
      expect(legend).toEqual(['trial', 'observed', 'best so far']);
      const axisLabels = await page.locator('#best-so-far .u-axis .u-label, svg .axis-label').allTextContents();
      expect(axisLabels.length).toBeGreaterThanOrEqual(2);
      for (const label of axisLabels) expect(label.trim()).not.toBe('');
      expect(axisLabels.join(' | ')).toContain('eta10');
      const text = (await page.locator('body').innerText()).toLowerCase();
      // Whole words only: fault codes (nan_points) and id fragments (…3wnan4) may contain the letters.
      const word = (w: string): RegExp => new RegExp(`(^|[^a-z0-9_])${w.replace(/[[\]]/g, '\\$&')}($|[^a-z0-9_])`);
      for (const placeholder of ['undefined', 'nan', 'null', '[object object]', 'lorem', 'placeholder', 'series 1', 'value 1']) expect(text, placeholder).not.toMatch(word(placeholder));

      // Times: ISO-like, with the date and the UTC offset, 24-hour, in the event log and the station cards.
      trace('polish: times');
      const times = await page.locator('#event-log time, #stations .station div:has-text("heartbeat")').allTextContents();
      expect(times.length).toBeGreaterThan(3);
      for (const t of times) expect(t).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d\d:\d\d/);
      expect(text).not.toMatch(/\b\d{1,2}:\d\d(:\d\d)? ?[ap]m\b/);
      await page.evaluate(() => (location.hash = '#/'));
      const created = await page.locator(`#campaigns tr[data-campaign-id="${run.campaignId}"]`).innerText();
      expect(created).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d\d:\d\d/);
      expect(pageErrors(page)).toEqual([]);
      await page.close();
    } finally {
      await run.release();
    }
  }, 150_000);

  it('approval mode: a suggestion waits in the page until an operator approves it, then it is dispatched; rejecting (after a confirmation) abandons it; abort asks first', async () => {
    const run = await startConsoleDryRun({
      trials: 3,
      stations: 1,
      speed: 1000,
      approval: 'human',
      seed: 2,
      extraObjectives: [{ name: 'jmax', direction: 'maximize', unit: 'mA/cm2', feature: 'jmax_mA_cm2' }],
    });
    try {
      const page = await openConsole(browser.context, run.url, `#/campaign/${encodeURIComponent(run.campaignId)}`, TOKENS.operator);
      // Destructive controls (reject, abort) ask first; a dismissed question leaves everything as it was.
      const dialogs: string[] = [];
      let answer: 'accept' | 'dismiss' = 'accept';
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void (answer === 'accept' ? d.accept() : d.dismiss());
      });
      trace('approval: first proposal');
      const proposed = page.locator('#trials tbody tr[data-status=proposed]');
      await expect.poll(() => proposed.count(), { timeout: 30_000 }).toBe(1);
      const first = (await proposed.first().getAttribute('data-trial-id')) as string;
      await sleep(300);
      expect(ofType(await run.documents(), 'runStart')).toEqual([]);
      await proposed.first().locator('button[data-action=approve]').click();
      await expect.poll(() => page.locator('#command-status').getAttribute('data-ok')).toBe('true');
      await expect.poll(async () => ofType(await run.documents(), 'runStart').map((d) => d.payload.trialId), { timeout: 20_000 }).toContain(first);
      await expect.poll(() => page.locator(`#trials tr[data-trial-id="${first}"]`).getAttribute('data-status'), { timeout: 20_000 }).not.toBe('proposed');
      // Two objectives: the Pareto view is there and plots the completed trial.
      trace('approval: pareto');
      await expect.poll(() => page.locator(`#trials tr[data-trial-id="${first}"]`).getAttribute('data-status'), { timeout: 20_000 }).toBe('completed');
      await expect.poll(() => page.locator('#pareto svg circle').count()).toBe(1);

      trace('approval: second proposal');
      await expect.poll(() => proposed.count(), { timeout: 30_000 }).toBe(1);
      const second = (await proposed.first().getAttribute('data-trial-id')) as string;
      expect(dialogs, 'approve is not destructive: no question').toEqual([]);
      answer = 'dismiss';
      await proposed.first().locator('button[data-action=reject]').click();
      await expect.poll(() => dialogs.length).toBe(1);
      expect(dialogs[0]).toMatch(/^Reject/);
      await sleep(300);
      expect(await page.locator(`#trials tr[data-trial-id="${second}"]`).getAttribute('data-status')).toBe('proposed');
      answer = 'accept';
      await proposed.first().locator('button[data-action=reject]').click();
      await expect.poll(() => page.locator(`#trials tr[data-trial-id="${second}"]`).getAttribute('data-status'), { timeout: 20_000 }).toBe('abandoned');
      expect(ofType(await run.documents(), 'runStart').some((d) => d.payload.trialId === second)).toBe(false);

      answer = 'dismiss';
      await page.locator('#controls button[data-action=abort]').click();
      await expect.poll(() => dialogs.length).toBe(3);
      expect(dialogs[2]).toMatch(/^Abort the campaign\?/);
      await sleep(300);
      expect(await page.locator('#campaign-state').getAttribute('data-state')).not.toBe('aborted');
      answer = 'accept';
      await page.locator('#controls button[data-action=abort]').click();
      await expect.poll(() => dialogs.length).toBe(4);
      await expect.poll(() => page.locator('#campaign-state').getAttribute('data-state'), { timeout: 20_000 }).toBe('aborted');
      await run.ended;

      // The campaigns list (from the database) shows it, and links back to its page.
      trace('approval: campaigns list');
      await page.evaluate(() => (location.hash = '#/'));
      const row = page.locator(`#campaigns tr[data-campaign-id="${run.campaignId}"]`);
      await expect.poll(() => row.locator('.badge').first().textContent(), { timeout: 10_000 }).toBe('aborted');
      await row.locator('a').click();
      await expect.poll(() => page.locator('#campaign-state').getAttribute('data-state'), { timeout: 10_000 }).toBe('aborted');
      expect(pageErrors(page)).toEqual([]);
      await page.close();
      expect((await run.release()).result.state).toBe('aborted');
    } finally {
      await run.release();
    }
  }, 120_000);
});
