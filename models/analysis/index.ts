export { extractFeatures, type ExtractOptions, type ExtractedFeatures } from './extract-features.ts';
export { lsvFeatures, DEFAULT_LSV_OPTIONS, type LsvInput, type LsvOptions, type LsvFeatures } from './lsv-features.ts';
export { fitTafel, DEFAULT_TAFEL_OPTIONS, type TafelFit, type TafelOptions } from './tafel.ts';
export { fitRandlesCpe, highFrequencyIntercept, randlesCpeZ, type RandlesCpeFit, type Spectrum } from './eis-fit.ts';
export { linearFit, median, movingMedian, robustSigma, type LinearFit } from './numeric.ts';
export { kramersKronigTest, type KramersKronigResult } from './kramers-kronig.ts';
export { capacitanceFromScanRates, type CapacitanceFit } from './capacitance.ts';
export { cvPeaks, type CvPeaks } from './cv-peaks.ts';
