import fs from 'node:fs';
import { zeros, type Matrix } from '../../models/linalg/index.ts';
import { parseCsv } from './csv.ts';
import type { PoolSpec } from './problem-spec.ts';

/**
 * A finite benchmark pool: the unique input vectors of a CSV file (replicates averaged), encoded as GP features in
 * the unit cube, with the objective oriented so that larger is better and the top set marked.
 *
 * Encoding: a numeric input is min–max scaled over the pool; a simplex group keeps its fractions (each row divided
 * by the group's sum, so they lie in [0, 1] and sum to 1); a categorical input is one-hot over its sorted levels.
 * Replicates: rows with the same input vector (numbers compared by value, labels as text) form one pool point whose
 * objective is the mean of the group's *distinct* values (Liang et al. 2021: pandas `x.unique().mean()`), or the
 * plain mean, or every row kept (`none`).
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
  /** Objective in its own units and direction (replicate-averaged). */
  value: Float64Array;
  /** Oriented objective: value for maximisation, −value for minimisation (larger is better). */
  y: Float64Array;
  direction: 'minimize' | 'maximize';
  /** Size of the top set: ceil(topFraction·N). */
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
}

export function loadPool(spec: PoolSpec, csvText?: string): Pool {
  const text = csvText ?? fs.readFileSync(spec.file, 'utf8');
  const table = parseCsv(text);
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
  const yCol = col(spec.objective);

  // Group rows by input vector.
  const groups = new Map<string, { inputs: (number | string)[]; values: number[] }>();
  let rowsRead = 0;
  table.rows.forEach((r, k) => {
    const yRaw = (r[yCol] as string).trim();
    const yv = Number(yRaw);
    if (yRaw === '' || !Number.isFinite(yv)) throw new Error(`row ${k + 2}: objective "${spec.objective}" is "${yRaw}", not a finite number`);
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
    if (g) g.values.push(yv);
    else groups.set(key, { inputs, values: [yv] });
  });
  const points = [...groups.values()];
  const N = points.length;
  if (N < 2) throw new Error(`pool ${spec.name} has ${N} point(s); at least 2 are needed`);
  const value = Float64Array.from(points, (p) => {
    const vals = spec.replicates === 'mean' ? p.values : [...new Set(p.values)];
    return vals.reduce((a, b) => a + b, 0) / vals.length;
  });
  const replicateNoise = replicateVariances(points.map((p) => (spec.replicates === 'mean' ? p.values : [...new Set(p.values)])));
  const sign = spec.direction === 'maximize' ? 1 : -1;
  const y = value.map((v) => sign * v);

  // Feature encoding.
  const featureNames: string[] = [];
  const featureGroups: number[] = [];
  let nextGroup = 0;
  const encoders: ((p: (number | string)[], out: Float64Array, off: number) => void)[] = [];
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
        out[off + f0 + levels.indexOf(String(p[a]))] = 1;
      });
      done.add(name);
    } else if (simplexOf.has(name)) {
      const group = (spec.simplex ?? [])[simplexOf.get(name) as number] as string[];
      const idx = group.map((c) => spec.inputs.indexOf(c));
      const f0 = featureNames.length;
      featureNames.push(...group);
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
  const K = Math.max(1, Math.ceil(topFraction * N - 1e-9));
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
    value,
    y,
    direction: spec.direction,
    K,
    topFraction,
    top,
    isTop,
    replicateNoise,
    inputs: points.map((p) => p.inputs),
    inputNames: spec.inputs,
  };
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
