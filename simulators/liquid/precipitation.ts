import { metalFractions } from '../physics/landscape.ts';
import { OER_CONSTANTS } from '../physics/oer-landscape.ts';

/**
 * Precursor precipitation in a cell (a recipe-region fault of the liquid handler): when the mixed precursor in a cell
 * is Fe/Ce-rich, concentrated and carries little complexant, hydroxides precipitate; the next dispense into that cell
 * clots the tip. The cell stays precipitated until it is washed.
 */
export interface PrecipitationRule {
  /** Why a cell with these concentrations (mM per species) precipitates, or undefined if it stays in solution. */
  precipitates(concentrations: Readonly<Record<string, number>>): string | undefined;
}

export const noPrecipitation: PrecipitationRule = { precipitates: () => undefined };

/** The default OER scenario's rule: the same thresholds as the hidden landscape's PRECIPITATION region. */
export const oerPrecipitation: PrecipitationRule = {
  precipitates(concentrations) {
    const p = OER_CONSTANTS.failures.precipitation;
    const { fractions, total } = metalFractions(concentrations);
    if (total <= 0) return undefined;
    const complexant = concentrations['complexant'] ?? 0;
    const feCe = fractions.Fe + fractions.Ce;
    const ratio = complexant / total;
    if (feCe > p.feCeAbove && total > p.totalMetalAbove && ratio < p.complexantRatioBelow)
      return `Fe+Ce fraction ${feCe.toFixed(2)} at ${total.toFixed(0)} mM metal with complexant/metal ${ratio.toFixed(2)}: precursor precipitated`;
    return undefined;
  },
};
