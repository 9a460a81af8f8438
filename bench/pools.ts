/**
 * Pool benchmarks (BENCHMARKS.md §A, T3): the lab-relevant pools, or any CSV pool / JSON spec.
 *   node --import tsx bench/pools.ts [--problems oer-3496,photo-pce10] [--q 1,4,8] [--seeds 50] [--workers 2] [--json file]
 *   node --import tsx bench/pools.ts pool --pool my.csv --inputs a,b,c --objective y --minimize [--simplex a,b,c]
 * Same flags as `labloop bench`; see src/cli/bench-command.ts.
 */
import { runBenchScript } from './run-bench-script.ts';

await runBenchScript('pools');
