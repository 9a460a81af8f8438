import fs from 'node:fs';
import { zeros, type Matrix } from '../../models/linalg/index.ts';
import { parseCsv } from '../../src/store/csv.ts';
import { hypervolume } from '../../models/metrics/hypervolume.ts';
import { specObjectives, type PoolSpec } from './problem-spec.ts';

/**
 * A finite benchmark pool: the unique input vectors of a CSV file (replicates averaged), encoded as GP features in
 * the unit cube, with the objective oriented so that larger is better and the top set marked.
 *
 * Encoding: a numeric input is min–max scaled over the pool; a simplex group keeps its fractions (each row divided
 * by the group's sum, so they lie in [0, 1] and sum to 1); a categorical input is one-hot over its sorted levels.
 * Replicates: rows with the same input vector (numbers compared by value, labels as text) form one pool point whose
 * objective is the mean of the group's *distinct* values (Liang et al. 2021: pandas `x.unique().mean()`), or the
 * plain mean, or every row kept (`none`).
 *
 * Several objectives: each is replicate-averaged the same way and oriented to maximise; the top set is the Pareto set
 * (points no other point dominates) and `y` ranks points by how many others dominate them (0 for the Pareto set).
 */
export interface Pool {
  name: string;
  /** Pool points (unique input vectors after replicate averaging). */
  N: number;
  /** CSV data rows read. */
  rowsRead: number;
  /** GP features, N×d in the unit cube. */
  X: Matrix;
  featureNames: string[];
  /** Lengthscale group of each feature: the fractions of one simplex group share one, every other feature has its own. */
  featureGroups: number[];
  /** Feature indices of each simplex group's fractions. */
  simplexFeatures: number[][];
  /** Objective in its own units and direction (replicate-averaged); with several objectives, the same as `y`. */
  value: Float64Array;
  /** Oriented objective: value for maximisation, −value for minimisation (larger is better); with several objectives, −(number of points dominating the point). */
  y: Float64Array;
  direction: 'minimize' | 'maximize' | 'pareto';
  /** Every objective, oriented to maximise (one entry for a single-objective pool). */
  objectives: { name: string; direction: 'minimize' | 'maximize'; y: Float64Array }[];
  /** Several objectives: each oriented objective min–max scaled over the pool (reference point 0), and the hypervolume of the pool's Pareto set in those units. */
  hypervolume?: { scaled: Float64Array[]; total: number };
  /** Size of the top set: ceil(topFraction·N), or the size of the Pareto set. */
  K: number;
  topFraction: number;
  /** Pool indices of the top set, best first. */
  top: number[];
  /** 1 for pool points in the top set. */
  isTop: Uint8Array;
  /**
   * Variance of each point's replicate mean (sample variance of its distinct values / their count), in objective
   * units²; points without replicates get the median of the others. Undefined when no point has replicates.
   */
  replicateNoise?: Float64Array;
  /** Raw input values of each pool point (for reports), in `inputs` order. */
  inputs: (number | string)[][];
  inputNames: string[];
  /** Raw inputs (in `inputNames` order, e.g. an agent's recipe) as GP features, encoded as the pool's points are. */
  encode(raw: readonly (number | string)[]): Float64Array;
}

export function loadPool(spec: PoolSpec, csvText?: string): Pool {
  const text = csvText ?? fs.readFileSync(spec.file, 'utf8');
  const table = parseCsv(text, spec.file);
  const col = (name: string): number => {
    const j = table.header.indexOf(name);
    if (j < 0) throw new Error(`column "${name}" is not in ${spec.file} (columns: ${table.header.join(', ')})`);
    return j;
  };
  const categorical = new Set(spec.categorical ?? []);
  const simplexOf = new Map<string, number>();
  (spec.simplex ?? []).forEach((group, g) => group.forEach((c) => simplexOf.set(c, g)));
  for (const c of [...categorical, ...simplexOf.keys()])
    if (!spec.inputs.includes(c)) throw new Error(`"${c}" is declared simplex or categorical but is not one of --inputs`);
  const inCols = spec.inputs.map(col);
  const objectives = specObjectives(spec);
  const yCols = objectives.map((o) => col(o.column));

  // Group rows by input vector.
  const groups = new Map<string, { inputs: (number | string)[]; values: number[][] }>();
  let rowsRead = 0;
  table.rows.forEach((r, k) => {
    const yv = yCols.map((c, m) => {
      const raw = (r[c] as string).trim();
      const v = Number(raw);
      if (raw === '' || !Number.isFinite(v)) throw new Error(`row ${k + 2}: objective "${objectives[m]?.column}" is "${raw}", not a finite number`);
      return v;
    });
    const inputs = spec.inputs.map((name, a) => {
      const s = (r[inCols[a] as number] as string).trim();
      if (categorical.has(name)) return s;
      const v = Number(s);
      if (s === '' || !Number.isFinite(v)) throw new Error(`row ${k + 2}: input "${name}" is "${s}", not a number (declare it --categorical?)`);
      return v;
    });
    rowsRead++;
    const key = spec.replicates === 'none' ? `#${k}` : JSON.stringify(inputs);
    const g = groups.get(key);
    if (g) yv.forEach((v, m) => g.values[m]?.push(v));
    else groups.set(key, { inputs, values: yv.map((v) => [v]) });
  });
  const points = [...groups.values()];
  const N = points.length;
  if (N < 2) throw new Error(`pool ${spec.name} has ${N} point(s); at least 2 are needed`);
  const replicatesOf = (vals: number[]): number[] => (spec.replicates === 'mean' ? vals : [...new Set(vals)]);
  const oriented = objectives.map((o, m) => {
    const sign = o.direction === 'maximize' ? 1 : -1;
    const value = Float64Array.from(points, (p) => {
      const vals = replicatesOf(p.values[m] as number[]);
      return vals.reduce((a, b) => a + b, 0) / vals.length;
    });
    return { name: o.column, direction: o.direction, value, y: value.map((v) => sign * v) };
  });
  const single = oriented.length === 1 ? oriented[0] : undefined;
  const y = single ? single.y : dominationRank(oriented.map((o) => o.y));
  const value = single ? single.value : y;
  const replicateNoise = single ? replicateVariances(points.map((p) => replicatesOf(p.values[0] as number[]))) : undefined;

  // Feature encoding.
  const featureNames: string[] = [];
  const featureGroups: number[] = [];
  const simplexFeatures: number[][] = [];
  let nextGroup = 0;
  const encoders: ((p: readonly (number | string)[], out: Float64Array, off: number) => void)[] = [];
  const done = new Set<string>();
  spec.inputs.forEach((name, a) => {
    if (done.has(name)) return;
    if (categorical.has(name)) {
      const levels = [...new Set(points.map((p) => String(p.inputs[a])))].sort();
      const f0 = featureNames.length;
      levels.forEach((l) => {
        featureNames.push(`${name}=${l}`);
        featureGroups.push(nextGroup++);
      });
      encoders.push((p, out, off) => {
        const k = levels.indexOf(String(p[a]));
        if (k >= 0) out[off + f0 + k] = 1;
      });
      done.add(name);
    } else if (simplexOf.has(name)) {
      const group = (spec.simplex ?? [])[simplexOf.get(name) as number] as string[];
      const idx = group.map((c) => spec.inputs.indexOf(c));
      const f0 = featureNames.length;
      featureNames.push(...group);
      simplexFeatures.push(group.map((_, t) => f0 + t));
      for (const _ of group) featureGroups.push(nextGroup);
      nextGroup++;
      encoders.push((p, out, off) => {
        let s = 0;
        for (const j of idx) s += Math.max(0, p[j] as number);
        idx.forEach((j, t) => (out[off + f0 + t] = s > 0 ? Math.max(0, p[j] as number) / s : 1 / idx.length));
      });
      group.forEach((c) => done.add(c));
    } else {
      let lo = Infinity;
      let hi = -Infinity;
      for (const p of points) {
        lo = Math.min(lo, p.inputs[a] as number);
        hi = Math.max(hi, p.inputs[a] as number);
      }
      const f0 = featureNames.length;
      featureNames.push(name);
      featureGroups.push(nextGroup++);
      encoders.push((p, out, off) => {
        out[off + f0] = hi > lo ? ((p[a] as number) - lo) / (hi - lo) : 0.5;
      });
      done.add(name);
    }
  });
  const d = featureNames.length;
  const X = zeros(N, d);
  points.forEach((p, i) => encoders.forEach((enc) => enc(p.inputs, X.data, i * d)));

  const topFraction = spec.topFraction ?? 0.05;
  const K = single ? Math.max(1, Math.ceil(topFraction * N - 1e-9)) : y.filter((v) => v === 0).length;
  const order = Array.from({ length: N }, (_, i) => i).sort((a, b) => (y[b] as number) - (y[a] as number) || a - b);
  const top = order.slice(0, K);
  const isTop = new Uint8Array(N);
  for (const i of top) isTop[i] = 1;
  return {
    name: spec.name,
    N,
    rowsRead,
    X,
    featureNames,
    featureGroups,
    simplexFeatures,
    value,
    y,
    direction: single ? single.direction : 'pareto',
    objectives: oriented.map(({ name, direction, y: oy }) => ({ name, direction, y: oy })),
    ...(single ? {} : { hypervolume: scaledHypervolume(oriented.map((o) => o.y), top) }),
    K,
    topFraction,
    top,
    isTop,
    replicateNoise,
    inputs: points.map((p) => p.inputs),
    inputNames: spec.inputs,
    encode: (raw) => {
      const out = new Float64Array(d);
      encoders.forEach((enc) => enc(raw, out, 0));
      return out;
    },
  };
}

/** −(number of points dominating each point), objectives oriented to maximise: 0 marks the Pareto set. */
function dominationRank(Y: Float64Array[]): Float64Array {
  const N = (Y[0] as Float64Array).length;
  const rank = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    let dominatedBy = 0;
    for (let j = 0; j < N; j++) {
      if (j === i) continue;
      let geq = true;
      let gt = false;
      for (const col of Y) {
        const a = col[j] as number;
        const b = col[i] as number;
        if (a < b) {
          geq = false;
          break;
        }
        if (a > b) gt = true;
      }
      if (geq && gt) dominatedBy++;
    }
    rank[i] = -dominatedBy;
  }
  return rank;
}

/** Oriented objectives min–max scaled over the pool (so the reference point 0 is the pool's worst in each) and the Pareto set's hypervolume. */
function scaledHypervolume(Y: Float64Array[], pareto: number[]): { scaled: Float64Array[]; total: number } {
  const scaled = Y.map((col) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of col) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    return col.map((v) => (hi > lo ? (v - lo) / (hi - lo) : 0));
  });
  const total = hypervolume(
    pareto.map((i) => scaled.map((c) => c[i] as number)),
    scaled.map(() => 0),
  );
  return { scaled, total };
}

function replicateVariances(groups: number[][]): Float64Array | undefined {
  const v = groups.map((g) => {
    if (g.length < 2) return NaN;
    const m = g.reduce((a, b) => a + b, 0) / g.length;
    return g.reduce((a, b) => a + (b - m) ** 2, 0) / (g.length - 1) / g.length;
  });
  const known = v.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (known.length === 0) return undefined;
  const fill = known[Math.floor(known.length / 2)] as number;
  return Float64Array.from(v, (x) => (Number.isFinite(x) ? x : fill));
}
