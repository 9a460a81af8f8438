/**
 * B1: proposal latency of the BO agent (GP fit with hyper-parameters + acquisition optimisation), d = 6, q = 4,
 * n = 50, 200, 500, 1000 observations; medians over repetitions.
 *   node --import tsx bench/proposal-latency.ts [--sizes 50,200,500,1000] [--reps 5]
 */
import { runBenchScript } from './run-bench-script.ts';

await runBenchScript('latency');
