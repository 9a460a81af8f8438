import type { Rng } from '../../src/domain/random.ts';
import { cholesky, type Matrix } from '../linalg/index.ts';
import type { GaussianProcess } from '../surrogates/gp.ts';

/**
 * Thompson sampling over a finite candidate set: draws `q` joint posterior samples of f at the candidate rows
 * (m×d GP features) and returns, per draw, the arg-max row not yet chosen (and not flagged in `skip`).
 * `logWeight` (optional, length m) is added to every draw, e.g. log P(feasible) of each candidate.
 * Cost O(n·m² + m³): keep m to a few hundred.
 */
export function thompsonSelect(
  gp: GaussianProcess,
  candidates: Matrix,
  q: number,
  rng: Rng,
  opts: { skip?: ArrayLike<boolean>; logWeight?: ArrayLike<number> } = {},
): number[] {
  const m = candidates.n;
  if (m === 0 || q <= 0) return [];
  const { mean, cov } = gp.jointPosterior(candidates);
  const { L } = cholesky(cov, { maxRelativeJitter: 1e-2 });
  const taken = Array.from({ length: m }, (_, i) => Boolean(opts.skip?.[i]));
  const chosen: number[] = [];
  const z = new Float64Array(m);
  for (let draw = 0; draw < q; draw++) {
    for (let i = 0; i < m; i++) z[i] = rng.normal();
    let best = -1;
    let bestV = -Infinity;
    for (let a = 0; a < m; a++) {
      if (taken[a]) continue;
      let v = (mean[a] as number) + ((opts.logWeight?.[a] as number | undefined) ?? 0);
      const row = a * m;
      for (let b = 0; b <= a; b++) v += (L.data[row + b] as number) * (z[b] as number);
      if (best < 0 || v > bestV) {
        best = a;
        bestV = v;
      }
    }
    if (best < 0) break;
    chosen.push(best);
    taken[best] = true;
  }
  return chosen;
}
