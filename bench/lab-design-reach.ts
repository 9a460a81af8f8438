/**
 * How often an initial design reaches the simulated lab's pocket (ADR 0119): for design seeds 1…N, the share of
 * n-point designs (the BO agent's `sobol` and `faces` initial designs of the default OER campaign) with at least one
 * point within composition distance 0.2 (and 0.1) of the landscape's pocket centre (`OerLandscape.optimumComposition`,
 * film metal fractions, as bench/lab-pocket.ts measures), the share of single points that near, and the mean number
 * of distinct 4-metal faces a design covers. Only the mixtures count (the design's other parameters are ignored).
 * Usage: node --import tsx bench/lab-design-reach.ts [landscapeSeed=2026] [designs=2000] [points=5]   (markdown on stdout)
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { campaignSpecSchema, type Recipe } from '../src/domain/index.ts';
import { createSearchSpace } from '../models/transforms/search-space.ts';
import { sampleFromRecipe } from '../simulators/physics/landscape.ts';
import { createInitialDesign, type InitialDesignKind } from '../agents/initial-design.ts';
import { landscapeOf } from './lab/truth.ts';

const seed = Number(process.argv[2] ?? 2026);
const designs = Number(process.argv[3] ?? 2000);
const points = Number(process.argv[4] ?? 5);
const METALS = ['Ni', 'Fe', 'Co', 'Ce', 'Mn'] as const;
const spec = campaignSpecSchema.parse(parse(readFileSync(new URL('../examples/oer-screen.yaml', import.meta.url), 'utf8')));
const space = createSearchSpace(spec, { presence: true });
const centre = landscapeOf(seed).optimumComposition as Record<string, number>;
const distance = (r: Recipe): number => {
  const x = sampleFromRecipe(r).fractions as Record<string, number>;
  return Math.sqrt(METALS.reduce((s, m) => s + ((x[m] ?? 0) - (centre[m] ?? 0)) ** 2, 0));
};
const rows = [`| design | designs with a point ≤ 0.2 | ≤ 0.1 | points ≤ 0.2 | distinct faces per design |`, '| --- | ---: | ---: | ---: | ---: |'];
for (const kind of ['sobol', 'faces'] as InitialDesignKind[]) {
  let near = 0;
  let close = 0;
  let nearPoints = 0;
  let faces = 0;
  for (let s = 1; s <= designs; s++) {
    const next = createInitialDesign(kind, spec, s, space);
    const d = Array.from({ length: points }, (_, i) => next(i + 1).recipe);
    const dist = d.map(distance);
    if (dist.some((x) => x <= 0.2)) near++;
    if (dist.some((x) => x <= 0.1)) close++;
    nearPoints += dist.filter((x) => x <= 0.2).length;
    faces += new Set(d.map((r) => METALS.filter((m) => (r[m] as number) > 0).join(''))).size;
  }
  const pct = (k: number, n: number): string => `${((100 * k) / n).toFixed(1)} %`;
  rows.push(`| ${kind} | ${pct(near, designs)} | ${pct(close, designs)} | ${pct(nearPoints, designs * points)} | ${(faces / designs).toFixed(2)} |`);
}
const c = METALS.map((m) => `${m} ${(centre[m] ?? 0).toFixed(2)}`).join(', ');
process.stdout.write(`Landscape ${seed}, pocket centre ${c}; ${designs} designs of ${points} points each (design seeds 1–${designs}).\n\n${rows.join('\n')}\n`);
