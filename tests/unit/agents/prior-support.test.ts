import { describe, expect, it } from 'vitest';
import { outsidePrior } from '../../../agents/prior-support.ts';
import { createSearchSpace } from '../../../models/transforms/search-space.ts';
import { defaultSpec } from '../../helpers/default-spec.ts';
import { uniformObservations } from '../../helpers/generative-fixtures.ts';

const spec = defaultSpec();

describe('outsidePrior (ADR 0116)', () => {
  it('keeps only uniform recipes farther than the bandwidth from every prior row, deterministically', () => {
    const space = createSearchSpace(spec, { presence: false });
    // Prior rows in one corner of the space only: their first feature below 0.3.
    const prior = uniformObservations(spec, () => 0, 400, 21).filter((o) => (space.encode(o.recipe)[0] as number) < 0.3);
    const draw = outsidePrior(spec, prior);
    const out = draw(200, 5);
    expect(out.length).toBeGreaterThan(20);
    expect(out.length).toBeLessThan(200);
    const rows = prior.map((o) => space.encode(o.recipe));
    for (const r of out) {
      const x = space.encode(r);
      const nearest = Math.min(...rows.map((p) => Math.hypot(...Array.from(p, (v, k) => v - (x[k] as number)))));
      expect(nearest).toBeGreaterThan(0.1);
    }
    expect(draw(200, 5)).toEqual(out);
    expect(outsidePrior(spec, [])(50, 5)).toEqual([]);
  });
});
