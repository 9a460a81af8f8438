import { describe, expect, it } from 'vitest';
import { CsvPoolLandscape } from '../../../../simulators/physics/csv-pool-landscape.ts';
import { sampleFromRecipe } from '../../../../simulators/physics/landscape.ts';

const POOL = '/work/shared/datasets/olympus_oer_plate_3496.csv';
const inputs = { Ni: 'ni_load', Fe: 'fe_load', Co: 'co_load', Mn: 'mn_load', Ce: 'ce_load' } as const;

describe('CsvPoolLandscape', () => {
  it('answers a grid composition with its row of a real OER plate', () => {
    const pool = CsvPoolLandscape.fromFile(POOL, { inputs, objective: 'overpotential' });
    expect(pool.size).toBeGreaterThan(2000);
    // Row 2 of the file: ni 0.1 fe 0.2 co 0.6 mn 0.1 → 0.396193 (la 0 rows only match when the sample has no La).
    const out = pool.evaluate(sampleFromRecipe({ Ni: 0.1, Fe: 0.2, Co: 0.6, Ce: 0, Mn: 0.1 }));
    expect(out.film.eta10_V).toBeCloseTo(0.396193, 6);
    expect(out.failure).toBeUndefined();
  });

  it('snaps off-grid samples to the nearest row and uses scales for process columns', () => {
    const csv = ['ni,fe,charge,eta', '1,0,10,0.45', '0.8,0.2,10,0.30', '0.8,0.2,100,0.36', '0.5,0.5,10,0.40'].join('\n');
    const pool = new CsvPoolLandscape(csv, { inputs: { Ni: 'ni', Fe: 'fe', depositionCharge_mC_cm2: 'charge' }, objective: 'eta', tafel_mV_dec: 40 });
    const s = (ni: number, q: number) => sampleFromRecipe({ Ni: ni, Fe: 1 - ni, Co: 0, Ce: 0, Mn: 0, depositionCharge_mC_cm2: q });
    expect(pool.evaluate(s(0.78, 12)).film.eta10_V).toBe(0.3);
    expect(pool.evaluate(s(0.78, 90)).film.eta10_V).toBe(0.36);
    expect(pool.evaluate(s(0.97, 10)).film.tafel_mV_dec).toBe(40);
    expect(() => new CsvPoolLandscape(csv, { inputs: { Ni: 'nope' }, objective: 'eta' })).toThrow(/nope/);
  });
});
