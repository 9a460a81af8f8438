import type { CampaignSpec, DerivedFeature } from '../../src/domain/index.ts';
import type { SearchSpace } from './search-space.ts';

/**
 * Domain features computed from the GP features (ADR 0048): a ratio a / b of two numeric parameters, scaled to [0, 1]
 * over the range the parameters' bounds allow. The feasibility model sees the features followed by these columns, so a
 * failure that sets in above a ratio (e.g. complexant per metal) is one short lengthscale instead of a diagonal band.
 */
export interface DerivedFeatureMap {
  /** Number of appended columns. */
  readonly dim: number;
  readonly names: readonly string[];
  /** Features (length featureDim) → features followed by the derived columns (length featureDim + dim). */
  augment(z: ArrayLike<number>, out?: Float64Array): Float64Array;
  /** ∂a/∂features from ∂a/∂(augmented features) at z (written into `out`, length featureDim). */
  pullback(z: ArrayLike<number>, gAug: ArrayLike<number>, out: Float64Array): void;
}

interface Scaled {
  f: number;
  low: number;
  high: number;
  log: boolean;
}

export function createDerivedFeatures(space: SearchSpace, derived: readonly DerivedFeature[] | undefined): DerivedFeatureMap {
  const D = space.featureDim;
  const list = derived ?? [];
  const params = new Map<string, Scaled>();
  for (const b of space.layout) {
    if (b.kind !== 'continuous' && b.kind !== 'integer') continue;
    const p = (space.spec as Pick<CampaignSpec, 'parameters'>).parameters.find((q) => q.name === b.name);
    if (p && (p.type === 'continuous' || p.type === 'integer')) params.set(b.name, { f: b.feature, low: p.low, high: p.high, log: p.type === 'continuous' && p.log === true });
  }
  const value = (s: Scaled, z: number): number => (s.log ? Math.exp(Math.log(s.low) + z * (Math.log(s.high) - Math.log(s.low))) : s.low + z * (s.high - s.low));
  const dValue = (s: Scaled, z: number): number => (s.log ? value(s, z) * (Math.log(s.high) - Math.log(s.low)) : s.high - s.low);
  const ratios = list.map((d) => {
    const a = params.get(d.ratio[0]);
    const b = params.get(d.ratio[1]);
    if (!a || !b) throw new RangeError(`derived feature "${d.name}": ${d.ratio.join(' / ')} are not both numeric parameters`);
    if (!(b.low > 0)) throw new RangeError(`derived feature "${d.name}": the denominator must be positive`);
    const corners = [a.low / b.low, a.low / b.high, a.high / b.low, a.high / b.high];
    return { a, b, min: Math.min(...corners), max: Math.max(...corners) };
  });
  return {
    dim: ratios.length,
    names: list.map((d) => d.name),
    augment(z, out = new Float64Array(D + ratios.length)) {
      for (let j = 0; j < D; j++) out[j] = z[j] as number;
      ratios.forEach((r, k) => {
        const za = Math.min(1, Math.max(0, z[r.a.f] as number));
        const zb = Math.min(1, Math.max(0, z[r.b.f] as number));
        out[D + k] = (value(r.a, za) / value(r.b, zb) - r.min) / (r.max - r.min);
      });
      return out;
    },
    pullback(z, gAug, out) {
      for (let j = 0; j < D; j++) out[j] = gAug[j] as number;
      ratios.forEach((r, k) => {
        const g = gAug[D + k] as number;
        if (g === 0) return;
        const za = Math.min(1, Math.max(0, z[r.a.f] as number));
        const zb = Math.min(1, Math.max(0, z[r.b.f] as number));
        const va = value(r.a, za);
        const vb = value(r.b, zb);
        const span = r.max - r.min;
        out[r.a.f] = (out[r.a.f] as number) + (g * dValue(r.a, za)) / vb / span;
        out[r.b.f] = (out[r.b.f] as number) - (g * va * dValue(r.b, zb)) / (vb * vb) / span;
      });
    },
  };
}
