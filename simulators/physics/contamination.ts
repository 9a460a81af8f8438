import { exchangeCurrent, type FilmProperties, type Metal } from './landscape.ts';

/**
 * A contaminated electrolyte batch. `iron`: Fe impurity in KOH (reagent-grade KOH carries ~0.1–1 ppm) is taken up by
 * Ni and Co oxyhydroxides and makes them far more active (Trotochaud et al., JACS 2014: lower η, Tafel slope towards
 * ≈ 40 mV/dec, Ni redox wave shifted anodically); films that already hold ≳ 25 % Fe gain nothing. `poison`: a
 * site-blocking impurity (organics, heavy metals) that takes a fraction of the active sites out of every film.
 */
export interface Contamination {
  kind: 'iron' | 'poison';
  /** Severity in (0, 1]: Fe uptake relative to saturation, or blocked fraction / 0.8. */
  level: number;
}

/** An ELECTROLYTE_CONTAMINATION magnitude in [−1, 1]: > 0 Fe impurity, < 0 a poison; |m| its level. */
export function contaminationOf(magnitude: number): Contamination | undefined {
  if (!Number.isFinite(magnitude) || magnitude === 0) return undefined;
  return { kind: magnitude > 0 ? 'iron' : 'poison', level: Math.min(1, Math.abs(magnitude)) };
}

/** Largest η10 gain of an Fe-free Ni film from Fe uptake, V. */
const IRON_GAIN_V = 0.12;
/** Tafel slope of a saturated NiFe oxyhydroxide, mV/dec. */
const NIFE_TAFEL_MV_DEC = 38;

/** How much a film with these metal fractions responds to Fe uptake: Ni- and Co-rich, Fe-poor films the most. */
export function ironResponse(fractions: Readonly<Record<Metal, number>>): number {
  const host = fractions.Ni + 0.6 * fractions.Co;
  return Math.max(0, Math.min(1, host)) * Math.max(0, 1 - fractions.Fe / 0.25);
}

/** The film as a contaminated batch makes it measure (kinetics consistent: j0 from the new η10 and Tafel slope). */
export function contaminateFilm(film: FilmProperties, fractions: Readonly<Record<Metal, number>>, c: Contamination): FilmProperties {
  if (c.kind === 'iron') {
    const w = c.level * ironResponse(fractions);
    const eta10 = film.eta10_V - IRON_GAIN_V * w;
    const tafel = film.tafel_mV_dec - w * Math.max(0, film.tafel_mV_dec - NIFE_TAFEL_MV_DEC);
    return { ...film, eta10_V: eta10, tafel_mV_dec: tafel, j0_A_cm2: exchangeCurrent(eta10, tafel), niRedoxPotential_V_RHE: film.niRedoxPotential_V_RHE + 0.08 * w };
  }
  const blocked = 0.8 * c.level;
  // With a fraction θ of the sites blocked, 10 mA/cm² needs 1/(1 − θ) times the current per free site.
  const eta10 = film.eta10_V + (film.tafel_mV_dec / 1000) * Math.log10(1 / (1 - blocked));
  return { ...film, eta10_V: eta10, j0_A_cm2: exchangeCurrent(eta10, film.tafel_mV_dec), cdl_F_cm2: film.cdl_F_cm2 * (1 - 0.5 * blocked) };
}
