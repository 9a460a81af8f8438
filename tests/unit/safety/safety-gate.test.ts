import { describe, expect, it } from 'vitest';
import { SafetyGate } from '../../../src/safety/safety-gate.ts';
import { defaultSpec, goodRecipe } from '../../helpers/default-spec.ts';

describe('safety gate', () => {
  it('allows a good recipe and returns the sample it makes', () => {
    const verdict = new SafetyGate(defaultSpec()).checkRecipe(goodRecipe);
    expect(verdict.allowed).toBe(true);
    if (!verdict.allowed) return;
    const total = verdict.sample.draws.reduce((a, d) => a + d.volume, 0);
    expect(total).toBeCloseTo(2000, 6);
    expect(verdict.sample.concentrations.Fe).toBeCloseTo(12.5, 9);
  });

  it('blocks concentrations above the envelope with the reason', () => {
    const spec = defaultSpec();
    spec.safety.maxConcentration.Ni = 20;
    const verdict = new SafetyGate(spec).checkRecipe(goodRecipe);
    expect(verdict.allowed).toBe(false);
    if (verdict.allowed) return;
    expect(verdict.reasons.join()).toMatch(/Ni: 30\.00 mM exceeds the limit 20 mM/);
  });

  it('blocks forbidden combinations and per-stock volumes', () => {
    const spec = defaultSpec();
    spec.safety.forbiddenCombinations = [{ species: ['Fe', 'complexant'], above: 5, reason: 'test hazard' }];
    spec.safety.maxStockVolume.Ni = 100;
    const verdict = new SafetyGate(spec).checkRecipe(goodRecipe);
    expect(verdict.allowed).toBe(false);
    if (verdict.allowed) return;
    expect(verdict.reasons.join('\n')).toMatch(/forbidden combination Fe \+ complexant above 5 mM: test hazard/);
    expect(verdict.reasons.join('\n')).toMatch(/stock Ni: 300\.0 µL exceeds the envelope's 100 µL/);
  });

  it('snaps a concentration too small to pipette to zero or to the smallest dosable value', () => {
    const gate = new SafetyGate(defaultSpec());
    const tiny = gate.checkRecipe({ ...goodRecipe, complexant: 0.04 });
    expect(tiny.allowed && tiny.recipe.complexant).toBe(0);
    const small = gate.checkRecipe({ ...goodRecipe, complexant: 0.07 });
    expect(small.allowed && small.recipe.complexant).toBeCloseTo(0.1, 12);
  });

  it('refuses liquid operations and potentials outside the limits', () => {
    const gate = new SafetyGate(defaultSpec());
    expect(gate.checkLiquidOperation({ kind: 'transfer', channel: 0, source: 'stock:Ni', target: 'cell:a', volume: 5000, newTip: true })[0]).toMatch(/outside the pipette range/);
    expect(gate.checkTechniqueRun({ technique: 'LSV', cell: 'a', params: { end_V_RHE: 2.4 }, sample: {} })[0]).toMatch(/outside the window/);
    expect(gate.checkTechniqueRun({ technique: 'LSV', cell: 'a', params: { end_V_RHE: 1.8 }, sample: {} })).toEqual([]);
  });
});
