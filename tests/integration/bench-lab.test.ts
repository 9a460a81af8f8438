import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLabBenchmark, writeLabReport } from '../../bench/lab/lab-bench.ts';
import { parseLabOptions } from '../../bench/lab/options.ts';
import type { LabBenchResult } from '../../bench/lab/report.ts';
import { truthOf } from '../../bench/lab/truth.ts';

describe('bench:lab on a short campaign (in-process simulators, this process)', () => {
  let dir: string;
  let result: LabBenchResult;
  let files: string[];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'labloop-bench-lab-test-'));
    const o = parseLabOptions(['--seeds', '3', '--trials', '8', '--stations', '2', '--transport', 'sim', '--workers', '0', '--arms', 'default,random:agent=random,budget.confirmation.replicates=1,budget.confirmation.candidates=2', '--landscape-seeds', '2026,7', '--calibration', '30,10', '--quiet', '--out', dir]);
    if (o === 'help') throw new Error('help');
    result = await runLabBenchmark(o, 'test');
    files = writeLabReport(result, o.out, o.name);
  }, 300_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs every arm × landscape × seed and judges every trial by the truth of its own landscape', () => {
    expect(result.errors).toEqual([]);
    expect(result.runs).toHaveLength(4);
    for (const r of result.runs) {
      expect(r.state).toBe('completed');
      expect(r.spent).toBe(8);
      expect(r.trials.length).toBeGreaterThanOrEqual(8);
      for (const t of r.trials) {
        expect(t.truth).toBeCloseTo(truthOf(t.recipe, r.landscapeSeed).eta10, 12);
        if (t.status === 'completed') expect(Math.abs((t.measured ?? NaN) - t.truth)).toBeLessThan(0.15);
        expect(t.station).toMatch(/^pair[12]$/);
      }
      expect(r.curve).toHaveLength(8);
      // The reported best is the campaign's best by estimated value (ADR 0060), judged by its truth; the best single
      // reading is kept beside it.
      expect(r.observedBest?.kind).toBe('best-observed');
      expect(r.reportedBest?.truth).toBeCloseTo(truthOf(r.reportedBest?.recipe ?? {}, r.landscapeSeed).eta10, 12);
      if (r.arm === 'default') {
        expect(r.reportedBest).toMatchObject({ kind: 'best-estimated', basis: 'model' });
        expect(r.confirmationTrials).toBe(0);
      } else {
        // 2 of the 8 trials re-measured the 2 leading recipes: the reported best has 2 readings and a CI.
        expect(r.confirmationTrials).toBe(2);
        expect(r.reportedBest).toMatchObject({ kind: 'best-confirmed', basis: 'replicates', n: 2 });
        expect(r.reportedBest?.ci95).toHaveLength(2);
      }
    }
    // The same seed on two landscapes: the same first Sobol recipe, measured on different hidden truths.
    const d2026 = result.runs.find((r) => r.arm === 'default' && r.landscapeSeed === 2026);
    const d7 = result.runs.find((r) => r.arm === 'default' && r.landscapeSeed === 7);
    expect(d7?.trials[0]?.recipe).toEqual(d2026?.trials[0]?.recipe);
    expect(d7?.trials[0]?.truth).not.toBeCloseTo(d2026?.trials[0]?.truth ?? 0, 6);
    expect(result.landscapes.map((l) => l.seed)).toEqual([2026, 7]);
  });

  it('judges the final BO model against the truth and leaves model-free arms out', () => {
    const bo = result.runs.filter((r) => r.arm === 'default');
    for (const r of bo) {
      expect(r.calibration?.all.n).toBeGreaterThan(20);
      expect(r.calibration?.all.coverage95).toBeGreaterThanOrEqual(0);
      expect(Number.isFinite(r.calibration?.all.meanLogScore)).toBe(true);
    }
    for (const r of result.runs.filter((x) => x.arm === 'random')) expect(r.calibration).toBeNull();
  });

  it('writes JSON, a markdown table with paired comparisons and the regret plot', async () => {
    expect(files.map((f) => path.basename(f))).toEqual(['lab.json', 'lab.md', 'lab-regret.svg']);
    const json = JSON.parse(await readFile(files[0] as string, 'utf8')) as LabBenchResult;
    expect(json.config.seeds).toEqual([3]);
    expect(json.runs[0]?.trials[0]).toHaveProperty('truth');
    const md = await readFile(files[1] as string, 'utf8');
    expect(md).toContain('| random vs default | 2026 |');
    expect(md).toContain('coverage 95 %');
    expect(md).toContain('| best-confirmed |');
    expect(md).toContain('reported best − best true measured');
    const svg = await readFile(files[2] as string, 'utf8');
    expect(svg).toContain('<svg');
    expect(svg).toContain('fill-opacity="0.15"');
  });
});
