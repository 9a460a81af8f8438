/**
 * T1: analytic functions (Branin, Hartmann-3, Hartmann-6, Ackley-4), noiseless and with 5 % noise, q = 1 and 4,
 * BO agent vs Sobol, scored like Ax: 100·(best − baseline)/(optimum − baseline).
 *   node --import tsx bench/analytic.ts [--problems branin,hartmann6] [--seeds 30] [--budget 40] [--workers 2]
 */
import { runBenchScript } from './run-bench-script.ts';

await runBenchScript('analytic');
