/**
 * Where `bench:lab` runs stood relative to the landscape's Ce pocket (ADR 0053, diagnosis): per run, the smallest
 * composition distance of any spent trial to the pocket's centre (`OerLandscape.optimumComposition`, film metal
 * fractions), the first spent trial within 0.2 and within 0.1 of it and how many there were, the trials with Ce ≥ 0.25
 * (and the last of them), and for the best
 * completed trial within 0.2 how much of its regret the composition explains (its true η10 minus the true η10 of the
 * same recipe with the optimum recipe's metal fractions), how much the ink's complexant and total metal do (then also
 * the optimum's complexant and totalMetal) and how much deposition charge and anneal temperature do (the rest).
 * Usage: node --import tsx bench/lab-pocket.ts <result.json> [more.json …]   (markdown on stdout)
 */
import fs from 'node:fs';
import type { Recipe } from '../src/domain/index.ts';
import { sampleFromRecipe } from '../simulators/physics/landscape.ts';
import { landscapeOf, landscapeTruth, truthOf } from './lab/truth.ts';
import { spentTrials } from './lab/metrics.ts';
import type { LabRunResult } from './lab/run-task.ts';

/** A run as bench:lab stores it (every field this script reads is there). */
type Run = LabRunResult;

const METALS = ['Ni', 'Fe', 'Co', 'Ce', 'Mn'] as const;
const NEAR = 0.2;
const CLOSE = 0.1;
/** Ce fraction counted as Ce-rich (the pocket's centre holds ≈ 0.43). */
const CE_RICH = 0.25;

function distance(recipe: Recipe, centre: Record<string, number>): number {
  const x = sampleFromRecipe(recipe).fractions as Record<string, number>;
  return Math.sqrt(METALS.reduce((s, m) => s + ((x[m] ?? 0) - (centre[m] ?? 0)) ** 2, 0));
}

/** The recipe with the optimum recipe's values of `keys` (every other parameter kept). */
function withOptimum(recipe: Recipe, optimum: Recipe, keys: readonly string[]): Recipe {
  const out: Recipe = { ...recipe };
  for (const k of keys) out[k] = optimum[k] ?? 0;
  return out;
}

const mv = (v: number): string => (v * 1000).toFixed(1);
const runs: Run[] = process.argv.slice(2).flatMap((f) => (JSON.parse(fs.readFileSync(f, 'utf8')) as { runs: Run[] }).runs);
runs.sort((a, b) => a.landscapeSeed - b.landscapeSeed || a.arm.localeCompare(b.arm) || a.seed - b.seed);
const lines = [
  '| arm | landscape/seed | regret mV | hit | min distance | first ≤ 0.2 (proposer) | trials ≤ 0.2 | first ≤ 0.1 | trials ≤ 0.1 | Ce ≥ 0.25: trials (last) | best ≤ 0.2: regret mV | of it: composition / ink / charge+anneal mV |',
  '| --- | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |',
];
for (const r of runs) {
  const centre = landscapeOf(r.landscapeSeed).optimumComposition as Record<string, number>;
  const optimumRecipe = landscapeTruth(r.landscapeSeed).optimumRecipe;
  const spent = spentTrials(r.trials);
  const d = spent.map((t) => distance(t.recipe, centre));
  const near = spent.map((t, i) => ({ t, i, d: d[i] as number })).filter((x) => x.d <= NEAR);
  const close = near.filter((x) => x.d <= CLOSE);
  const ceRich = spent.flatMap((t, i) => ((sampleFromRecipe(t.recipe).fractions as Record<string, number>)['Ce'] ?? 0) >= CE_RICH ? [i + 1] : []);
  const best = near.filter((x) => x.t.status === 'completed').sort((a, b) => a.t.truth - b.t.truth)[0];
  let split = '—';
  if (best) {
    const mixed = withOptimum(best.t.recipe, optimumRecipe, METALS);
    const inked = withOptimum(mixed, optimumRecipe, ['complexant', 'totalMetal']);
    const [t1, t2] = [truthOf(mixed, r.landscapeSeed).eta10, truthOf(inked, r.landscapeSeed).eta10];
    split = `${mv(best.t.truth - t1)} / ${mv(t1 - t2)} / ${mv(t2 - r.optimum)}`;
  }
  lines.push(
    `| ${r.arm} | ${r.landscapeSeed}/${r.seed} | ${r.bestTrue === null ? '—' : mv(r.bestTrue - r.optimum)} | ${r.trialsTo15 === null ? '' : `@${r.trialsTo15}`} | ` +
      `${d.length ? Math.min(...d).toFixed(3) : '—'} | ${near[0] ? `@${near[0].i + 1} (${near[0].t.proposer})` : '—'} | ${near.length} | ` +
      `${close[0] ? `@${close[0].i + 1}` : '—'} | ${close.length} | ${ceRich.length}${ceRich.length ? ` (@${ceRich.at(-1)})` : ''} | ${best ? mv(best.t.truth - r.optimum) : '—'} | ${split} |`,
  );
}
process.stdout.write(
  `${lines.join('\n')}\n\nDistances: Euclidean, film metal fractions, to the Ce pocket's centre. "@k": k-th spent trial. ` +
    `Composition / ink / charge+anneal: the best trial within ${NEAR}'s true η10 minus that of the same recipe with the optimum recipe's metal fractions; ` +
    `minus that with also the optimum's complexant and totalMetal; the remainder to the optimum (deposition charge and anneal temperature).\n`,
);
