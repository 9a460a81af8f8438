import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ledgerVolume, stockLedger, type LabDocument } from '../../src/protocol/index.ts';
import { WorldStateFile } from '../../simulators/device-journal.ts';
import { DEFAULT_CAMPAIGN_FILE } from '../helpers/default-spec.ts';
import { killAndResume, storedDocuments } from '../helpers/kill-resume.ts';

/**
 * ADR 0113 across a kill -9 (about a minute: real `labloop` processes, like kill-resume.test.ts): a dry run whose
 * complexant stock (1,500 µL listed) runs out, with the simulated operator's auto-refill, is killed mid-run and resumed
 * to its budget. Seeded (campaign seed 11).
 */
const complexant = { name: 'complexant', volume: 1500 };

describe('stocks across a kill -9 (ADR 0113)', () => {
  it('killed -9 mid-run and resumed: the tracked volumes pick up where they were, and the simulated reservoir agrees', { timeout: 300_000 }, async () => {
    const kdir = await mkdtemp(path.join(tmpdir(), 'labloop-stock-kill-'));
    try {
      const file = path.join(kdir, 'small-stock.yaml');
      const yaml = (await readFile(DEFAULT_CAMPAIGN_FILE, 'utf8')).replace('{ name: complexant, species: complexant, concentration: 200, volume: 250000 }', '{ name: complexant, species: complexant, concentration: 200, volume: 1500 }');
      expect(yaml).toContain('volume: 1500 }');
      await writeFile(file, yaml);
      const r = await killAndResume({ dir: kdir, campaignId: 'stock-kill', seed: 11, trials: 8, killAfterMeasurements: 2, campaignFile: file, dryRunArgs: ['--stations', '2'] });
      expect(r.audit.ok).toBe(true);
      expect(r.campaigns.find((c) => c.id === 'stock-kill')?.status).toBe('completed');
      const docs = await storedDocuments(kdir, 'stock-kill');
      expect(docs.filter((d: LabDocument) => d.type === 'stationState' && d.payload.quarantined)).toEqual([]);
      const ledger = stockLedger(docs);
      expect(ledger.refills['complexant']).toBeGreaterThanOrEqual(1);
      // The resumed run's tracker started from listed + refills − drawn, and the runs in flight at the kill drew again on
      // replay (the devices answered from their logs): had a draw been lost or counted twice, the reservoir would differ.
      expect((new WorldStateFile(r.journalDir).read() as { stocks: Record<string, number> }).stocks['complexant']).toBeCloseTo(ledgerVolume(ledger, complexant), 6);
    } finally {
      await rm(kdir, { recursive: true, force: true });
    }
  });
});
