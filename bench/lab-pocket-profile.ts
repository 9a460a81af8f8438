/**
 * How the simulated lab's truth looks around the Ce pocket (ADR 0053, diagnosis): mixtures drawn uniformly on every
 * support face of 2–4 metals (each present metal ≥ minFraction 0.05) at the optimum's process conditions, binned by
 * composition distance to the pocket's centre (`OerLandscape.optimumComposition`): draws per bin, failed films, and
 * the median / 10th percentile / best true η10 of the films that form, beside the Ce-free mixtures.
 * Usage: node --import tsx bench/lab-pocket-profile.ts [landscapeSeed=2026] [drawsPerFace=2000]   (table on stdout)
 */
import { Rng } from '../src/domain/random.ts';
import { landscapeOf, landscapeTruth, truthOf } from './lab/truth.ts';

const seed = Number(process.argv[2] ?? 2026);
const draws = Number(process.argv[3] ?? 2000);
const METALS = ['Ni', 'Fe', 'Co', 'Ce', 'Mn'] as const;
const truth = landscapeTruth(seed);
const centre = landscapeOf(seed).optimumComposition as Record<string, number>;
const rng = new Rng(1);
const EDGES = [0, 0.1, 0.15, 0.2, 0.3, 0.5, Infinity];
const bins = EDGES.slice(1).map(() => ({ n: 0, failed: 0, eta: [] as number[] }));
const ceFree = { n: 0, failed: 0, eta: [] as number[] };
for (let mask = 1; mask < 1 << METALS.length; mask++) {
  const S = METALS.filter((_, i) => mask & (1 << i));
  if (S.length < 2 || S.length > 4) continue;
  for (let k = 0; k < draws; k++) {
    const e = S.map(() => -Math.log(rng.next()));
    const total = e.reduce((a, b) => a + b, 0);
    const recipe = { ...truth.optimumRecipe };
    for (const m of METALS) recipe[m] = 0;
    S.forEach((m, j) => (recipe[m] = 0.05 + ((1 - 0.05 * S.length) * (e[j] as number)) / total));
    const d = Math.sqrt(METALS.reduce((s, m) => s + ((recipe[m] as number) - (centre[m] ?? 0)) ** 2, 0));
    const bin = bins[EDGES.findIndex((x, i) => d >= x && d < (EDGES[i + 1] as number))] as (typeof bins)[number];
    const t = truthOf(recipe, seed);
    for (const b of S.includes('Ce') ? [bin] : [bin, ceFree]) {
      b.n++;
      if (t.failure) b.failed++;
      else b.eta.push(t.eta10);
    }
  }
}
const q = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] as number;
};
const mv = (v: number): string => ((v - truth.optimum) * 1000).toFixed(0);
const row = (label: string, b: { n: number; failed: number; eta: number[] }): string =>
  b.eta.length === 0
    ? `| ${label} | ${b.n} | ${b.failed} | — | — | — |`
    : `| ${label} | ${b.n} | ${b.failed} | ${mv(q(b.eta, 0.5))} | ${mv(q(b.eta, 0.1))} | ${mv(Math.min(...b.eta))} |`;
const rows = ['| distance to the pocket centre | draws | failed | median regret mV | 10th pct mV | best mV |', '| --- | ---: | ---: | ---: | ---: | ---: |'];
bins.forEach((b, i) => rows.push(row(`${EDGES[i]}–${EDGES[i + 1] === Infinity ? '' : EDGES[i + 1]}`, b)));
rows.push(row('Ce-free mixtures (any distance)', ceFree));
process.stdout.write(
  `Landscape ${seed}, optimum ${truth.optimum.toFixed(4)} V; ${draws} uniform draws per face of 2–4 metals at the optimum's process conditions; ` +
    `regret = true η10 − optimum.\n\n${rows.join('\n')}\n`,
);
