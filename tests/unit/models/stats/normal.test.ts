import { describe, expect, it } from 'vitest';
import { dLogNormCdf, erf, erfc, erfcx, logNormCdf, normCdf, normPdf, normQuantile } from '../../../../models/stats/normal.ts';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('normal special functions', () => {
  it('match reference values to ~1e-14 relative', () => {
    // Reference values (high-precision tables).
    expect(rel(erf(0.5), 0.5204998778130465)).toBeLessThan(1e-14);
    expect(rel(erf(1.5), 0.9661051464753108)).toBeLessThan(1e-14);
    expect(rel(erfc(3), 2.209049699858544e-5)).toBeLessThan(1e-13);
    expect(rel(erfc(10), 2.088487583762545e-45)).toBeLessThan(1e-13);
    expect(rel(erfcx(1), 0.42758357615580700)).toBeLessThan(1e-14);
    expect(rel(erfcx(30), 0.018795888861416751)).toBeLessThan(1e-14);
    expect(rel(normCdf(-1.5), 0.06680720126885807)).toBeLessThan(1e-14);
    expect(rel(normCdf(-20), 2.7536241186062337e-89)).toBeLessThan(1e-12);
    expect(rel(normQuantile(0.975), 1.959963984540054)).toBeLessThan(1e-14);
    expect(rel(normQuantile(1e-10), -6.361340902404056)).toBeLessThan(1e-13);
    expect(rel(normQuantile(0.3), -0.5244005127080407)).toBeLessThan(1e-13);
  });

  it('log Φ is finite and matches its asymptote far in the lower tail', () => {
    for (const z of [-40, -100, -1000]) {
      const asym = -0.5 * z * z - Math.log(-z) - 0.5 * Math.log(2 * Math.PI) + Math.log1p(-1 / (z * z));
      expect(Math.abs(logNormCdf(z) - asym)).toBeLessThan(1e-5);
    }
    expect(logNormCdf(0)).toBeCloseTo(Math.log(0.5), 15);
    expect(logNormCdf(9)).toBeCloseTo(Math.log1p(-1.1285884059538324e-19), 25);
  });

  it('d log Φ / dz matches finite differences and φ/Φ', () => {
    for (const z of [-30, -5, -1.2, -0.3, 0.7, 4]) {
      const h = 1e-6 * Math.max(1, Math.abs(z));
      const fd = (logNormCdf(z + h) - logNormCdf(z - h)) / (2 * h);
      expect(rel(dLogNormCdf(z), fd)).toBeLessThan(1e-6);
      if (z > -5) expect(rel(dLogNormCdf(z), normPdf(z) / normCdf(z))).toBeLessThan(1e-12);
    }
  });

  it('quantile inverts the distribution function', () => {
    for (const p of [1e-300, 1e-20, 0.01, 0.5, 0.77, 0.999999]) expect(rel(normCdf(normQuantile(p)), p)).toBeLessThan(1e-12);
  });
});
