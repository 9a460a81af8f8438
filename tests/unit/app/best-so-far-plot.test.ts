import { describe, expect, it } from 'vitest';
import { bestSoFarSvg } from '../../../src/app/outputs.ts';
import { loadCampaignFile } from '../../../src/config/index.ts';
import type { ExportTrial } from '../../../src/store/export.ts';
import { DEFAULT_CAMPAIGN_FILE } from '../../helpers/default-spec.ts';

const trial = (index: number, status: ExportTrial['status'], eta?: number): ExportTrial => ({
  id: `t${index}`,
  index,
  status,
  failureCode: status === 'failed' ? 'CLOT' : null,
  failureMessage: null,
  recipe: {},
  objectives: eta === undefined ? null : { eta10: eta },
  proposer: 'bo',
  suggestionId: null,
  station: 'pair1',
  attempts: 1,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
});

describe('best-so-far plot', () => {
  it('marks failed trials with a legend entry and one × each', async () => {
    const spec = await loadCampaignFile(DEFAULT_CAMPAIGN_FILE);
    const svg = bestSoFarSvg(spec, [trial(0, 'completed', 0.4), trial(1, 'failed'), trial(2, 'completed', 0.35), trial(3, 'failed')]);
    expect(svg).toContain('failed trial (2)');
    expect(svg.match(/stroke="#e67e22" stroke-width="2"\/>/g)).toHaveLength(2);
    expect(bestSoFarSvg(spec, [trial(0, 'completed', 0.4)])).not.toContain('failed trial');
  });
});
