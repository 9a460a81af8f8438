import { describe, expect, it } from 'vitest';
import type { BestEstimate } from '../../../agents/best-estimate.ts';
import type { CampaignRunSummary } from '../../../src/app/campaign-run.ts';
import { bestSoFarSvg } from '../../../src/app/outputs.ts';
import { confirmedLine, runReport } from '../../../src/cli/run-report.ts';
import type { ExportTrial } from '../../../src/store/export.ts';
import { defaultSpec } from '../../helpers/default-spec.ts';

const spec = defaultSpec();
const estimate: BestEstimate = {
  objective: 'eta10',
  direction: 'minimize',
  stage: 'final',
  basis: 'model',
  best: { recipe: { Ni: 0.5, Fe: 0.5 }, trialIds: ['t1', 't3'], n: 2, mean: 0.301, sd: 0.01, ci95: [0.29, 0.312], model: { mean: 0.303, sd: 0.004 } },
  observed: { trialId: 't2', value: 0.28, recipe: { Ni: 1 } },
  ranked: [],
};
const trial = (index: number, value: number): ExportTrial => ({
  id: `t${index}`, index, status: 'completed', failureCode: null, failureMessage: null, recipe: {}, objectives: { eta10: value }, proposer: 'bo',
  suggestionId: null, station: null, attempts: 0, createdAt: '', updatedAt: '',
});

describe('best-confirmed beside best-observed in the outputs (ADR 0060)', () => {
  it('prints the best-confirmed line: mean ± CI half-width, n, the model estimate, how it was ranked', () => {
    expect(confirmedLine(estimate, 'V')).toBe('best confirmed eta10: 0.3010 ± 0.0110 (95 % CI) V, n = 2, model 0.3030 ± 0.0040; ranked by the model — Ni=0.5 Fe=0.5');
    const noCi = { ...estimate, basis: 'replicates' as const, best: { recipe: { Ni: 1 }, trialIds: ['t2'], n: 1, mean: 0.28 } };
    expect(confirmedLine(noCi, 'V')).toBe('best estimate eta10: 0.2800 V, n = 1 (not confirmed: budget.confirmation replicates the leaders); ranked by the readings — Ni=1');
    const summary = {
      campaignId: 'c', runId: 'r', files: ['a'], virtualHours: 1, wallSeconds: 2, rows: 3,
      result: { state: 'completed', progress: { dispatched: 3, completed: 3, failed: 0, blocked: 0, running: 0, budget: 3 } },
      best: { value: 0.28, recipe: { Ni: 1 }, trialId: 't2' },
      bestEstimate: estimate,
    } as unknown as CampaignRunSummary;
    const lines = runReport(summary, spec).split('\n');
    expect(lines[2]).toBe('best observed eta10: 0.2800 V (one reading) — Ni=1');
    expect(lines[3]).toMatch(/^best confirmed eta10: 0\.3010 ± 0\.0110/);
  });

  it('draws the best-confirmed mean with its CI band and the model estimate on the best-so-far plot', () => {
    const trials = [trial(1, 0.31), trial(2, 0.28), trial(3, 0.292)];
    const plain = bestSoFarSvg(spec, trials);
    expect(plain).not.toContain('best confirmed');
    const svg = bestSoFarSvg(spec, trials, estimate);
    expect(svg).toContain('best observed so far');
    expect(svg).toContain('best confirmed 0.301 ± 0.011 (n = 2)');
    expect(svg).toContain('model estimate 0.303 ± 0.004');
    expect(svg).toContain('fill-opacity="0.15"');
  });
});
