import type { CampaignSpec } from '../domain/index.ts';
import { exportCampaign } from '../store/export.ts';
import type { Store } from '../store/store.ts';
import { writeCampaignOutputs } from './outputs.ts';

/** Exports a stored campaign to files; the dry run and `labloop export` share it, so both agree with the database. */
export async function exportResults(store: Store, campaignId: string, spec: CampaignSpec | undefined, outDir: string, extra: Record<string, unknown> = {}): Promise<{ files: string[]; rows: number }> {
  const exported = await exportCampaign(store, campaignId);
  const campaignSpec = spec ?? exported.campaign.spec;
  const files = await writeCampaignOutputs(outDir, campaignSpec, exported, extra);
  return { files, rows: exported.rows.length };
}
