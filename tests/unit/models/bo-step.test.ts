import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/domain/random.ts';
import { poolStep, scaleToUnitCube, zeros } from '../../../models/index.ts';

/** A 2-D pool on a grid with one peak; BO in pool mode must find the top rows far faster than random. */
function makePool() {
  const raw = zeros(400, 2);
  const y: number[] = [];
  for (let i = 0; i < 20; i++)
    for (let j = 0; j < 20; j++) {
      const r = i * 20 + j;
      raw.data[2 * r] = i * 3 + 10;
      raw.data[2 * r + 1] = j * 0.5;
      y.push(-(((i - 14) / 6) ** 2) - (((j - 5) / 6) ** 2));
    }
  return { pool: scaleToUnitCube(raw).X, y };
}

describe('poolStep', () => {
  const { pool, y } = makePool();
  const top = new Set(y.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]).slice(0, 20).map(([, i]) => i));

  it.each(['auto', 'ucb', 'thompson'] as const)('%s finds most of the top-5-percent rows of a pool quickly', (acquisition) => {
    const rng = new Rng(1);
    const evaluated = [rng.int(400), rng.int(400)];
    let warm;
    for (let step = 0; step < 28; step++) {
      const res = poolStep(pool, evaluated, evaluated.map((i) => y[i]!), { acquisition, seed: step, warmStart: warm, thompsonCandidates: 200 });
      warm = res.gp.hyperparameters;
      expect(res.chosen).toHaveLength(1);
      expect(evaluated).not.toContain(res.chosen[0]);
      evaluated.push(res.chosen[0]!);
    }
    const found = evaluated.filter((i) => top.has(i)).length;
    // Random sampling would find 30/400·20 = 1.5 of them on average.
    expect(found).toBeGreaterThanOrEqual(8);
  });

  it('q-batches with pending rows return distinct unevaluated rows', () => {
    const evaluated = [0, 57, 210, 399];
    const res = poolStep(pool, evaluated, evaluated.map((i) => y[i]!), { q: 4, pending: [100, 101], seed: 3 });
    expect(new Set(res.chosen).size).toBe(4);
    for (const c of res.chosen) expect([...evaluated, 100, 101]).not.toContain(c);
    expect(() => poolStep(pool, [], [])).toThrow(/at least one/);
  });
});
