/**
 * T2: the Liang et al. (2021) pool protocol on the four liang_* pools (replicate averaging, 2 random initial points,
 * q = 1 until Top% = 1, top 5 %, 50 seeds, median of 10 × five-fold averages), arms lcb2-matern and default.
 *   node --import tsx bench/liang.ts [--problems liang-crossed-barrel] [--arms lcb2-matern,default] [--seeds 50] [--workers 2]
 * Calibration arms: --arms textbook-ei,textbook-ucb2,textbook-matern-ucb2.
 */
import { runBenchScript } from './run-bench-script.ts';

await runBenchScript('liang');
