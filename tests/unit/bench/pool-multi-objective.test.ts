import { describe, expect, it } from 'vitest';
import { hypervolume, paretoFront } from '../../../models/metrics/hypervolume.ts';
import { summariseArm } from '../../../bench/harness/aggregate.ts';
import { resolveArm } from '../../../bench/harness/arms.ts';
import { hypervolumeCurve } from '../../../bench/harness/metrics.ts';
import { runPoolCampaign } from '../../../bench/harness/pool-campaign.ts';
import { loadPool } from '../../../bench/harness/pool.ts';
import { poolSpecSchema, problemFromSpec } from '../../../bench/harness/problem-spec.ts';

// Two inputs on a 9 × 9 grid, two objectives in conflict: a (max) peaks at x = 1, b (min) is lowest at x = 0; z adds a
// dominated direction. The Pareto set is the row z = 0.
const rows: string[] = [];
for (let i = 0; i <= 8; i++) for (let j = 0; j <= 8; j++) {
  const x = i / 8;
  const z = j / 8;
  rows.push(`${x},${z},${(x - z * 0.5).toFixed(6)},${(x * x + z).toFixed(6)}`);
}
const csv = `x,z,a,b\n${rows.join('\n')}\n`;
const spec = poolSpecSchema.parse({
  name: 'two-objectives',
  file: 'inline.csv',
  inputs: ['x', 'z'],
  objectives: [
    { column: 'a', direction: 'maximize' },
    { column: 'b', direction: 'minimize' },
  ],
});

describe('multi-objective pools', () => {
  const pool = loadPool(spec, csv);

  it('takes the Pareto set as the top set, checked against a brute-force front', () => {
    const oriented = Array.from({ length: pool.N }, (_, i) => pool.objectives.map((o) => o.y[i] as number));
    const front = paretoFront(oriented).sort((p, q) => p - q);
    expect([...pool.top].sort((p, q) => p - q)).toEqual(front);
    expect(pool.K).toBe(9);
    expect(pool.direction).toBe('pareto');
    for (const i of pool.top) expect(pool.inputs[i]?.[1]).toBe(0);
  });

  it('scales hypervolume to the pool: all of the Pareto set gives 1, a dominated point adds nothing', () => {
    const hv = pool.hypervolume;
    if (!hv) throw new Error('no hypervolume');
    const curve = hypervolumeCurve([...pool.top], hv);
    expect(curve[curve.length - 1]).toBeCloseTo(1, 12);
    for (let i = 1; i < curve.length; i++) expect(curve[i] as number).toBeGreaterThanOrEqual(curve[i - 1] as number);
    const dominated = Array.from({ length: pool.N }, (_, i) => i).find((i) => !pool.isTop[i]) as number;
    const withDominated = hypervolumeCurve([pool.top[0] as number, dominated], hv);
    expect(withDominated[1]).toBe(withDominated[0]);
    // The first Pareto point alone: its own box over the reference point, in scaled units.
    const p = hv.scaled.map((c) => c[pool.top[0] as number] as number);
    expect(withDominated[0]).toBeCloseTo(hypervolume([p], [0, 0]) / hv.total, 12);
  });

  it('runs ParEGO campaigns that find the Pareto set far sooner than random, and summarises hypervolume', () => {
    const bo = [1, 2, 3].map((seed) => runPoolCampaign({ pool, arm: resolveArm('default'), seed, q: 1, init: 5, budget: 60 }));
    const rnd = [1, 2, 3].map((seed) => runPoolCampaign({ pool, arm: resolveArm('random'), seed, q: 1, init: 5, budget: 60 }));
    for (const t of bo) expect(new Set(t.order).size).toBe(t.order.length);
    const sBo = summariseArm(pool, bo, { description: '', init: 5, liang: false });
    const sRnd = summariseArm(pool, rnd, { description: '', init: 5, liang: false });
    expect(sBo.expTo80).not.toBeNull();
    expect(sBo.expTo80 as number).toBeLessThan(45);
    expect(sRnd.expTo80 ?? Infinity).toBeGreaterThan(sBo.expTo80 as number);
    const at = (s: typeof sBo, n: number): number => s.hypervolume?.at.find((c) => c.n === n)?.median ?? NaN;
    // Campaigns stop once the whole Pareto set is found, so every BO curve ends at 1.
    expect(sBo.hypervolume?.curve.median.at(-1)).toBe(1);
    expect(at(sBo, 25)).toBeGreaterThan(at(sRnd, 25));
    expect(sBo.hypervolume?.expToHv95).not.toBeNull();
  });

  it('is deterministic per seed', () => {
    const a = runPoolCampaign({ pool, arm: resolveArm('default'), seed: 4, q: 2, init: 5, budget: 15 });
    const b = runPoolCampaign({ pool, arm: resolveArm('default'), seed: 4, q: 2, init: 5, budget: 15 });
    expect(a.order).toEqual(b.order);
  });

  it('rejects a spec with both objective forms, or with neither, naming the field', () => {
    const base = { name: 'x', file: 'f.csv', inputs: ['x'] };
    expect(() => poolSpecSchema.parse({ ...base, objective: 'a', direction: 'maximize', objectives: spec.objectives })).toThrow(/objective/);
    expect(() => poolSpecSchema.parse(base)).toThrow(/objective/);
    expect(() => poolSpecSchema.parse({ ...base, objectives: [{ column: 'a', direction: 'maximize' }] })).toThrow();
    expect(() => problemFromSpec({ name: 'x', dataset: 'f.csv', inputs: ['x'], objective: 'a' }, { specDir: '.', datasetsDir: '.', origin: 'inline' })).toThrow(/objective/);
  });

  it('names the objective column of a non-numeric value', () => {
    expect(() => loadPool(spec, 'x,z,a,b\n0,0,1,2\n1,0,2,oops\n')).toThrow(/objective "b" is "oops"/);
  });
});
