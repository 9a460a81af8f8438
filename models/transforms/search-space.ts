import type { CampaignSpec, Parameter, Recipe } from '../../src/domain/index.ts';
import { normaliseRecipe } from '../../src/domain/recipe.ts';

/**
 * Encoding of a campaign's search space for the surrogate and the acquisition optimiser.
 *
 * Two coordinate systems:
 * - **features** (dimension `featureDim`, the GP input, every entry in [0, 1]): continuous and integer parameters
 *   scaled linearly (or in log for `log: true`) to [0, 1]; categorical parameters one-hot; a simplex group as its K
 *   component fractions (which sum to 1).
 * - **search point** `{ u, cats }`: `u` in the box [0, 1]^searchDim, where continuous and integer parameters are the
 *   same scaled value and a simplex of K components takes K − 1 stick-breaking coordinates
 *   (f_1 = y_1, f_i = y_i·Π_{l<i}(1 − y_l), f_K = Π_{l<K}(1 − y_l)), so every box point is an exact mixture and every
 *   mixture (faces included) is reachable with the box bounds; `cats[c]` is the chosen index of categorical c.
 *   Box-constrained optimisers (L-BFGS-B) work on `u`; the chain rule (`pullbackGradient`) gives ∂/∂u.
 *
 * With `presence: true` the features end with one indicator per simplex component, 1 when the component is in the
 * mixture (fraction > 1e-9): leaving a component out can change a material qualitatively, which a stationary kernel
 * on the fractions alone cannot express (ADR 0045). The indicators are derived from the fractions (their gradient is
 * zero; decoding ignores them) and the indicators of one simplex share a lengthscale group.
 */
export interface SearchSpaceOptions {
  /** Append a component-present indicator per simplex component to the features (default false). */
  presence?: boolean;
}

/** A fraction above this counts as present. */
export const PRESENCE_THRESHOLD = 1e-9;
export interface SearchPoint {
  u: Float64Array;
  cats: Int32Array;
}

type Block =
  | { kind: 'continuous'; param: Extract<Parameter, { type: 'continuous' }>; f: number; s: number }
  | { kind: 'integer'; param: Extract<Parameter, { type: 'integer' }>; f: number; s: number }
  | { kind: 'categorical'; param: Extract<Parameter, { type: 'categorical' }>; f: number; c: number }
  | { kind: 'simplex'; param: Extract<Parameter, { type: 'simplex' }>; f: number; s: number };

/**
 * Public description of the feature blocks (the charts of the dispensable set in face-chart.ts read it): offsets into
 * the feature vector (`feature`) and the box search point (`search`), per parameter in spec order.
 */
export type LayoutBlock =
  | { kind: 'continuous' | 'integer'; name: string; feature: number; search: number }
  | { kind: 'categorical'; name: string; feature: number; choices: number; index: number }
  | {
      kind: 'simplex';
      name: string;
      feature: number;
      search: number;
      components: readonly string[];
      minFraction: number;
      /** At most this many non-zero fractions (the number of components when unlimited). */
      maxComponents: number;
      /** Feature offset of the component-present indicators (undefined without presence features). */
      presence: number | undefined;
    };

export interface SearchSpace {
  readonly layout: readonly LayoutBlock[];
  readonly spec: Pick<CampaignSpec, 'parameters' | 'constraints'>;
  /** GP input dimension D. */
  readonly featureDim: number;
  /** Box coordinates of a search point. */
  readonly searchDim: number;
  /** Number of choices of each categorical parameter, in spec order. */
  readonly categoryCounts: readonly number[];
  /** Names of the feature columns (e.g. `Ni`, `annealTemperature`, `solvent=water`). */
  readonly featureNames: readonly string[];
  /**
   * Lengthscale group of each feature column: the components of one simplex share a group (fractions of one mixture
   * are the same kind of quantity), every other column has its own. Feeds the GP's `lengthscaleGroups`.
   */
  readonly featureGroups: readonly number[];
  /** Number of trailing component-present indicator features (0 unless created with `presence`). */
  readonly presenceDim: number;
  /** Recipe → features (length featureDim). Fractions are renormalised; missing numbers throw. */
  encode(recipe: Recipe): Float64Array;
  /** Features → raw recipe (numbers un-scaled, one-hot → arg-max choice); not yet `normaliseRecipe`d. */
  decodeRaw(features: ArrayLike<number>): Recipe;
  /** Features → dispensable recipe: `decodeRaw` then `normaliseRecipe` (snapping, max components, integer rounding). */
  decode(features: ArrayLike<number>): Recipe;
  /** Search point → features (written into `out` when given). */
  toFeatures(p: SearchPoint, out?: Float64Array): Float64Array;
  /** Features → a search point that maps back to the same features. */
  fromFeatures(features: ArrayLike<number>): SearchPoint;
  /** Given ∂a/∂features at the image of p, returns ∂a/∂u (length searchDim). */
  pullbackGradient(p: SearchPoint, gradFeatures: ArrayLike<number>): Float64Array;
  /**
   * A search point from a point of the unit cube of dimension `searchDim + categoryCounts.length` (e.g. a Sobol
   * point): simplex coordinates are transformed so that uniform input gives mixtures uniform on the simplex; the
   * trailing coordinates pick categories.
   */
  fromUnit(unit: ArrayLike<number>): SearchPoint;
  /** Dimension of the unit cube `fromUnit` reads. */
  readonly unitDim: number;
  /** Linear-constraint slacks Σ coef·value − rhs (> 0 means violated) of a raw recipe. */
  constraintSlacks(recipe: Recipe): number[];
}

export function createSearchSpace(spec: Pick<CampaignSpec, 'parameters' | 'constraints'>, options: SearchSpaceOptions = {}): SearchSpace {
  const blocks: Block[] = [];
  const featureNames: string[] = [];
  const featureGroups: number[] = [];
  const categoryCounts: number[] = [];
  const ownGroup = (): number => (featureGroups.length === 0 ? 0 : Math.max(...featureGroups) + 1);
  let f = 0;
  let s = 0;
  for (const p of spec.parameters) {
    switch (p.type) {
      case 'continuous':
        blocks.push({ kind: 'continuous', param: p, f, s });
        featureGroups.push(ownGroup());
        featureNames.push(p.name);
        f += 1;
        s += 1;
        break;
      case 'integer':
        blocks.push({ kind: 'integer', param: p, f, s });
        featureGroups.push(ownGroup());
        featureNames.push(p.name);
        f += 1;
        s += 1;
        break;
      case 'categorical':
        blocks.push({ kind: 'categorical', param: p, f, c: categoryCounts.length });
        for (const c of p.choices) {
          featureGroups.push(ownGroup());
          featureNames.push(`${p.name}=${c}`);
        }
        categoryCounts.push(p.choices.length);
        f += p.choices.length;
        break;
      case 'simplex':
        blocks.push({ kind: 'simplex', param: p, f, s });
        const group = ownGroup();
        for (let k = 0; k < p.components.length; k++) featureGroups.push(group);
        featureNames.push(...p.components);
        f += p.components.length;
        s += p.components.length - 1;
        break;
    }
  }
  // Component-present indicators after every other feature, one lengthscale group per simplex: the K fractions at
  // `fractions` give the K indicators at `at`.
  const presence: { fractions: number; at: number; K: number }[] = [];
  if (options.presence)
    for (const b of blocks) {
      if (b.kind !== 'simplex') continue;
      const K = b.param.components.length;
      presence.push({ fractions: b.f, at: f, K });
      const group = ownGroup();
      for (const c of b.param.components) {
        featureGroups.push(group);
        featureNames.push(`present(${c})`);
      }
      f += K;
    }
  const presenceDim = presence.reduce((n, p) => n + p.K, 0);
  const featureDim = f;
  const searchDim = s;
  /** Writes the indicators of every simplex from its fractions (already in `out`). */
  const writePresence = (out: Float64Array): void => {
    for (const p of presence) for (let i = 0; i < p.K; i++) out[p.at + i] = (out[p.fractions + i] as number) > PRESENCE_THRESHOLD ? 1 : 0;
  };

  const scale = (p: { low: number; high: number; log?: boolean }, v: number): number =>
    p.log ? (Math.log(v) - Math.log(p.low)) / (Math.log(p.high) - Math.log(p.low)) : (v - p.low) / (p.high - p.low);
  const unscale = (p: { low: number; high: number; log?: boolean }, z: number): number => {
    const c = Math.min(1, Math.max(0, z));
    return p.log ? Math.exp(Math.log(p.low) + c * (Math.log(p.high) - Math.log(p.low))) : p.low + c * (p.high - p.low);
  };

  const encode = (recipe: Recipe): Float64Array => {
    const out = new Float64Array(featureDim);
    const num = (key: string): number => {
      const v = recipe[key];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`recipe value "${key}" is missing or not a finite number`);
      return v;
    };
    for (const b of blocks) {
      if (b.kind === 'continuous' || b.kind === 'integer') out[b.f] = scale(b.param, num(b.param.name));
      else if (b.kind === 'categorical') {
        const v = recipe[b.param.name];
        const idx = typeof v === 'string' ? b.param.choices.indexOf(v) : -1;
        if (idx < 0) throw new Error(`recipe value "${b.param.name}" must be one of ${b.param.choices.join(', ')}`);
        out[b.f + idx] = 1;
      } else {
        const comps = b.param.components.map((c) => Math.max(0, num(c)));
        const total = comps.reduce((a, x) => a + x, 0);
        if (!(total > 0)) throw new Error(`simplex "${b.param.name}" has no positive component`);
        comps.forEach((v, i) => (out[b.f + i] = v / total));
      }
    }
    writePresence(out);
    return out;
  };

  const decodeRaw = (z: ArrayLike<number>): Recipe => {
    const out: Recipe = {};
    for (const b of blocks) {
      if (b.kind === 'continuous') out[b.param.name] = unscale(b.param, z[b.f] as number);
      else if (b.kind === 'integer') out[b.param.name] = Math.round(unscale(b.param, z[b.f] as number));
      else if (b.kind === 'categorical') {
        let best = 0;
        for (let i = 1; i < b.param.choices.length; i++) if ((z[b.f + i] as number) > (z[b.f + best] as number)) best = i;
        out[b.param.name] = b.param.choices[best] as string;
      } else {
        const K = b.param.components.length;
        let total = 0;
        for (let i = 0; i < K; i++) total += Math.max(0, z[b.f + i] as number);
        b.param.components.forEach((c, i) => (out[c] = total > 0 ? Math.max(0, z[b.f + i] as number) / total : 1 / K));
      }
    }
    return out;
  };

  const toFeatures = (p: SearchPoint, out = new Float64Array(featureDim)): Float64Array => {
    for (const b of blocks) {
      if (b.kind === 'continuous' || b.kind === 'integer') out[b.f] = p.u[b.s] as number;
      else if (b.kind === 'categorical') {
        const k = b.param.choices.length;
        const idx = p.cats[b.c] as number;
        for (let i = 0; i < k; i++) out[b.f + i] = i === idx ? 1 : 0;
      } else {
        const K = b.param.components.length;
        let rest = 1;
        for (let i = 0; i < K - 1; i++) {
          const y = p.u[b.s + i] as number;
          out[b.f + i] = rest * y;
          rest *= 1 - y;
        }
        out[b.f + K - 1] = rest;
      }
    }
    writePresence(out);
    return out;
  };

  const fromFeatures = (z: ArrayLike<number>): SearchPoint => {
    const u = new Float64Array(searchDim);
    const cats = new Int32Array(categoryCounts.length);
    for (const b of blocks) {
      if (b.kind === 'continuous' || b.kind === 'integer') u[b.s] = Math.min(1, Math.max(0, z[b.f] as number));
      else if (b.kind === 'categorical') {
        let best = 0;
        for (let i = 1; i < b.param.choices.length; i++) if ((z[b.f + i] as number) > (z[b.f + best] as number)) best = i;
        cats[b.c] = best;
      } else {
        const K = b.param.components.length;
        let total = 0;
        for (let i = 0; i < K; i++) total += Math.max(0, z[b.f + i] as number);
        let rest = 1;
        for (let i = 0; i < K - 1; i++) {
          const fi = total > 0 ? Math.max(0, z[b.f + i] as number) / total : 1 / K;
          const y = rest > 1e-15 ? Math.min(1, Math.max(0, fi / rest)) : 0;
          u[b.s + i] = y;
          rest *= 1 - y;
        }
      }
    }
    return { u, cats };
  };

  const pullbackGradient = (p: SearchPoint, g: ArrayLike<number>): Float64Array => {
    const out = new Float64Array(searchDim);
    for (const b of blocks) {
      if (b.kind === 'continuous' || b.kind === 'integer') out[b.s] = g[b.f] as number;
      else if (b.kind === 'simplex') {
        const K = b.param.components.length;
        // R_j = Π_{l<j}(1 − y_l); T_j = g_{j+1}·c_{j+1} + (1 − y_{j+1})·T_{j+1}, c_i = y_i (i < K), c_K = 1.
        const R = new Float64Array(K);
        R[0] = 1;
        for (let j = 1; j < K; j++) R[j] = (R[j - 1] as number) * (1 - (p.u[b.s + j - 1] as number));
        let T = g[b.f + K - 1] as number; // T_{K−2} in 0-based indexing
        for (let j = K - 2; j >= 0; j--) {
          out[b.s + j] = (R[j] as number) * ((g[b.f + j] as number) - T);
          if (j > 0) {
            const y = p.u[b.s + j] as number;
            T = (g[b.f + j] as number) * y + (1 - y) * T;
          }
        }
      }
    }
    return out;
  };

  const unitDim = searchDim + categoryCounts.length;
  const fromUnit = (unit: ArrayLike<number>): SearchPoint => {
    const u = new Float64Array(searchDim);
    const cats = new Int32Array(categoryCounts.length);
    for (const b of blocks) {
      if (b.kind === 'continuous' || b.kind === 'integer') u[b.s] = unit[b.s] as number;
      else if (b.kind === 'simplex') {
        const K = b.param.components.length;
        // y_i ~ Beta(1, K − i) makes the stick-breaking fractions uniform (Dirichlet(1, …, 1)) on the simplex.
        for (let i = 0; i < K - 1; i++) u[b.s + i] = 1 - Math.pow(1 - (unit[b.s + i] as number), 1 / (K - 1 - i));
      } else {
        const k = b.param.choices.length;
        cats[b.c] = Math.min(k - 1, Math.floor((unit[searchDim + b.c] as number) * k));
      }
    }
    return { u, cats };
  };

  const constraintSlacks = (recipe: Recipe): number[] =>
    spec.constraints.map((c) => {
      let lhs = 0;
      for (const [key, coef] of Object.entries(c.coefficients)) {
        const v = recipe[key];
        lhs += coef * (typeof v === 'number' ? v : 0);
      }
      return lhs - c.rhs;
    });

  const layout: LayoutBlock[] = blocks.map((b): LayoutBlock => {
    if (b.kind === 'continuous' || b.kind === 'integer') return { kind: b.kind, name: b.param.name, feature: b.f, search: b.s };
    if (b.kind === 'categorical') return { kind: 'categorical', name: b.param.name, feature: b.f, choices: b.param.choices.length, index: b.c };
    const K = b.param.components.length;
    return {
      kind: 'simplex',
      name: b.param.name,
      feature: b.f,
      search: b.s,
      components: b.param.components,
      minFraction: b.param.minFraction,
      maxComponents: Math.min(K, b.param.maxComponents ?? K),
      presence: presence.find((p) => p.fractions === b.f)?.at,
    };
  });

  return {
    layout,
    spec,
    featureDim,
    presenceDim,
    searchDim,
    categoryCounts,
    featureNames,
    featureGroups,
    encode,
    decodeRaw,
    decode: (z) => normaliseRecipe(spec, decodeRaw(z)),
    toFeatures,
    fromFeatures,
    pullbackGradient,
    fromUnit,
    unitDim,
    constraintSlacks,
  };
}
