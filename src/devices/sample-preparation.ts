import type { CampaignSpec, LiquidHandlerOperation, LiquidHandlerStep, Recipe, Stock } from '../domain/index.ts';
import { DEFAULT_RESERVOIR_DEAD_VOLUME } from './labware.ts';
import { ops } from './operation-records.ts';

/** Pipetting limits of the (single-channel) liquid handler, µL. */
export const PIPETTE_LIMITS = { minVolume: 1, maxVolume: 1000 } as const;

export interface StockDraw {
  stock: string;
  species: string;
  volume: number;
}

export interface SamplePlan {
  /** In the order they are added to the cell (see `planSample`). */
  draws: StockDraw[];
  /** Target concentration in the sample, mM, per species. */
  concentrations: Record<string, number>;
  totalVolume: number;
}

/** Why a recipe cannot be made from the stocks. */
export type SampleRefusalKind =
  | 'missing-parameter'
  | 'no-stock'
  | 'concentration-out-of-reach'
  | 'below-pipette-minimum'
  | 'over-volume'
  | 'insufficient-volume'
  | 'no-diluent';

export interface SampleRefusal {
  kind: SampleRefusalKind;
  species?: string;
  message: string;
}

export type SamplePlanResult = { ok: true; plan: SamplePlan } | { ok: false; reasons: string[]; refusals: SampleRefusal[] };

export interface SamplePlanOptions {
  /**
   * Usable volume of a stock right now (µL, above its dead volume), e.g. `LiquidHandler.usableVolume('stock:Ni')`.
   * Default: the stock's listed volume minus `deadVolume`.
   */
  usableVolume?: (stock: Stock) => number;
  /** Dead volume per stock when `usableVolume` is not given, µL. Default 500. */
  deadVolume?: number;
}

/**
 * Turns a recipe into stock draws for one sample of `protocol.sampleVolume` µL: each simplex group's fractions times
 * its total concentration parameter, each continuous parameter named like a stock species as its concentration, and
 * water to fill. Refuses, with every reason, when the stocks cannot make the sample: a species no stock supplies, a
 * concentration above its stock's, a volume below the pipette minimum, more stock than the sample volume, or more
 * than a stock holds above its dead volume.
 *
 * Draws come in mixing order: the diluent first, then the other (non-mixture) species such as a complexant, then the
 * mixture's components in the campaign's order — concentrated precursors never meet undiluted, which keeps transient
 * precipitation out of the cell.
 */
export function planSample(spec: Pick<CampaignSpec, 'parameters' | 'stocks' | 'protocol'>, recipe: Recipe, options: SamplePlanOptions = {}): SamplePlanResult {
  const total = spec.protocol.sampleVolume;
  const concentrations: Record<string, number> = {};
  const mixture = new Set<string>();
  const refusals: SampleRefusal[] = [];
  const stocksBySpecies = new Map<string, Stock>(spec.stocks.map((s) => [s.species, s]));
  for (const p of spec.parameters) {
    if (p.type === 'simplex' && p.totalConcentration) {
      const c = recipe[p.totalConcentration];
      if (typeof c !== 'number') {
        refusals.push({ kind: 'missing-parameter', message: `${p.totalConcentration}: missing total concentration` });
        continue;
      }
      for (const comp of p.components) {
        const x = recipe[comp];
        mixture.add(comp);
        if (typeof x === 'number' && x > 0) concentrations[comp] = x * c;
      }
    } else if (p.type === 'continuous' && stocksBySpecies.has(p.name)) {
      const c = recipe[p.name];
      if (typeof c === 'number' && c > 0) concentrations[p.name] = c;
    }
  }
  const usable = options.usableVolume ?? ((s: Stock) => s.volume - (options.deadVolume ?? DEFAULT_RESERVOIR_DEAD_VOLUME));
  const draws: StockDraw[] = [];
  let used = 0;
  for (const [species, c] of Object.entries(concentrations)) {
    const stock = stocksBySpecies.get(species);
    if (!stock) {
      refusals.push({ kind: 'no-stock', species, message: `${species}: no stock solution supplies it` });
      continue;
    }
    if (c > stock.concentration) {
      refusals.push({ kind: 'concentration-out-of-reach', species, message: `${species}: ${c.toFixed(2)} mM is above the stock concentration ${stock.concentration} mM` });
      continue;
    }
    const volume = (c * total) / stock.concentration;
    if (volume < PIPETTE_LIMITS.minVolume) {
      refusals.push({ kind: 'below-pipette-minimum', species, message: `${species}: ${volume.toFixed(3)} µL is below the pipette minimum ${PIPETTE_LIMITS.minVolume} µL` });
      continue;
    }
    draws.push({ stock: stock.name, species, volume });
    used += volume;
  }
  const water = total - used;
  if (water < -1e-9) refusals.push({ kind: 'over-volume', message: `sample needs ${used.toFixed(1)} µL of stocks, more than the ${total} µL sample volume` });
  else if (water >= PIPETTE_LIMITS.minVolume) {
    const waterStock = stocksBySpecies.get('water');
    if (!waterStock) refusals.push({ kind: 'no-diluent', message: 'no water stock to make up the volume' });
    else draws.push({ stock: waterStock.name, species: 'water', volume: water });
  }
  for (const d of draws) {
    const stock = spec.stocks.find((s) => s.name === d.stock);
    const left = stock ? usable(stock) : 0;
    if (d.volume > left + 1e-9)
      refusals.push({ kind: 'insufficient-volume', species: d.species, message: `${d.stock}: ${d.volume.toFixed(1)} µL needed, ${Math.max(0, left).toFixed(0)} µL usable above the dead volume` });
  }
  if (refusals.length > 0) return { ok: false, reasons: refusals.map((r) => r.message), refusals };
  const rank = (d: StockDraw): number => (d.species === 'water' ? 0 : mixture.has(d.species) ? 2 : 1);
  const ordered = draws.map((d, i) => ({ d, i })).sort((a, b) => rank(a.d) - rank(b.d) || a.i - b.i).map(({ d }) => d);
  return { ok: true, plan: { draws: ordered, concentrations, totalVolume: total } };
}

/**
 * Makes every concentration of a recipe dosable with the pipette: a stock-species concentration whose volume would be
 * below the pipette minimum is snapped to zero (under half the minimum) or raised to the smallest dosable value.
 * Simplex fractions are already kept above their `minFraction` by normaliseRecipe.
 */
export function snapToDosable(spec: Pick<CampaignSpec, 'parameters' | 'stocks' | 'protocol'>, recipe: Recipe): Recipe {
  const out: Recipe = { ...recipe };
  const stocksBySpecies = new Map<string, Stock>(spec.stocks.map((s) => [s.species, s]));
  for (const p of spec.parameters) {
    const stock = p.type === 'continuous' ? stocksBySpecies.get(p.name) : undefined;
    const c = out[p.name];
    if (!stock || p.type !== 'continuous' || typeof c !== 'number' || c <= 0) continue;
    const volume = (c * spec.protocol.sampleVolume) / stock.concentration;
    if (volume >= PIPETTE_LIMITS.minVolume) continue;
    const smallest = (PIPETTE_LIMITS.minVolume * stock.concentration) / spec.protocol.sampleVolume;
    out[p.name] = volume < PIPETTE_LIMITS.minVolume / 2 || smallest > p.high ? Math.max(p.low, 0) : smallest;
  }
  return out;
}

/** Transfer steps for a sample plan into a cell, in mixing order, split into pipette-sized moves, one fresh tip per stock. */
export function sampleTransferSteps(plan: SamplePlan, cellLocation: string): LiquidHandlerStep[] {
  const steps: LiquidHandlerStep[] = [];
  for (const draw of plan.draws) {
    // Equal moves, so no move falls below the pipette minimum.
    const moves = Math.ceil(draw.volume / PIPETTE_LIMITS.maxVolume);
    for (let i = 0; i < moves; i++) {
      steps.push({ kind: 'transfer', channel: 0, source: `stock:${draw.stock}`, target: cellLocation, volume: round3(draw.volume / moves), newTip: i === 0 });
    }
  }
  return steps;
}

/** The batched protocol that prepares a sample in a cell (an immutable operation record). */
export function sampleOperation(plan: SamplePlan, cellLocation: string): LiquidHandlerOperation {
  return ops.protocol(sampleTransferSteps(plan, cellLocation));
}

/** Recipe → operation in one call: the plan and its protocol, or every reason the stocks cannot make it. */
export function recipeOperation(
  spec: Pick<CampaignSpec, 'parameters' | 'stocks' | 'protocol'>,
  recipe: Recipe,
  cellLocation: string,
  options: SamplePlanOptions = {},
): { ok: true; plan: SamplePlan; op: LiquidHandlerOperation } | { ok: false; reasons: string[]; refusals: SampleRefusal[] } {
  const planned = planSample(spec, recipe, options);
  if (!planned.ok) return planned;
  return { ok: true, plan: planned.plan, op: sampleOperation(planned.plan, cellLocation) };
}

const round3 = (v: number): number => Math.round(v * 1000) / 1000;
