import type { CampaignSpec, LiquidHandlerStep, Recipe, Stock } from '../domain/index.ts';

/** Pipetting limits of the (single-channel) liquid handler, µL. */
export const PIPETTE_LIMITS = { minVolume: 1, maxVolume: 1000 } as const;

export interface StockDraw {
  stock: string;
  species: string;
  volume: number;
}

export interface SamplePlan {
  draws: StockDraw[];
  /** Target concentration in the sample, mM, per species. */
  concentrations: Record<string, number>;
  totalVolume: number;
}

export type SamplePlanResult = { ok: true; plan: SamplePlan } | { ok: false; reasons: string[] };

/**
 * Turns a recipe into stock draws for one sample of `protocol.sampleVolume` µL: each simplex group's fractions times
 * its total concentration parameter, each continuous parameter named like a stock species as its concentration, and
 * water to fill. Refuses, with the reason, when the stocks cannot make the sample.
 */
export function planSample(spec: Pick<CampaignSpec, 'parameters' | 'stocks' | 'protocol'>, recipe: Recipe): SamplePlanResult {
  const total = spec.protocol.sampleVolume;
  const concentrations: Record<string, number> = {};
  const stocksBySpecies = new Map<string, Stock>(spec.stocks.map((s) => [s.species, s]));
  for (const p of spec.parameters) {
    if (p.type === 'simplex' && p.totalConcentration) {
      const c = recipe[p.totalConcentration];
      if (typeof c !== 'number') return { ok: false, reasons: [`${p.totalConcentration}: missing total concentration`] };
      for (const comp of p.components) {
        const x = recipe[comp];
        if (typeof x === 'number' && x > 0) concentrations[comp] = x * c;
      }
    } else if (p.type === 'continuous' && stocksBySpecies.has(p.name)) {
      const c = recipe[p.name];
      if (typeof c === 'number' && c > 0) concentrations[p.name] = c;
    }
  }
  const reasons: string[] = [];
  const draws: StockDraw[] = [];
  let used = 0;
  for (const [species, c] of Object.entries(concentrations)) {
    const stock = stocksBySpecies.get(species);
    if (!stock) {
      reasons.push(`${species}: no stock solution supplies it`);
      continue;
    }
    if (c > stock.concentration) {
      reasons.push(`${species}: ${c.toFixed(2)} mM is above the stock concentration ${stock.concentration} mM`);
      continue;
    }
    const volume = (c * total) / stock.concentration;
    if (volume < PIPETTE_LIMITS.minVolume) {
      reasons.push(`${species}: ${volume.toFixed(3)} µL is below the pipette minimum ${PIPETTE_LIMITS.minVolume} µL`);
      continue;
    }
    draws.push({ stock: stock.name, species, volume });
    used += volume;
  }
  const water = total - used;
  if (water < -1e-9) reasons.push(`sample needs ${used.toFixed(1)} µL of stocks, more than the ${total} µL sample volume`);
  else if (water >= PIPETTE_LIMITS.minVolume) {
    const waterStock = stocksBySpecies.get('water');
    if (!waterStock) reasons.push('no water stock to make up the volume');
    else draws.push({ stock: waterStock.name, species: 'water', volume: water });
  }
  if (reasons.length > 0) return { ok: false, reasons };
  return { ok: true, plan: { draws, concentrations, totalVolume: total } };
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

/** Transfer steps for a sample plan into a cell, split into pipette-sized moves, one fresh tip per stock. */
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

const round3 = (v: number): number => Math.round(v * 1000) / 1000;
