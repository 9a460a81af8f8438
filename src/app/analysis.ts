import { extractFeatures, type ExtractedFeatures } from '../../models/analysis/index.ts';
import type { EchemResult } from '../domain/index.ts';

/**
 * The engine's feature extractor: our own analysis of the returned curves (models/analysis), as for a real instrument.
 * Its `failure` (an oscillating or bubble-covered LSV, ADR 0050) fails the trial with that code.
 */
export function analyseEchem(result: EchemResult): ExtractedFeatures {
  return extractFeatures(result);
}
