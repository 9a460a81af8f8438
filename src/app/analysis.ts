import { extractFeatures } from '../../models/analysis/index.ts';
import type { EchemResult } from '../domain/index.ts';

/** The engine's feature extractor: our own analysis of the returned curves (models/analysis), as for a real instrument. */
export function analyseEchem(result: EchemResult): { features: Record<string, number>; flags: string[] } {
  return extractFeatures(result);
}
