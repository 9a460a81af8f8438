import { describe, expect, it } from 'vitest';
import { CampaignFileError, loadCampaignFile, parseCampaign } from '../../../src/config/index.ts';
import { DEFAULT_CAMPAIGN_FILE } from '../../helpers/default-spec.ts';

describe('campaign files', () => {
  it('loads the default OER screen', async () => {
    const spec = await loadCampaignFile(DEFAULT_CAMPAIGN_FILE);
    expect(spec.id).toBe('oer-screen');
    expect(spec.parameters.find((p) => p.type === 'simplex')).toMatchObject({ components: ['Ni', 'Fe', 'Co', 'Ce', 'Mn'] });
    expect(spec.strategy.agent).toBe('bo');
  });

  it('names every bad field by its path', () => {
    const text = `
id: Bad Id
title: x
objectives: [{ name: eta10, direction: up, unit: V, feature: eta10_V }]
parameters:
  - { type: continuous, name: a, low: 5, high: 1, unit: mM }
  - { type: simplex, name: s, components: [a] }
budget: { trials: -3 }
safety: { maxTotalVolume: 100, potentialWindow_V_RHE: [2, 1] }
`;
    let error: CampaignFileError | undefined;
    try {
      parseCampaign(text, 'bad.yaml');
    } catch (e) {
      error = e as CampaignFileError;
    }
    expect(error).toBeInstanceOf(CampaignFileError);
    const paths = error!.issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['id', 'objectives.0.direction', 'parameters.1.components', 'budget.trials']));
    expect(error!.message).toContain('bad.yaml');
  });

  it('reports refinement problems (bounds, window, unknown constraint keys) once the shape is valid', () => {
    const text = `
id: ok
title: x
objectives: [{ name: y, direction: minimize, unit: V, feature: f }]
parameters: [{ type: continuous, name: a, low: 5, high: 1, unit: mM }]
constraints: [{ coefficients: { nope: 1 }, rhs: 1 }]
budget: { trials: 3 }
safety: { maxTotalVolume: 100, potentialWindow_V_RHE: [2, 1] }
`;
    expect(() => parseCampaign(text)).toThrowError(/parameters\.0\.high[\s\S]*constraints\.0\.coefficients\.nope|constraints\.0\.coefficients\.nope[\s\S]*parameters\.0\.high/);
    expect(() => parseCampaign(text)).toThrowError(/potentialWindow_V_RHE/);
  });

  it('rejects broken YAML and missing files with a clear error', async () => {
    expect(() => parseCampaign('id: [unclosed', 'x.yaml')).toThrowError(/not valid YAML/);
    await expect(loadCampaignFile('/nonexistent/c.yaml')).rejects.toThrowError(/cannot read file: ENOENT/);
  });
});
