import { describe, expect, it } from 'vitest';
import { planSample, recipeOperation, sampleTransferSteps, snapToDosable } from '../../../src/devices/sample-preparation.ts';
import { defaultSpec, goodRecipe } from '../../helpers/default-spec.ts';

const spec = defaultSpec();

describe('recipe → operations', () => {
  it('plans stock draws in mixing order (diluent, additives, then the metals) that add up to the sample', () => {
    const planned = planSample(spec, goodRecipe);
    if (!planned.ok) throw new Error(planned.reasons.join());
    const { plan } = planned;
    expect(plan.draws.map((d) => d.species)).toEqual(['water', 'complexant', 'Ni', 'Fe', 'Co']);
    expect(plan.draws.reduce((s, d) => s + d.volume, 0)).toBeCloseTo(2000, 9);
    expect(plan.concentrations).toMatchObject({ Ni: 30, Fe: 12.5, Co: 7.5, complexant: 10 });
    expect(plan.draws.find((d) => d.species === 'Ni')?.volume).toBeCloseTo(300, 9);
  });

  it('refuses with every reason: concentration out of reach, below the pipette minimum, too little stock above the dead volume', () => {
    const tooStrong = planSample(spec, { ...goodRecipe, complexant: 300 });
    expect(tooStrong).toMatchObject({ ok: false, refusals: [{ kind: 'concentration-out-of-reach', species: 'complexant' }] });
    const tiny = planSample(spec, { ...goodRecipe, complexant: 0.05 });
    expect(tiny).toMatchObject({ ok: false, refusals: [{ kind: 'below-pipette-minimum', species: 'complexant' }] });
    const low = planSample(spec, goodRecipe, { usableVolume: (s) => (s.name === 'Ni' ? 120 : 10_000) });
    expect(low.ok).toBe(false);
    if (!low.ok) {
      expect(low.refusals).toEqual([{ kind: 'insufficient-volume', species: 'Ni', message: 'Ni: 300.0 µL needed, 120 µL usable above the dead volume' }]);
      expect(low.reasons).toEqual([low.refusals[0]?.message]);
    }
    const noWater = planSample({ ...spec, stocks: spec.stocks.filter((s) => s.species !== 'water') }, goodRecipe);
    expect(noWater).toMatchObject({ ok: false, refusals: [{ kind: 'no-diluent' }] });
    const overfull = planSample({ ...spec, protocol: { ...spec.protocol, sampleVolume: 200 } }, { ...goodRecipe, totalMetal: 150, complexant: 100 });
    expect(overfull.ok === false && overfull.refusals.some((r) => r.kind === 'over-volume')).toBe(true);
  });

  it('counts the dead volume of the listed stocks by default', () => {
    const small = { ...spec, stocks: spec.stocks.map((s) => (s.name === 'Fe' ? { ...s, volume: 600 } : s)) };
    const planned = planSample(small, goodRecipe);
    expect(planned.ok === false && planned.refusals[0]?.kind).toBe('insufficient-volume');
    expect(planSample(small, goodRecipe, { deadVolume: 0 }).ok).toBe(true);
  });

  it('turns a plan into one frozen batched protocol of tip-sized transfers, a fresh tip per stock', () => {
    const r = recipeOperation(spec, { ...goodRecipe, complexant: 0, totalMetal: 100, Ni: 0.1, Fe: 0, Co: 0.9 }, 'cell:pair1');
    if (!r.ok) throw new Error(r.reasons.join());
    expect(Object.isFrozen(r.op)).toBe(true);
    if (r.op.kind !== 'run_protocol') throw new Error('not a protocol');
    expect(r.op.steps.map((s) => (s.kind === 'transfer' ? [s.source, s.volume, s.newTip] : s.kind))).toEqual([
      ['stock:water', 1000, true],
      ['stock:Ni', 100, true],
      ['stock:Co', 900, true],
    ]);
    const big = sampleTransferSteps({ draws: [{ stock: 'water', species: 'water', volume: 2500 }], concentrations: {}, totalVolume: 2500 }, 'cell:x');
    expect(big.map((s) => (s.kind === 'transfer' ? [s.volume, s.newTip] : []))).toEqual([
      [833.333, true],
      [833.333, false],
      [833.333, false],
    ]);
  });

  it('snaps an undosable concentration to zero or to the smallest dosable value', () => {
    expect(snapToDosable(spec, { ...goodRecipe, complexant: 0.04 }).complexant).toBe(0);
    expect(snapToDosable(spec, { ...goodRecipe, complexant: 0.07 }).complexant).toBeCloseTo(0.1, 9);
  });
});
