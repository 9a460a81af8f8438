import { describe, expect, it } from 'vitest';
import { fitRandlesCpe, highFrequencyIntercept, randlesCpeZ } from '../../../../models/analysis/eis-fit.ts';
import { kramersKronigTest } from '../../../../models/analysis/kramers-kronig.ts';

function spectrum(rs: number, rct: number, q: number, alpha: number, l: number, noise = 0) {
  const freq: number[] = [];
  const zre: number[] = [];
  const zim: number[] = [];
  let s = 7;
  const g = (): number => {
    s = (s * 16807) % 2147483647;
    return (s / 2147483647 - 0.5) * 3.46; // unit variance
  };
  for (let k = 0; k <= 60; k++) {
    const f = 1e5 * 10 ** (-k / 10);
    const [re, im] = randlesCpeZ(rs, rct, q, alpha, l, f);
    const m = Math.hypot(re, im);
    freq.push(f);
    zre.push(re + noise * m * g());
    zim.push(im + noise * m * g());
  }
  return { freq, zre, zim };
}

describe('EIS analysis', () => {
  it('recovers Rs, Rct (within 5 %), Q and α of a Randles + CPE spectrum', () => {
    for (const [rs, rct, q] of [
      [8, 25, 5e-5],
      [8, 2, 1e-4],
      [15, 3000, 2e-5],
    ] as const) {
      const fit = fitRandlesCpe(spectrum(rs, rct, q, 0.9, 2e-7));
      expect(fit).toBeDefined();
      expect(fit?.rs_ohm).toBeCloseTo(rs, 2);
      expect(Math.abs((fit?.rct_ohm as number) / rct - 1)).toBeLessThan(0.05);
      expect(fit?.alpha).toBeCloseTo(0.9, 2);
      expect(Math.abs((fit?.q as number) / q - 1)).toBeLessThan(0.05);
    }
  });

  it('stays within 1 % on Rs and 5 % on Rct with 0.3 % noise', () => {
    const fit = fitRandlesCpe(spectrum(8, 25, 5e-5, 0.92, 2e-7, 0.003));
    expect(Math.abs((fit?.rs_ohm as number) / 8 - 1)).toBeLessThan(0.01);
    expect(Math.abs((fit?.rct_ohm as number) / 25 - 1)).toBeLessThan(0.05);
    expect(fit?.residual).toBeLessThan(0.01);
  });

  it('reads the high-frequency intercept where Zim crosses zero', () => {
    const s = spectrum(8, 25, 5e-5, 0.9, 2e-6);
    expect(highFrequencyIntercept(s)).toBeGreaterThan(7.9);
    expect(highFrequencyIntercept(s)).toBeLessThan(8.3);
  });
});

describe('Kramers–Kronig test', () => {
  it('passes a causal Randles + CPE spectrum with 0.3 % noise and fails one that drifts during the measurement', () => {
    const ok = kramersKronigTest(spectrum(8, 25, 5e-5, 0.9, 2e-7, 0.003));
    expect(ok.pass).toBe(true);
    expect(ok.maxResidual).toBeLessThan(0.015);
    const drift = spectrum(8, 25, 5e-5, 0.9, 2e-7);
    // The cell's resistance creeps up by 15 % while the sweep goes to low frequency (measured last).
    drift.zre = drift.zre.map((z, k) => z * (1 + 0.15 * (k / 60) ** 2));
    const bad = kramersKronigTest(drift);
    expect(bad.pass).toBe(false);
    expect(bad.maxResidual).toBeGreaterThan(0.02);
  });
});
