/**
 * Independent synthetic curves for the analysis tests (deliberately not the simulator's physics): a pure Tafel film
 * with iR drop and a constant capacitive current, solved point by point by bisection in log j.
 */
export interface SyntheticLsv {
  eta10_V: number;
  tafel_mV_dec: number;
  rs_ohm: number;
  area: number;
  offset_V: number;
  capacitive_mA_cm2?: number;
  start_V_RHE?: number;
  end_V_RHE?: number;
  step_V?: number;
  /** Relative white noise on the current, with a deterministic generator. */
  noise?: number;
}

export function syntheticLsv(p: SyntheticLsv): { Ewe_V: number[]; I_A: number[] } {
  const b = p.tafel_mV_dec / 1000;
  const step = p.step_V ?? 0.001;
  const n = Math.round(((p.end_V_RHE ?? 1.8) - (p.start_V_RHE ?? 1.0)) / step) + 1;
  const e: number[] = [];
  const i: number[] = [];
  let seed = 12345;
  const uniform = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (let k = 0; k < n; k++) {
    const E = (p.start_V_RHE ?? 1.0) + k * step;
    // E − 1.229 = η10 + b·log10(j/10) + j·A·Rs   (j in mA/cm²; j·A·Rs in V needs j/1000)
    let lo = -12;
    let hi = 4;
    for (let it = 0; it < 200; it++) {
      const mid = 0.5 * (lo + hi);
      const j = 10 ** mid;
      const f = p.eta10_V + b * Math.log10(j / 10) + (j / 1000) * p.area * p.rs_ohm - (E - 1.229);
      if (f > 0) hi = mid;
      else lo = mid;
    }
    const jF = 10 ** (0.5 * (lo + hi));
    const j = jF + (p.capacitive_mA_cm2 ?? 0);
    const noisy = p.noise ? j * (1 + p.noise * (uniform() + uniform() + uniform() - 1.5) * 2) : j;
    e.push(E - p.offset_V);
    i.push((noisy / 1000) * p.area);
  }
  return { Ewe_V: e, I_A: i };
}
