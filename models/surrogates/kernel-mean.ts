import type { Matrix } from '../linalg/index.ts';

/**
 * A fixed function of a GP's inputs that can serve as (part of) its prior mean: a value and its input gradient at a
 * feature row x (length d, the GP's unit-cube features).
 */
export interface MeanBasis {
  /** Number of input features. */
  readonly d: number;
  /** Value at the row of `x` that starts at `off`. */
  value(x: ArrayLike<number>, off?: number): number;
  /** Value at x (length d); its gradient ∂/∂x is written into `grad` (length d). */
  valueAndGradient(x: ArrayLike<number>, grad: Float64Array): number;
}

/** Kernel weight of the rows' mean in the regression: that of one row at the point itself. */
const MEAN_WEIGHT = 1;

/**
 * Nadaraya–Watson kernel regression of rows X (N×d in the unit cube) with values y, as a mean basis standardised
 * within the rows: m(x) = (Σ_j w_j(x)·z_j + 1·0) / (Σ_j w_j(x) + 1), z_j = (y_j − ȳ)/s_y, w_j(x) = exp(−‖x − x_j‖²/2h²),
 * h = max(0.1, the median distance from a row to its nearest neighbour). The rows' mean counts as one more row of weight
 * 1 everywhere, so far from every row (where the rows say nothing) m is 0, the rows' mean, and not the nearest row's
 * value. Values are in the rows' own standard units (z-scores), whatever the units of y. Pure: no state.
 * Needs at least one row; s_y is taken as 1 when the values are all equal.
 */
export function fitKernelMean(X: Matrix, y: ArrayLike<number>): MeanBasis {
  const { n, d } = X;
  if (n === 0 || y.length !== n) throw new RangeError(`a kernel mean needs rows with one value each, got ${n} rows and ${y.length} values`);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i] as number;
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += ((y[i] as number) - mean) ** 2;
  const sd = Math.sqrt(ss / Math.max(1, n - 1));
  const z = Float64Array.from({ length: n }, (_, i) => ((y[i] as number) - mean) / (sd > 0 ? sd : 1));
  const h = medianNearestNeighbour(X);
  const inv = 1 / (2 * h * h);
  const rows = X.data;
  const weightAt = (x: ArrayLike<number>, off: number, j: number): number => {
    let s = 0;
    const o = j * d;
    for (let k = 0; k < d; k++) s += ((x[off + k] as number) - (rows[o + k] as number)) ** 2;
    return Math.exp(-s * inv);
  };
  return {
    d,
    value(x, off = 0) {
      let s = 0;
      let w = MEAN_WEIGHT;
      for (let j = 0; j < n; j++) {
        const e = weightAt(x, off, j);
        s += e * (z[j] as number);
        w += e;
      }
      return s / w;
    },
    valueAndGradient(x, grad) {
      // ∂w_j/∂x = −w_j (x − x_j)/h²; m = S/W, ∂m = (∂S − m ∂W)/W.
      let s = 0;
      let w = MEAN_WEIGHT;
      const dS = new Float64Array(d);
      const dW = new Float64Array(d);
      for (let j = 0; j < n; j++) {
        const e = weightAt(x, 0, j);
        const zj = z[j] as number;
        s += e * zj;
        w += e;
        const o = j * d;
        for (let k = 0; k < d; k++) {
          const g = (-e * ((x[k] as number) - (rows[o + k] as number))) / (h * h);
          dS[k] = (dS[k] as number) + g * zj;
          dW[k] = (dW[k] as number) + g;
        }
      }
      const m = s / w;
      for (let k = 0; k < d; k++) grad[k] = ((dS[k] as number) - m * (dW[k] as number)) / w;
      return m;
    },
  };
}

/** max(0.1, the median distance from a row of X to its nearest other row); 0.1 for a single row. */
export function medianNearestNeighbour(X: Matrix): number {
  const { n, d } = X;
  const nn: number[] = [];
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      let s = 0;
      for (let k = 0; k < d; k++) s += ((X.data[i * d + k] as number) - (X.data[j * d + k] as number)) ** 2;
      if (s < best) best = s;
    }
    if (Number.isFinite(best)) nn.push(Math.sqrt(best));
  }
  nn.sort((a, b) => a - b);
  return Math.max(0.1, nn.length > 0 ? (nn[Math.floor(nn.length / 2)] as number) : 0.1);
}
