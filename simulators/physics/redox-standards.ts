import { NERNST_SLOPE_V } from '../../src/domain/index.ts';
import type { RedoxCouple } from './diffusion.ts';

/**
 * Dissolved redox standards a cell may hold for calibration runs (species names as stocks supply them), with their
 * couple. Potentials vs RHE at the electrolyte's pH. A cell holding one of these and no metal salt gives diffusion-
 * controlled CV peaks (Randles–Sevcik) instead of a NO_FILM failure.
 */
interface StandardSpec {
  couple: string;
  /** This species is the oxidised (true) or the reduced (false) form. */
  oxidised: boolean;
  n: number;
  /** Formal potential vs SHE, V. */
  e0_V_SHE: number;
  k0_cm_s: number;
  d_cm2_s: number;
}

export const REDOX_STANDARDS: Readonly<Record<string, StandardSpec>> = {
  ferrocyanide: { couple: 'hexacyanoferrate', oxidised: false, n: 1, e0_V_SHE: 0.36, k0_cm_s: 0.1, d_cm2_s: 6.5e-6 },
  ferricyanide: { couple: 'hexacyanoferrate', oxidised: true, n: 1, e0_V_SHE: 0.36, k0_cm_s: 0.1, d_cm2_s: 7.2e-6 },
};

/** The redox couples present in a cell (concentrations in mM), for an electrode of `area` cm² at `pH`. */
export function redoxCouplesIn(concentrations: Readonly<Record<string, number>>, area: number, pH: number): RedoxCouple[] {
  const byCouple = new Map<string, RedoxCouple>();
  for (const [species, c] of Object.entries(concentrations)) {
    const s = REDOX_STANDARDS[species];
    if (!s || !(c > 0)) continue;
    const couple = byCouple.get(s.couple) ?? {
      n: s.n,
      e0_V: s.e0_V_SHE + NERNST_SLOPE_V * pH,
      k0_cm_s: s.k0_cm_s,
      alpha: 0.5,
      d_cm2_s: s.d_cm2_s,
      cOx_mM: 0,
      cRed_mM: 0,
      area,
    };
    if (s.oxidised) couple.cOx_mM += c;
    else couple.cRed_mM += c;
    byCouple.set(s.couple, couple);
  }
  return [...byCouple.values()];
}
