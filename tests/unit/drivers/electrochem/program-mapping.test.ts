import { describe, expect, it } from 'vitest';
import { DeviceError } from '../../../../src/domain/index.ts';
import { echemResultFromLads } from '../../../../drivers/electrochem/lads-echem-result.ts';
import { echemLadsMappingSchema, startRequestOf } from '../../../../drivers/electrochem/program-mapping.ts';
import type { LadsResult } from '../../../../drivers/lads/lads-model.ts';

const run = { technique: 'LSV' as const, cell: 'c1', params: { lsvScanRate_V_s: 0.01, lsvStart_V_RHE: 1.1, area: 0.2 }, sample: { trialId: 't-7', electrolyte: '0.1 M KOH', pH: 13 } };

describe('technique run → a LADS server’s program template (stations file mapping)', () => {
  it('is the identity for labloop’s own station', () => {
    const req = startRequestOf(run, 'cmd-1', echemLadsMappingSchema.parse({}));
    expect(req).toEqual({
      templateId: 'LSV',
      jobId: 'cmd-1',
      taskId: 't-7',
      properties: [
        { key: 'lsvScanRate_V_s', value: '0.01' },
        { key: 'lsvStart_V_RHE', value: '1.1' },
        { key: 'area', value: '0.2' },
        { key: 'sample.trialId', value: '"t-7"' },
        { key: 'sample.electrolyte', value: '"0.1 M KOH"' },
        { key: 'sample.pH', value: '13' },
      ],
      samples: [{ containerId: 'c1', sampleId: 't-7', position: 'c1', customData: '' }],
    });
  });

  it('renames, scales, drops and adds properties for a vendor template', () => {
    const mapping = echemLadsMappingSchema.parse({
      programs: { LSV: { template: 'LinearSweep', params: { lsvScanRate_V_s: { key: 'ScanRate_mV_s', scale: 1000 }, lsvStart_V_RHE: 'StartPotential' }, drop: ['area'], fixed: { Mode: 'potentiostatic' }, sampleProperties: false } },
    });
    const req = startRequestOf(run, 'cmd-2', mapping);
    expect(req.templateId).toBe('LinearSweep');
    expect(req.properties).toEqual([
      { key: 'ScanRate_mV_s', value: '10' },
      { key: 'StartPotential', value: '1.1' },
      { key: 'Mode', value: 'potentiostatic' },
    ]);
  });

  it('rejects unknown keys and bad values in a mapping', () => {
    expect(() => echemLadsMappingSchema.parse({ programs: { LSV: { template: 'X', parms: {} } } })).toThrow();
    expect(() => echemLadsMappingSchema.parse({ programs: { XRD: { template: 'X' } } })).toThrow();
    expect(() => echemLadsMappingSchema.parse({ results: { format: 'xml' } })).toThrow();
  });
});

describe('a vendor’s typed result → EchemResult', () => {
  const vendor = (variables: LadsResult['variables']): LadsResult => ({ nodeId: 'ns=3;i=1', name: 'Run 5', runId: '5', jobId: 'cmd-3', started: '2026-01-01T00:00:00.000Z', stopped: '2026-01-01T00:02:00.000Z', variables, files: [] });
  const arr = (value: number[], unit?: string) => ({ value, dataType: 'Double', ...(unit ? { unit } : {}) });
  const mapping = echemLadsMappingSchema.parse({
    results: { arrays: { Time: 't_s', Potential: 'Ewe_V', Current: 'I_A' }, conditions: { temperature: 25, referenceElectrode: 'Ag/AgCl', referenceOffset_V_RHE: 0.96 } },
  });

  it('reads top-level arrays as one segment of the run’s technique, with conditions from the run and the mapping', () => {
    const r = echemResultFromLads(vendor({ Time: arr([0, 1, 2], 's'), Potential: arr([1.1, 1.2, 1.3], 'V'), Current: arr([0, 1e-4, 2e-4], 'A'), Note: { value: 'ok', dataType: 'String' } }), { run, runId: '5', commandId: 'cmd-3', finalState: 'Stopped' }, mapping);
    expect(r).toMatchObject({ runId: '5', commandId: 'cmd-3', status: 'succeeded', duration_s: 120, instrumentFlags: [] });
    expect(r.curves).toEqual([{ technique: 'LSV', arrays: { t_s: [0, 1, 2], Ewe_V: [1.1, 1.2, 1.3], I_A: [0, 1e-4, 2e-4] }, params: {} }]);
    expect(r.conditions).toEqual({ area: 0.2, electrolyte: '0.1 M KOH', pH: 13, temperature: 25, referenceElectrode: 'Ag/AgCl', referenceOffset_V_RHE: 0.96 });
  });

  it('reports an aborted run as cancelled and names missing conditions', () => {
    const aborted = echemResultFromLads(vendor({ Time: arr([0]), Potential: arr([1]), Current: arr([0]) }), { run, runId: '5', commandId: 'cmd-3', finalState: 'Aborted' }, mapping);
    expect(aborted).toMatchObject({ status: 'cancelled', failure: { code: 'ABORTED' } });
    const err = (() => {
      try {
        echemResultFromLads(vendor({ Time: arr([0]) }), { run, runId: '5', commandId: 'cmd-3', finalState: 'Stopped' }, echemLadsMappingSchema.parse({}));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(DeviceError);
    expect((err as Error).message).toMatch(/lacks measurement conditions \(.*temperature.*\); give them in the stations file under echem\.results\.conditions/);
  });
});
