/**
 * Exact hypervolume dominated by a set of points (maximisation) above a reference point, for 1–3 objectives.
 * points: rows of m objective values; points not strictly better than `ref` in every objective contribute nothing.
 * 2 objectives: one sweep, O(n log n); 3 objectives: slices along the third objective, O(n² log n).
 */
export function hypervolume(points: readonly (readonly number[])[], ref: readonly number[]): number {
  const m = ref.length;
  if (m < 1 || m > 3) throw new RangeError(`exact hypervolume supports 1–3 objectives, got ${m}`);
  const pts = points.filter((p) => {
    if (p.length !== m) throw new RangeError(`point has ${p.length} objectives, expected ${m}`);
    return p.every((v, k) => Number.isFinite(v) && v > (ref[k] as number));
  });
  if (pts.length === 0) return 0;
  if (m === 1) return Math.max(...pts.map((p) => p[0] as number)) - (ref[0] as number);
  if (m === 2) return hv2(pts.map((p) => [p[0] as number, p[1] as number]), ref[0] as number, ref[1] as number);
  const levels = [...new Set(pts.map((p) => p[2] as number))].sort((a, b) => b - a);
  let total = 0;
  for (let i = 0; i < levels.length; i++) {
    const top = levels[i] as number;
    const bottom = i + 1 < levels.length ? (levels[i + 1] as number) : (ref[2] as number);
    const slice = pts.filter((p) => (p[2] as number) >= top).map((p) => [p[0] as number, p[1] as number]);
    total += hv2(slice, ref[0] as number, ref[1] as number) * (top - bottom);
  }
  return total;
}

function hv2(pts: number[][], r0: number, r1: number): number {
  const sorted = [...pts].sort((a, b) => (b[0] as number) - (a[0] as number) || (b[1] as number) - (a[1] as number));
  let area = 0;
  let best1 = r1;
  for (const p of sorted) {
    const y = p[1] as number;
    if (y > best1) {
      area += ((p[0] as number) - r0) * (y - best1);
      best1 = y;
    }
  }
  return area;
}

/** Indices of the non-dominated rows (maximisation). */
export function paretoFront(points: readonly (readonly number[])[]): number[] {
  const out: number[] = [];
  points.forEach((p, i) => {
    const dominated = points.some((q, j) => j !== i && q.every((v, k) => v >= (p[k] as number)) && q.some((v, k) => v > (p[k] as number)));
    if (!dominated) out.push(i);
  });
  return out;
}
