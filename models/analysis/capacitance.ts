import type { Curve } from '../../src/domain/echem.ts';
import { linearFit } from './numeric.ts';

export interface CapacitanceFit {
  /** Double-layer capacitance, F (divide by the area for F/cm²). */
  cdl_F: number;
  r2: number;
  /** Scan rates used, V/s. */
  scanRates: number[];
}

/**
 * Double-layer capacitance from CVs at several scan rates in a non-Faradaic window: at `potential_V` (on the curves'
 * own potential scale, e.g. Ewe vs the reference), half the difference between the anodic and the cathodic current
 * of the last cycle grows as C_dl·v; the slope of a straight line through the origin region gives C_dl.
 * Curves need `params.scanRate_V_s` and arrays `Ewe_V`, `I_A` (and `cycle` when there are several cycles).
 * Returns undefined with fewer than two usable scan rates.
 */
export function capacitanceFromScanRates(curves: readonly Curve[], potential_V: number): CapacitanceFit | undefined {
  const v: number[] = [];
  const di: number[] = [];
  for (const c of curves) {
    const rate = c.params['scanRate_V_s'];
    const e = c.arrays['Ewe_V'];
    const i = c.arrays['I_A'];
    if (rate === undefined || !e || !i || e.length !== i.length) continue;
    const cycles = c.arrays['cycle'];
    const lastCycle = cycles ? Math.max(...cycles) : undefined;
    let anodic: number | undefined;
    let cathodic: number | undefined;
    for (let k = 1; k < e.length; k++) {
      if (cycles && (cycles[k] !== lastCycle || cycles[k - 1] !== lastCycle)) continue;
      const e0 = e[k - 1] as number;
      const e1 = e[k] as number;
      if ((e0 - potential_V) * (e1 - potential_V) > 0 || e0 === e1) continue;
      const w = (potential_V - e0) / (e1 - e0);
      const cur = (i[k - 1] as number) + w * ((i[k] as number) - (i[k - 1] as number));
      if (e1 > e0) anodic = cur;
      else cathodic = cur;
    }
    if (anodic === undefined || cathodic === undefined) continue;
    v.push(rate);
    di.push((anodic - cathodic) / 2);
  }
  if (v.length < 2) return undefined;
  const fit = linearFit(v, di);
  return { cdl_F: fit.slope, r2: fit.r2, scanRates: v };
}
