import {
  normaliseRecipe,
  validateRecipe,
  type CampaignSpec,
  type LiquidHandlerOperation,
  type Recipe,
  type TechniqueRun,
} from '../domain/index.ts';
import { PIPETTE_LIMITS, planSample, snapToDosable, type SamplePlan } from '../devices/sample-preparation.ts';

export type GateVerdict = { allowed: true; recipe: Recipe; sample: SamplePlan } | { allowed: false; recipe: Recipe; reasons: string[] };

/**
 * The safety gate: nothing reaches a driver without passing it. It normalises a proposed recipe (snap, clamp), then
 * checks the search space, the sample the stocks would make, and the campaign's safety envelope. Each refusal
 * carries every reason found. It trusts no proposer: LLM, BO and humans go through the same checks.
 */
export class SafetyGate {
  constructor(private readonly spec: CampaignSpec) {}

  checkRecipe(proposed: Recipe): GateVerdict {
    const recipe = snapToDosable(this.spec, normaliseRecipe(this.spec, proposed));
    const reasons = validateRecipe(this.spec, recipe).map((i) => `${i.path}: ${i.message}`);
    if (reasons.length > 0) return { allowed: false, recipe, reasons };
    const planned = planSample(this.spec, recipe);
    if (!planned.ok) return { allowed: false, recipe, reasons: planned.reasons };
    const env = this.spec.safety;
    const sample = planned.plan;
    for (const draw of sample.draws) {
      const max = env.maxStockVolume[draw.stock];
      if (max !== undefined && draw.volume > max + 1e-9)
        reasons.push(`stock ${draw.stock}: ${draw.volume.toFixed(1)} µL exceeds the envelope's ${max} µL`);
    }
    if (sample.totalVolume < env.minTotalVolume || sample.totalVolume > env.maxTotalVolume)
      reasons.push(`total volume ${sample.totalVolume} µL outside [${env.minTotalVolume}, ${env.maxTotalVolume}] µL`);
    for (const [species, c] of Object.entries(sample.concentrations)) {
      const max = env.maxConcentration[species];
      if (max !== undefined && c > max + 1e-9) reasons.push(`${species}: ${c.toFixed(2)} mM exceeds the limit ${max} mM`);
    }
    for (const rule of env.forbiddenCombinations) {
      if (rule.species.every((s) => (sample.concentrations[s] ?? 0) > rule.above))
        reasons.push(`forbidden combination ${rule.species.join(' + ')} above ${rule.above} mM: ${rule.reason}`);
    }
    for (const p of this.spec.parameters) {
      if (p.type === 'continuous' && p.unit === 'degC') {
        const t = recipe[p.name];
        if (typeof t === 'number' && t > env.maxTemperature) reasons.push(`${p.name}: ${t} °C exceeds the limit ${env.maxTemperature} °C`);
      }
    }
    return reasons.length > 0 ? { allowed: false, recipe, reasons } : { allowed: true, recipe, sample };
  }

  /** Checks one liquid-handler operation before dispatch; returns the reasons it is refused (empty when allowed). */
  checkLiquidOperation(op: LiquidHandlerOperation): string[] {
    const steps = op.kind === 'run_protocol' ? op.steps : [op];
    const reasons: string[] = [];
    let total = 0;
    for (const [i, step] of steps.entries()) {
      if (step.kind === 'aspirate' || step.kind === 'dispense' || step.kind === 'transfer') {
        if (step.volume < PIPETTE_LIMITS.minVolume || step.volume > PIPETTE_LIMITS.maxVolume)
          reasons.push(`step ${i}: volume ${step.volume} µL outside the pipette range [${PIPETTE_LIMITS.minVolume}, ${PIPETTE_LIMITS.maxVolume}] µL`);
        if (step.kind !== 'aspirate') total += step.volume;
      }
    }
    if (total > this.spec.safety.maxTotalVolume + 1e-6)
      reasons.push(`operation dispenses ${total.toFixed(1)} µL, above the envelope's ${this.spec.safety.maxTotalVolume} µL`);
    return reasons;
  }

  /** Checks a technique run against the potential window (V vs RHE) and current limit. */
  checkTechniqueRun(run: TechniqueRun): string[] {
    const [lo, hi] = this.spec.safety.potentialWindow_V_RHE;
    const reasons: string[] = [];
    for (const [key, value] of Object.entries(run.params)) {
      if (key.endsWith('_V_RHE') && (value < lo || value > hi)) reasons.push(`${key}: ${value} V vs RHE outside the window [${lo}, ${hi}]`);
      if (key === 'currentLimit_A' && value > this.spec.safety.maxCurrent_A) reasons.push(`${key}: ${value} A above ${this.spec.safety.maxCurrent_A} A`);
      if (key === 'annealTemperature' && value > this.spec.safety.maxTemperature) reasons.push(`${key}: ${value} °C above ${this.spec.safety.maxTemperature} °C`);
    }
    return reasons;
  }
}
