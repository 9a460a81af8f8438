/**
 * Analysis accuracy (issue 5): how well our feature extraction recovers the film's true η10 and Tafel slope from
 * simulated OER screens, without noise and with the realistic noise profile. Recipes are Sobol-like random draws from
 * the default campaign's space; chemistry failures are skipped.
 * Usage: node --import tsx bench/analysis-accuracy.ts [--runs 300] [--seed 1]
 */
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { extractFeatures } from '../models/analysis/index.ts';
import { loadCampaignFile } from '../src/config/index.ts';
import { DeviceError, Rng, normaliseRecipe, type Recipe } from '../src/domain/index.ts';
import { InstantClock } from '../simulators/clock.ts';
import { defaultOerLandscape } from '../simulators/physics/oer-landscape.ts';
import { sampleFromRecipe } from '../simulators/physics/landscape.ts';
import { NO_NOISE, REALISTIC_NOISE, type NoiseProfile } from '../simulators/physics/run-variation.ts';
import { PotentiostatSimBackend } from '../simulators/potentiostat-sim.ts';
import { SimulatedWorld } from '../simulators/world.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '300' }, seed: { type: 'string', default: '1' } } });
const spec = await loadCampaignFile(path.resolve(import.meta.dirname, '../examples/oer-screen.yaml'));
const runs = Number(values.runs);

function randomRecipe(rng: Rng): Recipe {
  const r: Recipe = {};
  for (const p of spec.parameters) {
    if (p.type === 'simplex') for (const c of p.components) r[c] = rng.next() ** 2;
    else if (p.type === 'continuous') r[p.name] = rng.uniform(p.low, p.high);
  }
  return normaliseRecipe(spec, r);
}

function fill(world: SimulatedWorld, cell: string, r: Recipe): void {
  world.emptyCell(cell);
  let used = 0;
  for (const m of ['Ni', 'Fe', 'Co', 'Ce', 'Mn']) {
    const v = (2000 * Number(r[m] ?? 0) * Number(r.totalMetal)) / 200;
    if (v > 0) world.move(`stock:${m}`, `cell:${cell}`, v);
    used += v;
  }
  const vc = (2000 * Number(r.complexant)) / 200;
  if (vc > 0) world.move('stock:complexant', `cell:${cell}`, vc);
  world.move('stock:water', `cell:${cell}`, 2000 - used - vc);
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))] ?? Number.NaN;
};

async function measure(noise: NoiseProfile, label: string) {
  const rng = new Rng(Number(values.seed));
  const world = new SimulatedWorld(spec.stocks.map((s) => ({ ...s, volume: 1e9 })));
  const station = new PotentiostatSimBackend({ deviceId: 'ps-bench', cellId: 'c1', world, clock: new InstantClock(), seed: Number(values.seed), noise });
  const eta: number[] = [];
  const etaFlagged: number[] = [];
  const tafel: number[] = [];
  let failed = 0;
  for (let i = 0; i < runs; i++) {
    const recipe = randomRecipe(rng);
    const truth = defaultOerLandscape.evaluate(sampleFromRecipe(recipe));
    if (truth.failure) continue;
    fill(world, 'c1', recipe);
    try {
      const result = await station.runTechnique(
        { technique: 'OER_Screen_v1', cell: 'c1', params: { scanRate_V_s: 0.005, start_V_RHE: 1.0, end_V_RHE: 1.8, area: 0.0707, targetCurrentDensity: 10, withEis: 1, depositionCharge_mC_cm2: Number(recipe.depositionCharge_mC_cm2), annealTemperature: Number(recipe.annealTemperature) }, sample: {} },
        { commandId: `c${i}`, signal: new AbortController().signal },
      );
      const { features, flags } = extractFeatures(result);
      if (features.eta10_V === undefined) continue;
      const err = (features.eta10_V - truth.film.eta10_V) * 1000;
      (flags.includes('noisy') ? etaFlagged : eta).push(err);
      if (features.tafel_mV_dec !== undefined) tafel.push(features.tafel_mV_dec - truth.film.tafel_mV_dec);
    } catch (e) {
      if (e instanceof DeviceError) failed++;
      else throw e;
    }
  }
  const mean = eta.reduce((a, b) => a + b, 0) / eta.length;
  const sd = Math.sqrt(eta.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, eta.length - 1));
  return {
    label,
    n: eta.length,
    flaggedNoisy: etaFlagged.length,
    failed,
    eta10_err_mV: { mean, sd, p05: quantile(eta, 0.05), p50: quantile(eta, 0.5), p95: quantile(eta, 0.95), maxAbs: Math.max(...eta.map(Math.abs)) },
    tafel_err_mV_dec: { p05: quantile(tafel, 0.05), p50: quantile(tafel, 0.5), p95: quantile(tafel, 0.95), maxAbs: Math.max(...tafel.map(Math.abs)) },
  };
}

const rows = [await measure(NO_NOISE, 'no noise'), await measure(REALISTIC_NOISE, 'realistic noise')];
const f = (x: number): string => x.toFixed(2);
const lines = [
  '| curves | runs | η10 error mean ± sd, mV | η10 error p05 / p50 / p95, mV | max abs. η10 error, mV | Tafel error p05 / p50 / p95, mV/dec | flagged noisy |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map((r) => `| ${r.label} | ${r.n} | ${f(r.eta10_err_mV.mean)} ± ${f(r.eta10_err_mV.sd)} | ${f(r.eta10_err_mV.p05)} / ${f(r.eta10_err_mV.p50)} / ${f(r.eta10_err_mV.p95)} | ${f(r.eta10_err_mV.maxAbs)} | ${f(r.tafel_err_mV_dec.p05)} / ${f(r.tafel_err_mV_dec.p50)} / ${f(r.tafel_err_mV_dec.p95)} | ${r.flaggedNoisy} |`),
];
process.stdout.write(`${lines.join('\n')}\n`);
await writeFile(path.resolve(import.meta.dirname, 'results/analysis-accuracy.json'), `${JSON.stringify({ machine: `${os.cpus().length} cores, node ${process.version}`, runs, seed: Number(values.seed), rows }, null, 2)}\n`);
