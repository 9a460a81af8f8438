import type { EchemResult, ProtocolSpec, Recipe, TechniqueRun } from '../domain/index.ts';
import { PIPETTE_LIMITS, sampleTransferSteps, type SamplePlan } from '../devices/sample-preparation.ts';
import { dispatchEchem, dispatchLiquid, type Plan } from '../protocol/index.ts';
import { withCleanup } from './with-cleanup.ts';

export interface OerScreenInput {
  trialId: string;
  recipe: Recipe;
  sample: SamplePlan;
  /** Cell id of the station pair (the liquid handler fills `cell:<id>`, the potentiostat measures it). */
  cell: string;
  protocol: ProtocolSpec;
}

/** Conditioning (OCP 30 s + CV 240 s) and PEIS (180 s) durations of the composite screen, s. */
const FIXED_ECHEM_S = 30 + 240 + 180;
const TIP_S = 4;
const MOVE_S = 1.5;
const FLOW_UL_S = 90;

/** Expected liquid-handling time for a sample, s (tip pickup and drop per stock, moves, flow). */
export function expectedPreparation_s(sample: SamplePlan): number {
  let t = 0;
  for (const d of sample.draws) {
    const moves = Math.ceil(d.volume / PIPETTE_LIMITS.maxVolume);
    t += 2 * TIP_S + moves * (2 * MOVE_S + (2 * d.volume) / moves / FLOW_UL_S);
  }
  return t;
}

/** The station protocol of SIMULATION.md as one composite technique: OCP → CV conditioning → PEIS → LSV. */
export function oerScreenRun(input: OerScreenInput): TechniqueRun {
  const p = input.protocol;
  const params: Record<string, number> = {
    scanRate_V_s: p.lsvScanRate_V_s,
    start_V_RHE: p.lsvStart_V_RHE,
    end_V_RHE: p.lsvEnd_V_RHE,
    area: p.electrodeArea,
    targetCurrentDensity: p.targetCurrentDensity,
    withEis: p.withEis ? 1 : 0,
  };
  for (const key of ['depositionCharge_mC_cm2', 'annealTemperature']) {
    const v = input.recipe[key];
    if (typeof v === 'number') params[key] = v;
  }
  return { technique: 'OER_Screen_v1', cell: input.cell, params, sample: { trialId: input.trialId, electrolyte: p.electrolyte, pH: p.pH } };
}

export function expectedScreen_s(protocol: ProtocolSpec): number {
  return FIXED_ECHEM_S + Math.abs(protocol.lsvEnd_V_RHE - protocol.lsvStart_V_RHE) / protocol.lsvScanRate_V_s;
}

/**
 * One trial of the OER screen: clean the cell, mix the sample from stocks into it, run the composite
 * electrochemical screen, and clean the cell again (also when a step failed).
 */
export function* oerScreenPlan(input: OerScreenInput): Plan<EchemResult> {
  const cellLocation = `cell:${input.cell}`;
  const wash = (): Plan<void> =>
    (function* () {
      yield* dispatchLiquid('wash cell', { kind: 'wash_cell', cell: cellLocation, cycles: 2 }, 40);
    })();
  yield { type: 'openRun', label: `OER screen of ${input.trialId}` };
  const body = (function* (): Plan<EchemResult> {
    yield* wash();
    yield* dispatchLiquid(
      'prepare sample',
      { kind: 'run_protocol', steps: sampleTransferSteps(input.sample, cellLocation) },
      expectedPreparation_s(input.sample),
    );
    return yield* dispatchEchem('OER screen', oerScreenRun(input), expectedScreen_s(input.protocol));
  })();
  const result = yield* withCleanup(body, wash);
  yield { type: 'closeRun', status: 'completed' };
  return result;
}
