/** ∂f/∂x_k at x by a central difference with step e (x is not changed). */
export function centralDifference(f: (x: Float64Array) => number, x: ArrayLike<number>, k: number, e = 1e-6): number {
  const up = Float64Array.from(x);
  const down = Float64Array.from(x);
  up[k] = (up[k] as number) + e;
  down[k] = (down[k] as number) - e;
  return (f(up) - f(down)) / (2 * e);
}
