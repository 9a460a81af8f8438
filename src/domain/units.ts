/**
 * Default units, declared once. A name that carries no unit suffix is in these units:
 * volume µL, time s, temperature °C, potential V (always with its reference electrode named),
 * current A, resistance Ω, current density mA/cm², concentration mM, area cm².
 * Names in other units carry the unit (`eta10_mV`, `charge_mC_cm2`).
 */
export const UNITS = {
  volume: 'uL',
  time: 's',
  temperature: 'degC',
  potential: 'V',
  current: 'A',
  resistance: 'ohm',
  currentDensity: 'mA/cm2',
  concentration: 'mM',
  area: 'cm2',
} as const;

/** Thermodynamic potential of the oxygen evolution reaction, V vs RHE. */
export const E_OER_RHE = 1.229;
/** 2.303·RT/F at 298.15 K, in V. */
export const NERNST_SLOPE_V = 0.05916;
export const FARADAY = 96485.332;
export const GAS_CONSTANT = 8.314462;
