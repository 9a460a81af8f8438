import { Rng, type Recipe } from '../../src/domain/index.ts';
import {
  METALS,
  exchangeCurrent,
  sampleFromRecipe,
  type FilmProperties,
  type FilmSample,
  type LandscapeFailure,
  type LandscapeOutcome,
  type Metal,
  type ResponseLandscape,
} from './landscape.ts';

/**
 * The hidden OER landscape of the default scenario (SIMULATION.md). Bump the version whenever a constant changes:
 * stored campaigns name the landscape version they ran against.
 */
export const OER_LANDSCAPE_VERSION = 'oer-landscape/1.0.0';
/** Seed of the canonical landscape (the one tests and the default dry run use). */
export const OER_LANDSCAPE_DEFAULT_SEED = 2026;

type Pair = `${Metal}${Metal}`;

/**
 * All constants in one place. Potentials in V, Tafel slopes in mV/dec.
 * Grounding: Ni–Fe oxyhydroxide optimum near 20–25 % Fe; Ni–Fe–Co–Ce pocket after Haber et al. 2014
 * (Ni0.3Fe0.07Co0.2Ce0.43Ox); CeO2 alone is a poor, insulating OER catalyst.
 */
export const OER_CONSTANTS = {
  /** Scheffé quadratic background: η10 of the pure components ... */
  linear: { Ni: 0.362, Fe: 0.412, Co: 0.352, Ce: 0.527, Mn: 0.402 } satisfies Record<Metal, number>,
  /** ... and binary interactions (negative = synergy). */
  quadratic: {
    NiFe: -0.16, NiCo: -0.06, NiCe: -0.05, NiMn: 0.02,
    FeCo: -0.08, FeCe: 0.0, FeMn: -0.03,
    CoCe: -0.06, CoMn: -0.07,
    CeMn: 0.04,
  } as Partial<Record<Pair, number>>,
  /** Narrow Ni–Fe well. */
  niFe: { centre: { Ni: 0.77, Fe: 0.23, Co: 0, Ce: 0, Mn: 0 } as Record<Metal, number>, width: 0.07, depth: 0.04 },
  /** Ce-rich pocket: the global optimum, narrower than the Ni–Fe well. */
  cePocket: { centre: { Ni: 0.3, Fe: 0.07, Co: 0.2, Ce: 0.43, Mn: 0 } as Record<Metal, number>, width: 0.15, depth: 0.135 },
  /** Insulating cliff of Ce-rich films: a steep rise of η10 and a coded failure above `failAbove`. */
  ceCliff: { centre: 0.8, width: 0.025, height: 0.28, failAbove: 0.85 },
  /** Deposition-charge optimum (log-scale penalty that saturates), mC/cm². */
  loading: { base: 28, co: 0.9, fe: -0.5, ce: 0.8, penalty: 0.03, widthDecades: 0.7 },
  /** Anneal-temperature optimum (saturating penalty), °C. */
  anneal: { base: 120, co: 200, mn: 160, ce: 120, fe: -60, penalty: 0.025, width: 200 },
  /** Additive × composition: complexant helps Fe/Ce-rich films, hurts Ni/Co-rich ones; the Ce pocket needs a ratio. */
  additive: { halfSaturation_mM: 10, feCeGain: 0.035, niCoLoss: 0.03, cePocketRatio: 0.5, cePocketRatioWidth: 0.4, cePocketMinFactor: 0.75 },
  /** Smooth seeded ripple so that different seeds give different (but statistically alike) landscapes, V. */
  ripple: { amplitude: 0.006, terms: 4 },
  /** Seed-dependent shift of the pocket centres (per component, before renormalising). */
  centreJitter: 0.02,
  tafel: {
    linear: { Ni: 95, Fe: 70, Co: 62, Ce: 115, Mn: 105 } satisfies Record<Metal, number>,
    niFeSlope: 36,
    cePocketSlope: 38,
    min: 30,
    max: 140,
  },
  failures: {
    /** No film: complexant/totalMetal above this ratio (and complexant above the floor) keeps the metals in solution. */
    noFilmRatio: 2,
    noFilmFloor_mM: 10,
    /** Delamination: (T − T0)/ΔT + (q − q0)/Δq above this, both terms positive. */
    delamination: { t0: 300, dt: 200, q0: 90, dq: 60, threshold: 1.4 },
    /** Precipitation of Fe/Ce-rich, concentrated baths without enough complexant. */
    precipitation: { feCeAbove: 0.6, totalMetalAbove: 70, complexantRatioBelow: 0.1 },
    /** Bubble blocking: very active, thick films trap oxygen. */
    bubbleBlocking: { eta10Below: 0.305, chargeAbove: 110 },
  },
} as const;

const PAIRS: [Metal, Metal][] = [];
for (let i = 0; i < METALS.length; i++) for (let j = i + 1; j < METALS.length; j++) PAIRS.push([METALS[i] as Metal, METALS[j] as Metal]);

interface RippleTerm {
  w: number[];
  phase: number;
  amp: number;
}

export interface OerLandscapeOptions {
  seed?: number;
}

/** The default hidden landscape. Deterministic for a seed; `evaluate` is pure. */
export class OerLandscape implements ResponseLandscape {
  readonly id = 'oer-default';
  readonly version = OER_LANDSCAPE_VERSION;
  readonly seed: number;
  private readonly niFeCentre: Record<Metal, number>;
  private readonly ceCentre: Record<Metal, number>;
  private readonly ripple: RippleTerm[];

  constructor(options: OerLandscapeOptions = {}) {
    this.seed = options.seed ?? OER_LANDSCAPE_DEFAULT_SEED;
    const rng = new Rng(this.seed);
    const canonical = this.seed === OER_LANDSCAPE_DEFAULT_SEED;
    const jitter = (c: Record<Metal, number>): Record<Metal, number> => {
      if (canonical) return { ...c };
      const out = {} as Record<Metal, number>;
      let s = 0;
      for (const m of METALS) {
        out[m] = c[m] > 0 ? Math.max(0.01, c[m] + OER_CONSTANTS.centreJitter * (2 * rng.next() - 1)) : 0;
        s += out[m];
      }
      for (const m of METALS) out[m] /= s;
      return out;
    };
    this.niFeCentre = jitter(OER_CONSTANTS.niFe.centre);
    this.ceCentre = jitter(OER_CONSTANTS.cePocket.centre);
    const rr = rng.fork('ripple');
    this.ripple = Array.from({ length: OER_CONSTANTS.ripple.terms }, () => ({
      w: Array.from({ length: METALS.length + 3 }, () => rr.uniform(-4, 4)),
      phase: rr.uniform(0, 2 * Math.PI),
      amp: OER_CONSTANTS.ripple.amplitude / Math.sqrt(OER_CONSTANTS.ripple.terms),
    }));
  }

  /** Centre of the global optimum's composition pocket (for tests and plots). */
  get optimumComposition(): Record<Metal, number> {
    return { ...this.ceCentre };
  }

  evaluate(sample: FilmSample): LandscapeOutcome {
    const x = sample.fractions;
    const C = OER_CONSTANTS;
    const q = Math.max(0.1, sample.depositionCharge_mC_cm2);
    const T = sample.annealTemperature;
    const ratio = sample.complexant / Math.max(1e-6, sample.totalMetal);
    const u = sample.complexant / (sample.complexant + C.additive.halfSaturation_mM);

    // Composition background (Scheffé quadratic).
    let eta = 0;
    for (const m of METALS) eta += C.linear[m] * x[m];
    for (const [a, b] of PAIRS) eta += (C.quadratic[`${a}${b}` as Pair] ?? 0) * x[a] * x[b];

    // Wells: Ni–Fe (weakened by complexant, which binds Fe) and the Ce pocket (needs a complexant/metal ratio).
    const wNiFe = gaussian(dist2(x, this.niFeCentre), C.niFe.width);
    const wCe = gaussian(dist2(x, this.ceCentre), C.cePocket.width);
    const ratioFactor = C.additive.cePocketMinFactor
      + (1 - C.additive.cePocketMinFactor) * Math.exp(-((ratio - C.additive.cePocketRatio) ** 2) / (2 * C.additive.cePocketRatioWidth ** 2));
    eta -= C.niFe.depth * wNiFe * (1 - 0.3 * u);
    eta -= C.cePocket.depth * wCe * ratioFactor;

    // Insulating cliff.
    eta += C.ceCliff.height * sigmoid((x.Ce - C.ceCliff.centre) / C.ceCliff.width);

    // Process optima that move with composition.
    const qOpt = C.loading.base * Math.exp(C.loading.co * x.Co + C.loading.fe * x.Fe + C.loading.ce * x.Ce);
    eta += C.loading.penalty * (1 - Math.exp(-((Math.log10(q / qOpt) / C.loading.widthDecades) ** 2)));
    const tOpt = C.anneal.base + C.anneal.co * x.Co + C.anneal.mn * x.Mn + C.anneal.ce * x.Ce + C.anneal.fe * x.Fe;
    eta += C.anneal.penalty * (1 - Math.exp(-(((T - tOpt) / C.anneal.width) ** 2)));

    // Additive × composition.
    eta += u * (C.additive.niCoLoss * (x.Ni + x.Co) - C.additive.feCeGain * (x.Fe + x.Ce));

    // Seeded smooth ripple over composition and normalised process parameters.
    const z = [...METALS.map((m) => x[m]), Math.log10(q / 2) / 1.9, (T - 25) / 475, Math.min(1, ratio / 3)];
    for (const r of this.ripple) {
      let dot = r.phase;
      for (let i = 0; i < z.length; i++) dot += (r.w[i] ?? 0) * (z[i] ?? 0);
      eta += r.amp * Math.sin(dot);
    }

    // Tafel slope: composition average, pulled down by Fe in Ni and by the Ce pocket.
    let b = 0;
    for (const m of METALS) b += C.tafel.linear[m] * x[m];
    const feActivation = (1 - Math.exp(-x.Fe / 0.06)) * Math.min(1, x.Ni + x.Fe + 0.5 * x.Co);
    b -= (b - C.tafel.niFeSlope) * feActivation * 0.85;
    b -= (b - C.tafel.cePocketSlope) * wCe;
    b = clamp(b, C.tafel.min, C.tafel.max);

    const annealFrac = clamp((T - 25) / 475, 0, 1);
    const film: FilmProperties = {
      eta10_V: eta,
      tafel_mV_dec: b,
      j0_A_cm2: exchangeCurrent(eta, b),
      cdl_F_cm2: 4e-5 + q * 1.2e-5 * (1 + x.Co + 0.5 * x.Ni) * (1 - 0.4 * annealFrac),
      niRedoxCharge_mC_cm2: 0.25 * q * x.Ni * (1 - 0.5 * annealFrac),
      niRedoxPotential_V_RHE: 1.36 + 0.1 * Math.min(1, (3 * x.Fe) / Math.max(1e-9, x.Ni + x.Fe)),
      filmResistance_ohm: 0.2 + 3 * (q / 150) * x.Ce ** 2 + 0.5 * x.Mn * annealFrac,
      bubbleOnset_mA_cm2: 22 + 25 * u,
      stabilityDrift_mV_h: 3 + 30 * x.Mn + 15 * x.Fe * (1 - u) + 10 * x.Ce + 8 * (1 - annealFrac),
    };
    const failure = this.failureOf(sample, film, ratio);
    return failure ? { film, failure } : { film };
  }

  private failureOf(s: FilmSample, film: FilmProperties, ratio: number): LandscapeFailure | undefined {
    const F = OER_CONSTANTS.failures;
    const x = s.fractions;
    if (ratio > F.noFilmRatio && s.complexant > F.noFilmFloor_mM)
      return { code: 'NO_FILM', message: `complexant/metal ratio ${ratio.toFixed(2)} keeps the metals in solution: no film deposited` };
    const p = F.precipitation;
    if (x.Fe + x.Ce > p.feCeAbove && s.totalMetal > p.totalMetalAbove && ratio < p.complexantRatioBelow)
      return { code: 'PRECIPITATION', message: 'Fe/Ce-rich concentrated precursor precipitated before deposition' };
    if (x.Ce > OER_CONSTANTS.ceCliff.failAbove)
      return { code: 'INSULATING_FILM', message: `Ce fraction ${x.Ce.toFixed(2)} gives an insulating film: target current not reached` };
    const d = F.delamination;
    const hot = (s.annealTemperature - d.t0) / d.dt;
    const thick = (s.depositionCharge_mC_cm2 - d.q0) / d.dq;
    if (hot > 0 && thick > 0 && hot + thick > d.threshold)
      return { code: 'DELAMINATION', message: 'thick film annealed hot delaminated from the electrode' };
    const bb = F.bubbleBlocking;
    if (film.eta10_V < bb.eta10Below && s.depositionCharge_mC_cm2 > bb.chargeAbove)
      return { code: 'BUBBLE_BLOCKING', message: 'oxygen bubbles trapped in a thick, very active film block the electrode' };
    return undefined;
  }
}

function dist2(a: Record<Metal, number>, b: Record<Metal, number>): number {
  let s = 0;
  for (const m of METALS) s += (a[m] - b[m]) ** 2;
  return s;
}
/** Flat-topped bell (generalised Gaussian, power 1.5 on d²): near-optimal plateau, steep flanks. */
const gaussian = (d2: number, width: number): number => Math.exp(-((d2 / (2 * width * width)) ** 1.5));
const sigmoid = (t: number): number => 1 / (1 + Math.exp(-t));
const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/** The canonical landscape instance. */
export const defaultOerLandscape = new OerLandscape();

/** True (noise-free) outcome of a recipe of the default scenario: η10 of the film and the chemistry failure, if any. */
export function trueOutcome(recipe: Recipe, landscape: ResponseLandscape = defaultOerLandscape): { eta10_V: number; failure?: LandscapeFailure } {
  const out = landscape.evaluate(sampleFromRecipe(recipe));
  return out.failure ? { eta10_V: out.film.eta10_V, failure: out.failure } : { eta10_V: out.film.eta10_V };
}

/** True iR-free η at 10 mA/cm² (V) of a recipe, ignoring chemistry failures (use `trueOutcome` to see them). */
export function trueEta10(recipe: Recipe, landscape: ResponseLandscape = defaultOerLandscape): number {
  return landscape.evaluate(sampleFromRecipe(recipe)).film.eta10_V;
}
