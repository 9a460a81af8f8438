/**
 * Where the simulated lab's optimum lives, per support face of the metal simplex (ADR 0055): for every face of 2–4
 * metals, uniform draws on the face (each present metal ≥ minFraction 0.05) at the optimum's process conditions —
 * the share within composition distance 0.2 of the optimum's mixture, within 15 / 30 mV of the optimum, and the best
 * true η10. Usage: node --import tsx bench/lab-faces.ts [landscapeSeed=2026] [draws=4000]   (table on stdout)
 */
import { Rng } from '../src/domain/random.ts';
import { landscapeTruth, truthOf } from './lab/truth.ts';

const seed = Number(process.argv[2] ?? 2026);
const draws = Number(process.argv[3] ?? 4000);
const METALS = ['Ni', 'Fe', 'Co', 'Ce', 'Mn'];
const truth = landscapeTruth(seed);
const opt = truth.optimumRecipe;
const rng = new Rng(1);
const rows = ['| face | within 0.2 | within 15 mV | within 30 mV | best η10 V |', '| --- | ---: | ---: | ---: | ---: |'];
for (let mask = 1; mask < 1 << METALS.length; mask++) {
  const S = METALS.filter((_, i) => mask & (1 << i));
  if (S.length < 2 || S.length > 4) continue;
  let near = 0;
  let w15 = 0;
  let w30 = 0;
  let best = Infinity;
  for (let k = 0; k < draws; k++) {
    const e = S.map(() => -Math.log(rng.next()));
    const total = e.reduce((a, b) => a + b, 0);
    const recipe = { ...opt };
    for (const m of METALS) recipe[m] = 0;
    S.forEach((m, j) => (recipe[m] = 0.05 + (1 - 0.05 * S.length) * (e[j] as number) / total));
    const d = Math.sqrt(METALS.reduce((s, m) => s + ((recipe[m] as number) - ((opt[m] as number | undefined) ?? 0)) ** 2, 0));
    if (d < 0.2) near++;
    const t = truthOf(recipe, seed);
    if (t.failure) continue;
    best = Math.min(best, t.eta10);
    if (t.eta10 <= truth.optimum + 0.015) w15++;
    if (t.eta10 <= truth.optimum + 0.03) w30++;
  }
  rows.push(`| ${S.join('–')} | ${((100 * near) / draws).toFixed(1)} % | ${((100 * w15) / draws).toFixed(2)} % | ${((100 * w30) / draws).toFixed(2)} % | ${best.toFixed(4)} |`);
}
process.stdout.write(`Landscape ${seed}, optimum ${truth.optimum.toFixed(4)} V, ${draws} draws per face at the optimum's process conditions.\n\n${rows.join('\n')}\n`);
