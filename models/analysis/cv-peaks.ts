import type { Curve } from '../../src/domain/echem.ts';

export interface CvPeaks {
  /** Anodic and cathodic peak currents (A; cathodic negative) and their potentials (V vs RHE). */
  ipa_A: number;
  ipc_A: number;
  Epa_V_RHE: number;
  Epc_V_RHE: number;
  /** Peak separation, V, and half-wave potential (Epa + Epc)/2, V vs RHE. */
  dEp_V: number;
  E12_V_RHE: number;
}

/**
 * Peaks of one cycle of a CV of a dissolved redox couple (default the first cycle: the one Randles–Sevcik describes).
 * Potentials are converted to RHE with `referenceOffset_V_RHE`. Peak currents are taken from zero current (the
 * capacitive background of a bare electrode is small against diffusion peaks). Undefined without both peaks.
 */
export function cvPeaks(curve: Curve, referenceOffset_V_RHE: number, cycle = 1): CvPeaks | undefined {
  const e = curve.arrays['Ewe_V'];
  const i = curve.arrays['I_A'];
  const cycles = curve.arrays['cycle'];
  if (!e || !i || e.length !== i.length) return undefined;
  let ia = 0;
  let ic = 0;
  let ea = Number.NaN;
  let ec = Number.NaN;
  for (let k = 0; k < e.length; k++) {
    if (cycles && cycles[k] !== cycle) continue;
    const v = i[k] as number;
    if (v > ia) [ia, ea] = [v, e[k] as number];
    if (v < ic) [ic, ec] = [v, e[k] as number];
  }
  if (!Number.isFinite(ea) || !Number.isFinite(ec)) return undefined;
  const Epa = ea + referenceOffset_V_RHE;
  const Epc = ec + referenceOffset_V_RHE;
  return { ipa_A: ia, ipc_A: ic, Epa_V_RHE: Epa, Epc_V_RHE: Epc, dEp_V: Epa - Epc, E12_V_RHE: 0.5 * (Epa + Epc) };
}
