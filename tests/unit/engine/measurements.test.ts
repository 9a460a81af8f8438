import { describe, expect, it } from 'vitest';
import { silentLogger, type EchemResult } from '../../../src/domain/index.ts';
import { recordMeasurements } from '../../../src/engine/measurements.ts';
import { DocumentBus } from '../../../src/protocol/index.ts';
import { createMeasurementSink, openStore } from '../../../src/store/index.ts';
import { TEST_PGLITE_CACHE } from '../../helpers/db.ts';

const conditions = { electrolyte: '1 M KOH', pH: 14, temperature: 25, area: 0.0707, referenceElectrode: 'Hg/HgO', referenceOffset_V_RHE: 0.926 };
const result: EchemResult = {
  schema: 'sdl.result.echem.v1',
  runId: 'run-1',
  commandId: 'cmd-1',
  status: 'succeeded',
  conditions,
  curves: [
    { technique: 'PEIS', arrays: { f_Hz: [1e5, 1e3, 10], Zre_ohm: [9, 12, 40] }, params: {} },
    { technique: 'CV', arrays: { Ewe_V: [0.1, 0.2], I_A: [1e-6, 2e-6] }, params: {} },
    { technique: 'LSV', arrays: { Ewe_V: [0.3, 0.5, 0.7], I_A: [1e-6, 1e-4, 1e-3] }, params: {} },
  ],
  instrumentFlags: [],
  duration_s: 200,
};

describe('recordMeasurements', () => {
  it("stores a run's curves in one write, before the first event that names one is published", async () => {
    const store = await openStore({ pgliteDir: 'memory://', pgliteTemplateCacheDir: TEST_PGLITE_CACHE });
    try {
      const sink = createMeasurementSink(store);
      const bus = new DocumentBus();
      const seen: { type: string; storedBefore: number }[] = [];
      bus.subscribe(async (d) => {
        seen.push({ type: d.type, storedBefore: sink.stats().written });
      });
      let n = 0;
      const out = await recordMeasurements(
        {
          campaignId: 'c1',
          bus,
          newId: () => `m${++n}`,
          analyse: () => ({ features: { eta10_V: 0.33 }, flags: [] }),
          // As the campaign stores them: each record awaited until stored.
          measurements: { write: async (m) => { await sink.write(m); await sink.flush(); } },
          logger: silentLogger,
        },
        't1',
        'run-1',
        result,
      );
      await bus.flush();
      expect(out.features).toEqual({ eta10_V: 0.33 });
      expect(sink.stats()).toMatchObject({ written: 3, batches: 1 });
      expect(seen.map((s) => s.type)).toEqual(['descriptor', 'event', 'descriptor', 'event', 'descriptor', 'event']);
      expect(seen.every((s) => s.storedBefore === 3)).toBe(true);
      expect((await store.measurements.listByTrial('t1')).map((m) => [m.id, m.technique])).toEqual([
        ['m1', 'PEIS'],
        ['m2', 'CV'],
        ['m3', 'LSV'],
      ]);
    } finally {
      await store.close();
    }
  });
});
