import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseCampaign } from '../../src/config/index.ts';
import type { CampaignSpec } from '../../src/domain/index.ts';

export const DEFAULT_CAMPAIGN_FILE = path.resolve(import.meta.dirname, '../../examples/oer-screen.yaml');

/** The default OER screen campaign, optionally with overrides merged at the top level. */
export function defaultSpec(overrides: Partial<CampaignSpec> = {}): CampaignSpec {
  return { ...parseCampaign(readFileSync(DEFAULT_CAMPAIGN_FILE, 'utf8'), DEFAULT_CAMPAIGN_FILE), ...overrides };
}

export const goodRecipe = {
  Ni: 0.6, Fe: 0.25, Co: 0.15, Ce: 0, Mn: 0,
  totalMetal: 50, complexant: 10, depositionCharge_mC_cm2: 40, annealTemperature: 200,
};
