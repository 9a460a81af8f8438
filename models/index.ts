/**
 * Public surface of the Bayesian-optimisation core. Shapes: X is n×d in the unit cube (GP features), y has length n
 * (outcome units, maximised). Acquisition values are in model (standardised) space.
 */
export * from './linalg/index.ts';
export * from './transforms/index.ts';
export { SobolEngine, sobolNormal, SOBOL_MAX_DIMENSION } from './sobol.ts';
export { GaussianProcess, fitGp, type GpFitOptions, type GpHyperparameters, type PointPosterior } from './surrogates/gp.ts';
export { KERNEL_KINDS, type KernelKind } from './surrogates/kernels.ts';
export { fitFeasibility, type FeasibilityModel, type FeasibilityOptions } from './surrogates/feasibility.ts';
export { fitIndependentGps, predictIndependent } from './surrogates/multi-output.ts';
export { evaluateRows, type AcquisitionFunction } from './acquisition/types.ts';
export { createLogEI, createUCB, logExpectedImprovement, logH, maxTrainingMean } from './acquisition/log-ei.ts';
export { createQLogNEI, type QLogNeiOptions } from './acquisition/q-log-nei.ts';
export { thompsonSelect } from './acquisition/thompson.ts';
export { withLogProbabilities, feasibilityTerm, outcomeBoundTerm, type LogProbabilityTerm } from './acquisition/constrained.ts';
export { minimizeLbfgsb, type LbfgsbOptions, type LbfgsbResult } from './optimizers/lbfgsb.ts';
export { optimizeAcquisition, optimizeBatch, boltzmannSelect, type AcquisitionOptimum, type OptimizeAcquisitionOptions } from './optimizers/optimize-acquisition.ts';
export { scorePool, selectFromPool, scaleToUnitCube } from './optimizers/pool.ts';
export { poolStep, type PoolAcquisition, type PoolStepOptions, type PoolStepResult } from './bo-step.ts';
export { hypervolume, paretoFront } from './metrics/hypervolume.ts';
