import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditCampaign } from '../../src/app/campaign-audit.ts';
import { startServeConsole, type ServedConsole } from '../../src/app/console-serve.ts';
import { loadConfig } from '../../src/config/index.ts';
import { ensureWebBuilt } from '../../src/console/index.ts';
import { silentLogger } from '../../src/domain/index.ts';
import { openStore } from '../../src/store/index.ts';
import { TEST_PGLITE_CACHE } from '../helpers/db.ts';
import { journalCount, journalDirOf, startAndKill, type KillResumeOptions } from '../helpers/kill-resume.ts';
import { TOKEN_ENTRIES, TOKENS } from '../unit/console/server-harness.ts';
import { chromiumAvailable, launchBrowser, openConsole, pageErrors } from './browser.ts';

/**
 * Operators resume and abort campaigns no process runs, from the console in a real browser (ADR 0091): two dry runs
 * are kill -9'd (their simulated instruments die with them, as in a power cut), `labloop serve` over their PGlite
 * folder lists them as interrupted; a click on resume continues one in the serve process until its budget is spent —
 * trials whose device step had an unknown fate are decided (retry) in the trials table — and a confirmed abort ends
 * the other. Outcomes are read from the store: budget done, audit clean (every commandId executed at most once).
 */
const BUDGET = 8;
const dir = mkdtempSync(path.join(os.tmpdir(), 'labloop-console-resume-'));
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let served: ServedConsole | undefined;

beforeAll(async () => {
  expect(chromiumAvailable(), 'Debian chromium at /usr/bin/chromium (apt-get install chromium)').toBe(true);
  await ensureWebBuilt({ logger: silentLogger });
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await served?.close();
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface CampaignJson {
  state: string;
  trialCounts: Record<string, number>;
  controllable: boolean;
  dormant: string | null;
}

async function campaign(url: string, id: string): Promise<CampaignJson> {
  const res = await fetch(`${url}/api/campaigns/${id}`, { headers: { authorization: `Bearer ${TOKENS.viewer}` } });
  return ((await res.json()) as { campaign: CampaignJson }).campaign;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const rowStatus = (page: Page, id: string) => page.locator(`#campaigns tr[data-campaign-id="${id}"] [data-status]`).getAttribute('data-status');

describe('console: resume and abort of interrupted campaigns', () => {
  it('lists both interrupted campaigns; resume completes one in the serve process (recoveries decided in the page); abort needs a confirmation', { timeout: 900_000 }, async () => {
    const base = { dir, trials: BUDGET, stations: 2, timeoutMs: 300_000 };
    const a: KillResumeOptions = { ...base, campaignId: 'console-resume-a', seed: 5, killAfterMeasurements: 2 };
    const b: KillResumeOptions = { ...base, campaignId: 'console-resume-b', seed: 6, killAfterMeasurements: 0 };
    await startAndKill(a);
    await startAndKill(b);
    const config = loadConfig({}, { pgliteDir: path.join(dir, 'db'), pgliteCacheDir: TEST_PGLITE_CACHE, logLevel: 'silent', console: { tokens: TOKEN_ENTRIES } });
    served = await startServeConsole({ config, logger: silentLogger, host: '127.0.0.1', port: 0, insecureLocal: false, pollMs: 100, outDir: path.join(dir, 'out') });
    const url = served.url;
    expect(await campaign(url, a.campaignId)).toMatchObject({ state: 'running', dormant: 'interrupted', controllable: true });

    // The list: both interrupted, each with resume and abort.
    const page = await openConsole(browser.context, url, '#/', TOKENS.operator);
    await until('both campaigns listed as interrupted', async () => ((await rowStatus(page, a.campaignId)) === 'interrupted' && (await rowStatus(page, b.campaignId)) === 'interrupted' ? true : undefined), 30_000);
    // Abort asks first: dismissed, nothing happens; accepted, the campaign ends with its open trials abandoned.
    page.once('dialog', (d) => void d.dismiss());
    await page.locator(`#campaigns tr[data-campaign-id="${b.campaignId}"] button[data-action=abort]`).click();
    await new Promise((r) => setTimeout(r, 1000));
    expect((await campaign(url, b.campaignId)).state).toBe('running');
    page.once('dialog', (d) => void d.accept());
    await page.locator(`#campaigns tr[data-campaign-id="${b.campaignId}"] button[data-action=abort]`).click();
    await until('campaign b aborted', async () => ((await campaign(url, b.campaignId)).state === 'aborted' ? true : undefined), 30_000);
    const aborted = await campaign(url, b.campaignId);
    expect(aborted.trialCounts.running ?? 0).toBe(0);
    expect(aborted.dormant).toBeNull();
    await until('the list shows b aborted', async () => ((await rowStatus(page, b.campaignId)) === 'aborted' ? true : undefined), 15_000);

    // Resume a from its page: it runs in the serve process; trials whose device step had an unknown fate wait for a
    // decision, made in the trials table (retry); the campaign then spends its whole budget.
    await page.goto(`${url}/#/campaign/${a.campaignId}`);
    const resume = page.locator('#controls button[data-action=resume]');
    await resume.waitFor({ timeout: 30_000 });
    expect(await page.locator('#dormant-note').getAttribute('data-dormant')).toBe('interrupted');
    await resume.click();
    await until('the resume accepted', async () => ((await page.locator('#command-status').textContent())?.startsWith('resume: accepted') ? true : undefined), 30_000);
    let decided = 0;
    const done = await until(
      'campaign a completed',
      async () => {
        const c = await campaign(url, a.campaignId);
        if (c.state === 'completed') return c;
        const retry = page.locator('#trials button[data-action=retry]').first();
        if (c.dormant === 'awaiting-recovery' && (await retry.count()) > 0) {
          await retry.click();
          decided++;
          await until('the decision accepted', async () => ((await page.locator('#command-status').textContent())?.startsWith('recover: accepted') ? true : undefined), 30_000);
        }
        return undefined;
      },
      600_000,
    );
    expect((done.trialCounts.completed ?? 0) + (done.trialCounts.failed ?? 0)).toBe(BUDGET);
    expect(done.trialCounts.awaitingRecovery ?? 0).toBe(0);
    await until('the page shows completed', async () => ((await page.locator('#campaign-state').getAttribute('data-state')) === 'completed' ? true : undefined), 30_000);
    expect(pageErrors(page)).toEqual([]);
    const journal = journalDirOf(a);
    const commandsAtKill = journalCount(journal, 'lh-', 'accepted');
    await served.close();
    served = undefined;

    // In the store: a completed, audit clean; both decisions and actions recorded with the operator's name.
    const store = await openStore({ pgliteDir: path.join(dir, 'db'), pgliteTemplateCacheDir: TEST_PGLITE_CACHE });
    try {
      const report = await auditCampaign(store, a.campaignId);
      expect(report?.ok, JSON.stringify(report?.checks)).toBe(true);
      const docs = await store.documents.after(a.campaignId, 0, 100_000);
      const ops = docs.filter((d) => d.type === 'operatorAction').map((d) => (d.type === 'operatorAction' ? `${d.payload.actor}:${d.payload.action}` : ''));
      expect(ops).toContain('ada:resume');
      expect(ops.filter((o) => o === 'ada:recover:retry')).toHaveLength(decided);
      expect(journalCount(journal, 'lh-', 'accepted')).toBeGreaterThanOrEqual(commandsAtKill);
      const reportB = await auditCampaign(store, b.campaignId);
      expect(reportB?.ok, JSON.stringify(reportB?.checks)).toBe(true);
    } finally {
      await store.close();
    }
  });
});
