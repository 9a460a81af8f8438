import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCampaignFile } from '../../src/config/index.ts';
import { startOpenAiStub, type OpenAiStub } from '../helpers/openai-stub.ts';

const root = path.resolve(import.meta.dirname, '../..');
const GOAL = 'Find a Ni-Fe-Co-Ce-Mn ink with the lowest OER overpotential in 96 experiments, keep Ce below 20 %';

/** Runs the CLI without blocking this process (the stub server answers from it). */
function labloop(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(root, 'bin/labloop.js'), ...args], { cwd: root, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 90_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('labloop plan', () => {
  let dir: string;
  let stub: OpenAiStub;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'labloop-plan-'));
    stub = await startOpenAiStub([{ content: JSON.stringify({ budgetTrials: 96, maxFraction: { Ce: 0.2 }, title: 'Ni-Fe-Co-Ce-Mn OER ink, Ce ≤ 20 %', rationale: 'as asked' }) }]);
  });
  afterAll(async () => {
    await stub.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a campaign the loader accepts with no endpoint (rule planner), and says what it chose', async () => {
    const out = path.join(dir, 'rules.yaml');
    const r = await labloop(['plan', GOAL, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('no LLM endpoint configured');
    expect(r.stdout).toContain('planner: rules');
    expect(r.stdout).toContain('budget.trials = 96');
    expect(r.stdout).toContain('constraints = Ce ≤ 20 %');
    expect(r.stdout).toMatch(/from the base campaign and defaults: .*safety/);
    const spec = await loadCampaignFile(out);
    expect(spec.budget.trials).toBe(96);
    expect(spec.goal).toBe(GOAL);
  }, 120_000);

  it('uses the model on a configured endpoint', async () => {
    const out = path.join(dir, 'llm.yaml');
    const r = await labloop(['plan', GOAL, '--out', out], { LABLOOP_LLM_BASE_URL: stub.baseUrl, LABLOOP_LLM_MODEL: 'stub' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('planner: llm');
    expect(r.stdout).toContain('title = Ni-Fe-Co-Ce-Mn OER ink, Ce ≤ 20 %');
    expect((await loadCampaignFile(out)).title).toBe('Ni-Fe-Co-Ce-Mn OER ink, Ce ≤ 20 %');
    expect(stub.requests).toHaveLength(1);
  }, 120_000);

  it('falls back to the rule planner on a dead endpoint', async () => {
    const out = path.join(dir, 'dead.yaml');
    const r = await labloop(['plan', GOAL, '--out', out], { LABLOOP_LLM_BASE_URL: 'http://127.0.0.1:9/v1' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("planner: rules (the model's answer was not used: provider)");
    expect((await loadCampaignFile(out)).budget.trials).toBe(96);
  }, 120_000);

  it('labloop dry-run --agent hybrid completes its budget against the stub and with a dead endpoint', async () => {
    stub.script((req) => {
      const job = (JSON.parse(req.body.messages[1]?.content ?? '{}') as { job?: string }).job;
      if (job === 'triage') return { content: JSON.stringify({ verdict: 'skip', reason: 'stub' }) };
      if (job === 'report') return { content: JSON.stringify({ markdown: 'Done.' }) };
      return { content: JSON.stringify({ strategy: 'explore', rationale: 'stub', candidates: [] }) };
    });
    for (const [name, url] of [['stub', stub.baseUrl], ['dead', 'http://127.0.0.1:9/v1']] as const) {
      const out = path.join(dir, `dry-${name}`);
      const r = await labloop(['dry-run', 'examples/oer-screen.yaml', '--agent', 'hybrid', '--trials', '6', '--stations', '2', '--transport', 'sim', '--quiet', '--out', out, '--db', path.join(dir, `db-${name}`)], {
        LABLOOP_LLM_BASE_URL: url,
        LABLOOP_LLM_TIMEOUT_MS: '10000',
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/campaign \S+: completed/);
      expect(r.stdout).toContain('(budget 6)');
      const campaign = JSON.parse(await readFile(path.join(out, 'campaign.json'), 'utf8')) as { planner: { kind: string; fallbacks: { provider: number }; answeredBy: { llm: number } } };
      expect(campaign.planner.kind).toBe('llm');
      if (name === 'stub') expect(campaign.planner.answeredBy, JSON.stringify(campaign.planner)).toMatchObject({ rules: 0 });
      else expect(campaign.planner.fallbacks.provider).toBeGreaterThan(0);
    }
  }, 300_000);

  it('refuses an unsafe goal naming the rule, and writes nothing', async () => {
    const out = path.join(dir, 'unsafe.yaml');
    const r = await labloop(['plan', 'lowest overpotential in 40 experiments with complexant up to 80 mM', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('refused (rule safety.maxConcentration.complexant)');
    expect(existsSync(out)).toBe(false);
    expect(await readFile(path.join(root, 'examples/oer-screen.yaml'), 'utf8')).toContain('complexant: 50');
  }, 120_000);
});
