import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../../src/store/csv.ts';
import { loadPool } from '../../../bench/harness/pool.ts';
import { poolSpecSchema, listPresetSpecs, loadSpecFile, resolveSpecPath } from '../../../bench/harness/problem-spec.ts';
import { initialIndices, runPoolCampaign } from '../../../bench/harness/pool-campaign.ts';
import { resolveArm } from '../../../bench/harness/arms.ts';
import { experimentsTo } from '../../../bench/harness/metrics.ts';

const DATASETS = path.resolve(import.meta.dirname, '../../../../shared/datasets');
const spec = (over: Record<string, unknown>) => poolSpecSchema.parse({ name: 't', file: 'inline.csv', inputs: ['a', 'b'], objective: 'y', direction: 'maximize', ...over });

describe('CSV and pool loading', () => {
  it('reads quoted fields, CRLF and a byte-order mark', () => {
    const t = parseCsv('\ufeffa,"b,c",d\r\n1,"x ""y""",3\r\n\r\n');
    expect(t.header).toEqual(['a', 'b,c', 'd']);
    expect(t.rows).toEqual([['1', 'x "y"', '3']]);
    expect(() => parseCsv('a,b\n1\n')).toThrow(/row 2 has 1 fields/);
  });

  it('averages replicates by identical input vector with the mean of distinct values (Liang et al.)', () => {
    const csv = 'a,b,y\n1,2,1\n1,2.0,1\n1,2,4\n3,4,10\n';
    const distinct = loadPool(spec({}), csv);
    expect(distinct.N).toBe(2);
    expect(distinct.rowsRead).toBe(4);
    expect(Array.from(distinct.value)).toEqual([2.5, 10]);
    expect(Array.from(loadPool(spec({ replicates: 'mean' }), csv).value)).toEqual([2, 10]);
    expect(loadPool(spec({ replicates: 'none' }), csv).N).toBe(4);
    // Replicate noise: variance of the mean of the distinct values {1, 4}.
    expect(distinct.replicateNoise?.[0]).toBeCloseTo(4.5 / 2, 12);
  });

  it('encodes numbers min–max, simplex groups as fractions and labels one-hot; orients the objective', () => {
    const csv = 'm1,m2,solvent,t,y\n1,3,water,10,5\n2,2,ethanol,20,1\n0,4,water,30,3\n';
    const pool = loadPool(spec({ inputs: ['m1', 'm2', 'solvent', 't'], simplex: [['m1', 'm2']], categorical: ['solvent'], direction: 'minimize', topFraction: 0.34 }), csv);
    expect(pool.featureNames).toEqual(['m1', 'm2', 'solvent=ethanol', 'solvent=water', 't']);
    expect(Array.from(pool.X.data.subarray(0, 5))).toEqual([0.25, 0.75, 0, 1, 0]);
    expect(Array.from(pool.X.data.subarray(5, 10))).toEqual([0.5, 0.5, 1, 0, 0.5]);
    expect(Array.from(pool.y)).toEqual([-5, -1, -3]);
    expect(pool.K).toBe(2);
    expect(pool.top).toEqual([1, 2]);
  });

  it('runs the default arm (copula warp, presence indicators) on a mixture pool without repeats', () => {
    const rows = [];
    for (let a = 0; a <= 10; a++) for (let b = 0; a + b <= 10; b++) rows.push(`${a / 10},${b / 10},${(10 - a - b) / 10},${(a === 0 ? 1 : 0) + Math.sin(a + 2 * b)}`);
    const pool = loadPool(spec({ inputs: ['p', 'q', 'r'], simplex: [['p', 'q', 'r']], direction: 'maximize' }), `p,q,r,y\n${rows.join('\n')}\n`);
    expect(pool.simplexFeatures).toEqual([[0, 1, 2]]);
    const plain = runPoolCampaign({ pool, arm: resolveArm('ucb-plain'), seed: 1, q: 2, init: 4, budget: 20 });
    const def = runPoolCampaign({ pool, arm: resolveArm('default'), seed: 1, q: 2, init: 4, budget: 20 });
    expect(new Set(def.order).size).toBe(20);
    expect(def.order.slice(0, 4)).toEqual(plain.order.slice(0, 4));
    expect(def.order).not.toEqual(plain.order);
  });

  it('names a missing column and a non-numeric input', () => {
    expect(() => loadPool(spec({ inputs: ['a', 'zz'] }), 'a,b,y\n1,2,3\n4,5,6\n')).toThrow(/column "zz"/);
    expect(() => loadPool(spec({}), 'a,b,y\n1,x,3\n4,5,6\n')).toThrow(/input "b" is "x"/);
  });

  it('reproduces the Liang pool sizes: crossed barrel 600, AgNP 164, perovskite 94, AutoAM 100', () => {
    const sizes = Object.fromEntries(
      ['liang-crossed-barrel', 'liang-agnp', 'liang-perovskite', 'liang-autoam'].map((n) => [n, loadPool(loadSpecFile(resolveSpecPath(n), DATASETS).pool).N]),
    );
    expect(sizes).toEqual({ 'liang-crossed-barrel': 600, 'liang-agnp': 164, 'liang-perovskite': 94, 'liang-autoam': 100 });
  });

  it('every preset spec parses and names an existing dataset', () => {
    for (const name of listPresetSpecs()) {
      const p = loadSpecFile(resolveSpecPath(name), DATASETS);
      expect(fs.existsSync(p.pool.file), name).toBe(true);
    }
  });
});

describe('pool campaigns', () => {
  // A 1-D pool: y = −(x − 0.7)², 41 points; the top 5 % are the 3 points nearest 0.7.
  const rows = Array.from({ length: 41 }, (_, i) => `${i / 40},${-((i / 40 - 0.7) ** 2)}`);
  const pool = loadPool(poolSpecSchema.parse({ name: 'parabola', file: 'x.csv', inputs: ['x'], objective: 'y', direction: 'maximize' }), `x,y\n${rows.join('\n')}\n`);

  it('initial points depend only on the seed and pool size (paired across arms)', () => {
    expect(initialIndices(600, 2, 7)).toEqual(initialIndices(600, 2, 7));
    expect(initialIndices(600, 5, 7)).not.toEqual(initialIndices(600, 5, 8));
    const a = runPoolCampaign({ pool, arm: resolveArm('random'), seed: 3, q: 1, init: 4, budget: 10 });
    const b = runPoolCampaign({ pool, arm: resolveArm('lcb2-matern'), seed: 3, q: 1, init: 4, budget: 10 });
    expect(a.order.slice(0, 4)).toEqual(b.order.slice(0, 4));
  });

  it('never evaluates a row twice, respects the budget and stops once the top set is found', () => {
    const r = runPoolCampaign({ pool, arm: resolveArm('random'), seed: 1, q: 4, init: 2, budget: 23 });
    expect(new Set(r.order).size).toBe(r.order.length);
    expect(r.order.length).toBe(23);
    expect(r.stop).toBe('budget');
    const g = runPoolCampaign({ pool, arm: resolveArm('default'), seed: 1, q: 1, init: 2 });
    expect(new Set(g.order).size).toBe(g.order.length);
    expect(g.stop).toBe('top');
    expect(experimentsTo(g.order, pool.isTop, pool.K, 1)).toBe(g.order.length);
    expect(g.order.length).toBeLessThan(15);
  });

  it('batches of q distinct rows with qLogNEI and with the kriging believer', () => {
    for (const arm of ['default', 'lcb2-matern']) {
      const r = runPoolCampaign({ pool, arm: resolveArm(arm), seed: 2, q: 3, init: 3, budget: 12, stopAtTop: 1 });
      expect(new Set(r.order).size).toBe(r.order.length);
      expect(r.roundN.every((n, k) => n === 3 + 3 * k)).toBe(true);
    }
  });

  it('resolves arm overrides and rejects unknown ones', () => {
    const a = resolveArm('default(kernel=matern52,acq=ucb,beta=9,refit=3)');
    expect(a.kind === 'gp' && a.kernel === 'matern52' && a.acquisition === 'ucb' && a.beta === 9 && a.fit.refitEvery === 3).toBe(true);
    expect(() => resolveArm('nope')).toThrow(/unknown arm/);
    expect(() => resolveArm('default(colour=red)')).toThrow(/unknown arm override/);
  });
});
