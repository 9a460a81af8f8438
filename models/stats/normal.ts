/**
 * Standard-normal special functions in float64, accurate to a few ulps over the whole real line, including the far
 * tails that the log-space acquisition functions need.
 *
 * erf for |x| < 1 uses the all-positive series erf(x) = (2/√π)·e^{−x²}·Σ (2x²)ⁿ·x/(2n+1)!! (no cancellation);
 * erfcx(x) = e^{x²}·erfc(x) for x ≥ 1 uses Laplace's continued fraction, evaluated by the modified Lentz method.
 */

const SQRT_PI = Math.sqrt(Math.PI);
const SQRT2 = Math.SQRT2;
export const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

function erfSeries(x: number): number {
  const t = 2 * x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= t / (2 * n + 1);
    sum += term;
    if (Math.abs(term) <= Math.abs(sum) * 1e-17) break;
  }
  return (2 / SQRT_PI) * Math.exp(-x * x) * sum;
}

/** e^{x²}·erfc(x) for x ≥ 1 by continued fraction. */
function erfcxContinuedFraction(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let C = x;
  let D = 0;
  for (let k = 1; k < 2000; k++) {
    const a = k / 2;
    D = x + a * D;
    if (D === 0) D = tiny;
    C = x + a / C;
    if (C === 0) C = tiny;
    D = 1 / D;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return 1 / (SQRT_PI * f);
}

export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 1) return erfSeries(x);
  const v = 1 - erfcxContinuedFraction(ax) * Math.exp(-ax * ax);
  return x < 0 ? -v : v;
}

export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 1) return 1 - erf(x);
  if (x > 27.3) return 0;
  return erfcxContinuedFraction(x) * Math.exp(-x * x);
}

/** Scaled complementary error function e^{x²}·erfc(x); finite for every x > −26. */
export function erfcx(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x >= 1) return erfcxContinuedFraction(x);
  if (x > -1) return Math.exp(x * x) * (1 - erf(x));
  return 2 * Math.exp(x * x) - erfcx(-x);
}

/** φ(z), the standard-normal density. */
export function normPdf(z: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * z * z);
}

/** log φ(z). */
export function logNormPdf(z: number): number {
  return -0.5 * z * z - LOG_SQRT_2PI;
}

/** Φ(z), the standard-normal distribution function (accurate relative error in the lower tail). */
export function normCdf(z: number): number {
  return 0.5 * erfc(-z / SQRT2);
}

/** log Φ(z), accurate for every z (≈ −z²/2 − log(−z√(2π)) far in the lower tail). */
export function logNormCdf(z: number): number {
  if (Number.isNaN(z)) return NaN;
  if (z < -1) {
    const x = -z / SQRT2;
    return Math.log(0.5 * erfcx(x)) - x * x;
  }
  return Math.log1p(-0.5 * erfc(z / SQRT2));
}

/** d/dz log Φ(z) = φ(z)/Φ(z) (the inverse Mills ratio), stable in both tails. */
export function dLogNormCdf(z: number): number {
  if (z < -1) {
    const x = -z / SQRT2;
    return (2 / (SQRT2 * SQRT_PI)) / erfcx(x);
  }
  return normPdf(z) / normCdf(z);
}

/**
 * Φ⁻¹(p) for p in (0, 1): a rational starting value (Abramowitz & Stegun 26.2.23) refined by Newton steps on
 * log Φ, which converge to full precision in the tails too.
 */
export function normQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return -Infinity;
    if (p === 1) return Infinity;
    return NaN;
  }
  if (p > 0.5) return -normQuantile(1 - p);
  const t = Math.sqrt(-2 * Math.log(p));
  let x = -(t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t));
  const logP = Math.log(p);
  for (let i = 0; i < 8; i++) {
    const f = logNormCdf(x) - logP;
    const step = f / dLogNormCdf(x);
    x -= step;
    if (Math.abs(step) < 1e-15 * Math.max(1, Math.abs(x))) break;
  }
  return x;
}
