import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/domain/random.ts';
import { toRows } from '../../../models/linalg/index.ts';
import { SOBOL_MAX_DIMENSION, SobolEngine, sobolNormal } from '../../../models/sobol.ts';

describe('Sobol sequence', () => {
  it('reproduces the published first points of the unscrambled Joe–Kuo sequence', () => {
    // First eight points in five dimensions (Joe & Kuo 2008 direction numbers, Gray-code order, as in scipy.stats.qmc.Sobol(scramble=False)).
    expect(toRows(new SobolEngine(5).draw(8))).toEqual([
      [0, 0, 0, 0, 0],
      [0.5, 0.5, 0.5, 0.5, 0.5],
      [0.75, 0.25, 0.25, 0.25, 0.75],
      [0.25, 0.75, 0.75, 0.75, 0.25],
      [0.375, 0.375, 0.625, 0.875, 0.375],
      [0.875, 0.875, 0.125, 0.375, 0.875],
      [0.625, 0.125, 0.875, 0.625, 0.625],
      [0.125, 0.625, 0.375, 0.125, 0.125],
    ]);
  });

  it('supports at least 21 dimensions and every 1-D projection of 2^m points is stratified', () => {
    expect(SOBOL_MAX_DIMENSION).toBeGreaterThanOrEqual(21);
    for (const scrambled of [false, true]) {
      const engine = scrambled ? new SobolEngine(SOBOL_MAX_DIMENSION, { rng: new Rng(7) }) : new SobolEngine(SOBOL_MAX_DIMENSION);
      const pts = engine.draw(256);
      for (let j = 0; j < SOBOL_MAX_DIMENSION; j++) {
        const cells = new Set<number>();
        for (let i = 0; i < 256; i++) cells.add(Math.floor((pts.data[i * SOBOL_MAX_DIMENSION + j] as number) * 256));
        expect(cells.size).toBe(256);
      }
    }
  });

  it('2-D projections of the first 2^m points are (0, m, 2)-nets for the first two dimensions', () => {
    const pts = new SobolEngine(2, { rng: new Rng(3) }).draw(64);
    // Every elementary box of area 1/64 (2^a × 2^b cells, a + b = 6) holds exactly one point.
    for (let a = 0; a <= 6; a++) {
      const b = 6 - a;
      const cells = new Set<number>();
      for (let i = 0; i < 64; i++) cells.add(Math.floor((pts.data[2 * i] as number) * 2 ** a) * 2 ** b + Math.floor((pts.data[2 * i + 1] as number) * 2 ** b));
      expect(cells.size).toBe(64);
    }
  });

  it('same seed → same scrambled points; different seed → different points; draws continue the sequence', () => {
    const a = new SobolEngine(4, { rng: new Rng(11) }).draw(10);
    const b = new SobolEngine(4, { rng: new Rng(11) }).draw(10);
    const c = new SobolEngine(4, { rng: new Rng(12) }).draw(10);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(Array.from(a.data)).not.toEqual(Array.from(c.data));
    const e = new SobolEngine(4, { rng: new Rng(11) });
    e.draw(6);
    expect(Array.from(e.draw(4).data)).toEqual(Array.from(a.data.subarray(24)));
    for (const v of a.data) expect(v > 0 && v < 1).toBe(true);
  });

  it('rejects unsupported dimensions', () => {
    expect(() => new SobolEngine(0)).toThrow(RangeError);
    expect(() => new SobolEngine(SOBOL_MAX_DIMENSION + 1)).toThrow(RangeError);
  });

  it('quasi-random normals have mean ≈ 0 and variance ≈ 1, also beyond the tabulated dimensions', () => {
    const z = sobolNormal(1024, 40, new Rng(5));
    for (const j of [0, 10, 35]) {
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < 1024; i++) {
        const v = z.data[i * 40 + j] as number;
        s += v;
        s2 += v * v;
      }
      expect(Math.abs(s / 1024)).toBeLessThan(j < 32 ? 0.01 : 0.15);
      expect(Math.abs(s2 / 1024 - 1)).toBeLessThan(j < 32 ? 0.02 : 0.2);
    }
  });
});
