import { FARADAY, GAS_CONSTANT } from '../../src/domain/index.ts';

/**
 * A dissolved redox couple O + n e⁻ ⇌ R at a planar electrode (semi-infinite linear diffusion, equal diffusion
 * coefficients), with Butler–Volmer kinetics at the surface. Used for redox standards (ferri/ferrocyanide, ferrocene):
 * CV peaks that follow Randles–Sevcik, Cottrell transients after a potential step.
 */
export interface RedoxCouple {
  /** Electrons transferred. */
  n: number;
  /** Formal potential, V on the scale the waveform uses. */
  e0_V: number;
  /** Standard rate constant, cm/s (≥ 0.1 behaves reversibly at ordinary scan rates). */
  k0_cm_s: number;
  alpha: number;
  /** Diffusion coefficient, cm²/s. */
  d_cm2_s: number;
  /** Bulk concentrations, mM. */
  cOx_mM: number;
  cRed_mM: number;
  /** Electrode area, cm². */
  area: number;
  temperature_K?: number;
}

export interface DiffusionGrid {
  /** Spatial nodes (≥ 50). */
  nodes: number;
  /** Explicit-scheme stability number D·dt/dx² (≤ 0.5). */
  lambda: number;
}

const DEFAULT_GRID: DiffusionGrid = { nodes: 200, lambda: 0.4 };

/**
 * Faradaic current (A, anodic positive) for a potential waveform sampled at `times` (s, increasing from 0) with
 * potentials `e_V`. Explicit finite differences on a uniform grid six diffusion lengths deep, sub-stepped so that
 * D·dt/dx² ≤ λ; second-order one-sided flux at the surface, where the Butler–Volmer condition fixes the
 * concentrations. The potential varies linearly between samples (a true sweep, not a staircase).
 */
export function diffusionCurrent(c: RedoxCouple, times: readonly number[], e_V: readonly number[], grid: Partial<DiffusionGrid> = {}): number[] {
  const g = { ...DEFAULT_GRID, ...grid };
  const total = Math.max(1e-6, times[times.length - 1] ?? 0);
  const f = (c.n * FARADAY) / (GAS_CONSTANT * (c.temperature_K ?? 298.15));
  const depth = 6 * Math.sqrt(c.d_cm2_s * total);
  const n = Math.max(50, g.nodes);
  const dx = depth / (n - 1);
  const dtMax = (g.lambda * dx * dx) / c.d_cm2_s;
  const ox = new Float64Array(n).fill(c.cOx_mM * 1e-6); // mol/cm³
  const red = new Float64Array(n).fill(c.cRed_mM * 1e-6);
  const nextOx = new Float64Array(n);
  const nextRed = new Float64Array(n);
  const a = c.d_cm2_s / (2 * dx);
  const out: number[] = [];
  let flux = 0; // net reduction flux, mol/cm²/s
  let t = 0;
  for (let k = 0; k < times.length; k++) {
    const target = times[k] as number;
    const t0 = k > 0 ? (times[k - 1] as number) : 0;
    const e0 = e_V[Math.max(0, k - 1)] as number;
    const e1 = e_V[k] as number;
    while (t < target - 1e-12) {
      const dt = Math.min(dtMax, target - t);
      // Linear sweep between samples: the potential at the middle of the sub-step.
      const e = target > t0 ? e0 + ((e1 - e0) * (t + 0.5 * dt - t0)) / (target - t0) : e1;
      const kf = c.k0_cm_s * Math.exp(-c.alpha * f * (e - c.e0_V));
      const kb = c.k0_cm_s * Math.exp((1 - c.alpha) * f * (e - c.e0_V));
      const l = (c.d_cm2_s * dt) / (dx * dx);
      for (let i = 1; i < n - 1; i++) {
        nextOx[i] = (ox[i] as number) + l * ((ox[i + 1] as number) - 2 * (ox[i] as number) + (ox[i - 1] as number));
        nextRed[i] = (red[i] as number) + l * ((red[i + 1] as number) - 2 * (red[i] as number) + (red[i - 1] as number));
      }
      nextOx[n - 1] = c.cOx_mM * 1e-6;
      nextRed[n - 1] = c.cRed_mM * 1e-6;
      // Surface: equal and opposite fluxes keep 3·T0 = 4·T1 − T2 (T = O + R); Butler–Volmer fixes O0.
      const total0 = (4 * ((nextOx[1] as number) + (nextRed[1] as number)) - ((nextOx[2] as number) + (nextRed[2] as number))) / 3;
      const o0 = Math.max(0, (a * (4 * (nextOx[1] as number) - (nextOx[2] as number)) + kb * total0) / (3 * a + kf + kb));
      nextOx[0] = o0;
      nextRed[0] = Math.max(0, total0 - o0);
      flux = kf * o0 - kb * (nextRed[0] as number);
      ox.set(nextOx);
      red.set(nextRed);
      t += dt;
    }
    out.push(k === 0 ? 0 : -c.n * FARADAY * c.area * flux);
  }
  return out;
}

/** Randles–Sevcik peak current (A) of a reversible couple at 25 °C: 2.69×10⁵ n^{3/2} A C √(D v), C in mol/cm³. */
export function randlesSevcik(n: number, area: number, c_mM: number, d_cm2_s: number, scanRate_V_s: number): number {
  return 2.69e5 * n ** 1.5 * area * c_mM * 1e-6 * Math.sqrt(d_cm2_s * scanRate_V_s);
}

/** Cottrell current (A) t seconds after a step to the diffusion limit: n F A C √(D/(π t)). */
export function cottrell(n: number, area: number, c_mM: number, d_cm2_s: number, t_s: number): number {
  return n * FARADAY * area * c_mM * 1e-6 * Math.sqrt(d_cm2_s / (Math.PI * t_s));
}

/** A triangular CV waveform: start → vertex → start, `cycles` times, sampled every `step_V`. */
export function cvWaveform(start_V: number, vertex_V: number, scanRate_V_s: number, step_V: number, cycles = 1): { t: number[]; e: number[] } {
  const per = Math.max(1, Math.round(Math.abs(vertex_V - start_V) / step_V));
  const h = (vertex_V - start_V) / per;
  const t: number[] = [0];
  const e: number[] = [start_V];
  for (let c = 0; c < cycles; c++) {
    for (let k = 1; k <= 2 * per; k++) {
      e.push(k <= per ? start_V + k * h : vertex_V - (k - per) * h);
      t.push((t[t.length - 1] as number) + Math.abs(h) / scanRate_V_s);
    }
  }
  return { t, e };
}
