import type { PoolCampaignTrace } from './pool-campaign.ts';
import type { Pool } from './pool.ts';
import {
  accelerationFactor,
  bootstrapCi,
  censoredMedian,
  efMax,
  experimentsTo,
  firstCrossing,
  hypervolumeCurve,
  liangAggregate,
  median,
  pointwiseQuantile,
  randomMeanExperiments,
  randomMedianExperiments,
  topCurve,
} from './metrics.ts';

/**
 * Per-arm summary of pool campaigns. Two aggregations, always named:
 * - "median over campaigns" (`expTo50`, `expTo80`): each campaign's own experiments to the level, then the median;
 * - "Liang" (`expTo50Liang`, `expTo80Liang`): the first i where the median over 10 × five-fold averaged Top% curves
 *   reaches the level (the paper's aggregation).
 * Experiments always include the initial points. AF = a·N / experiments (exact random reference: Top%(i) = i/N).
 */
export interface CampaignSummary {
  seed: number;
  evaluations: number;
  stop: PoolCampaignTrace['stop'];
  expTo50: number | null;
  expTo80: number | null;
  expTo100: number | null;
  /** Several objectives: experiments to 90 % / 95 % of the pool's Pareto-set hypervolume (null: not reached). */
  expToHv90?: number | null;
  expToHv95?: number | null;
}

/** Several objectives: hypervolume fraction reached (median over campaigns), at checkpoints and as experiments to a level. */
export interface HypervolumeSummary {
  at: { n: number; median: number; p5: number; p95: number }[];
  expToHv90: number | null;
  expToHv95: number | null;
  curve: CurveBand;
}

export interface CurveBand {
  median: number[];
  p5: number[];
  p95: number[];
}

export interface ArmSummary {
  name: string;
  description: string;
  q: number;
  campaigns: number;
  expTo50: number | null;
  expTo80: number | null;
  expTo100: number | null;
  /** 95 % bootstrap CI of the median over campaigns. */
  expTo50Ci: [number, number];
  expTo80Ci: [number, number];
  /** Campaigns that stopped (budget) before reaching the level. */
  censored50: number;
  censored80: number;
  expTo50Liang: number | null;
  expTo80Liang: number | null;
  af50: number | null;
  af80: number | null;
  af50Liang: number | null;
  af80Liang: number | null;
  /** Rounds (batches after the initial points) to Top% 0.5 / 0.8, median over campaigns. */
  roundsTo50: number | null;
  roundsTo80: number | null;
  /** Largest EF of the aggregated median Top% curve (Liang aggregation when `liang`, else pointwise median) and where. */
  efMax: number;
  efMaxAt: number;
  /** Top% after i = 1 … length evaluations: pointwise median and 5th/95th percentiles over campaigns. */
  curve: CurveBand;
  /** The same under the Liang aggregation (when at least 5 campaigns). */
  curveLiang?: CurveBand;
  timing: { medianFitMs: number; medianAcqMs: number; medianRoundMs: number; roundMsAtN: { n: number; ms: number }[]; medianCampaignS: number };
  perCampaign: CampaignSummary[];
  hypervolume?: HypervolumeSummary;
}

export interface RandomReference {
  /** Where random sampling's expected Top%(i) = i/N reaches the level: a·N (the AF reference). */
  expectedCurve50: number;
  expectedCurve80: number;
  /** Exact median and mean of the experiments a random campaign needs (hypergeometric). */
  median50: number;
  median80: number;
  mean50: number;
  mean80: number;
}

export function randomReference(pool: Pick<Pool, 'N' | 'K'>): RandomReference {
  return {
    expectedCurve50: 0.5 * pool.N,
    expectedCurve80: 0.8 * pool.N,
    median50: randomMedianExperiments(0.5, pool.N, pool.K),
    median80: randomMedianExperiments(0.8, pool.N, pool.K),
    mean50: randomMeanExperiments(0.5, pool.N, pool.K),
    mean80: randomMeanExperiments(0.8, pool.N, pool.K),
  };
}

const round2 = (v: number): number => Math.round(v * 100) / 100;
const band = (m: Float64Array, lo: Float64Array, hi: Float64Array): CurveBand => ({
  median: Array.from(m, (v) => round2(v * 100) / 100),
  p5: Array.from(lo, (v) => round2(v * 100) / 100),
  p95: Array.from(hi, (v) => round2(v * 100) / 100),
});

export function summariseArm(pool: Pool, traces: PoolCampaignTrace[], opts: { description: string; init: number; liang: boolean }): ArmSummary {
  const first = traces[0];
  if (!first) throw new Error('no campaigns to summarise');
  const q = first.q;
  const length = Math.max(...traces.map((t) => t.order.length));
  const curves = traces.map((t) => topCurve(t.order, pool.isTop, pool.K, length));
  const per: CampaignSummary[] = traces.map((t) => ({
    seed: t.seed,
    evaluations: t.order.length,
    stop: t.stop,
    expTo50: experimentsTo(t.order, pool.isTop, pool.K, 0.5),
    expTo80: experimentsTo(t.order, pool.isTop, pool.K, 0.8),
    expTo100: experimentsTo(t.order, pool.isTop, pool.K, 1),
  }));
  const hv = pool.hypervolume ? hypervolumeSummary(pool.hypervolume, traces, length, per) : undefined;
  const e50 = per.map((p) => p.expTo50);
  const e80 = per.map((p) => p.expTo80);
  const ci = (vals: (number | null)[]): [number, number] => bootstrapCi(vals, (s) => censoredMedian(s) ?? Infinity, { seed: 11 });
  const rounds = (e: number | null): number | null => (e === null ? null : Math.max(0, Math.ceil((e - Math.min(opts.init, e)) / q)));
  const medianCurve = pointwiseQuantile(curves, 0.5);
  const curve = band(medianCurve, pointwiseQuantile(curves, 0.05), pointwiseQuantile(curves, 0.95));
  let curveLiang: CurveBand | undefined;
  let liangMedian: Float64Array | undefined;
  if (traces.length >= 5) {
    const agg = liangAggregate(curves);
    liangMedian = agg.median;
    curveLiang = band(agg.median, agg.p5, agg.p95);
  }
  const efCurveSource = opts.liang && liangMedian ? liangMedian : medianCurve;
  const ef = efMax(efCurveSource, pool.N);
  const expTo50 = censoredMedian(e50);
  const expTo80 = censoredMedian(e80);
  const expTo50Liang = liangMedian ? firstCrossing(liangMedian, 0.5) : null;
  const expTo80Liang = liangMedian ? firstCrossing(liangMedian, 0.8) : null;

  const fit = traces.flatMap((t) => t.fitMs);
  const acq = traces.flatMap((t) => t.acqMs);
  const roundMs = traces.flatMap((t) => t.fitMs.map((f, k) => f + (t.acqMs[k] as number)));
  const roundN = traces.flatMap((t) => t.roundN);
  const atN = [50, 100, 200, 300, 400, 500]
    .map((n) => {
      const near = roundMs.filter((_, k) => Math.abs((roundN[k] as number) - n) <= Math.max(2, q));
      return { n, ms: near.length > 0 ? Math.round(median(near)) : NaN };
    })
    .filter((r) => Number.isFinite(r.ms));
  return {
    name: first.arm,
    description: opts.description,
    q,
    campaigns: traces.length,
    expTo50,
    expTo80,
    expTo100: censoredMedian(per.map((p) => p.expTo100)),
    expTo50Ci: ci(e50),
    expTo80Ci: ci(e80),
    censored50: e50.filter((v) => v === null).length,
    censored80: e80.filter((v) => v === null).length,
    expTo50Liang,
    expTo80Liang,
    af50: accelerationFactor(0.5, pool.N, expTo50),
    af80: accelerationFactor(0.8, pool.N, expTo80),
    af50Liang: accelerationFactor(0.5, pool.N, expTo50Liang),
    af80Liang: accelerationFactor(0.8, pool.N, expTo80Liang),
    roundsTo50: censoredMedian(e50.map(rounds)),
    roundsTo80: censoredMedian(e80.map(rounds)),
    efMax: round2(ef.value),
    efMaxAt: ef.at,
    curve,
    curveLiang,
    timing: {
      medianFitMs: fit.length ? Math.round(median(fit)) : 0,
      medianAcqMs: acq.length ? Math.round(median(acq)) : 0,
      medianRoundMs: roundMs.length ? Math.round(median(roundMs)) : 0,
      roundMsAtN: atN,
      medianCampaignS: round2(median(traces.map((t) => t.wallMs / 1000))),
    },
    perCampaign: per,
    ...(hv ? { hypervolume: hv } : {}),
  };
}

const HV_CHECKPOINTS = [10, 25, 50, 100, 200, 400];

/** Hypervolume curves of the campaigns; also fills each campaign's experiments to 90 % / 95 %. */
function hypervolumeSummary(pool: NonNullable<Pool['hypervolume']>, traces: PoolCampaignTrace[], length: number, per: CampaignSummary[]): HypervolumeSummary {
  const curves = traces.map((t) => hypervolumeCurve(t.order, pool, length));
  const reach = (c: Float64Array, level: number): number | null => {
    const i = c.findIndex((v) => v >= level - 1e-12);
    return i < 0 ? null : i + 1;
  };
  curves.forEach((c, k) => {
    const row = per[k] as CampaignSummary;
    row.expToHv90 = reach(c, 0.9);
    row.expToHv95 = reach(c, 0.95);
  });
  const med = pointwiseQuantile(curves, 0.5);
  const lo = pointwiseQuantile(curves, 0.05);
  const hi = pointwiseQuantile(curves, 0.95);
  return {
    at: HV_CHECKPOINTS.filter((n) => n <= length).map((n) => ({ n, median: round2(med[n - 1] as number), p5: round2(lo[n - 1] as number), p95: round2(hi[n - 1] as number) })),
    expToHv90: censoredMedian(per.map((p) => p.expToHv90 ?? null)),
    expToHv95: censoredMedian(per.map((p) => p.expToHv95 ?? null)),
    curve: band(med, lo, hi),
  };
}

/**
 * Paired comparison of two arms' experiments to a level (same seeds): median of the per-seed ratio b/a with a 95 %
 * bootstrap CI (seeds resampled); campaigns that never reached the level are left out.
 */
export function pairedRatio(a: ArmSummary, b: ArmSummary, level: 50 | 80): { median: number; ci: [number, number]; pairs: number } | null {
  const key = level === 50 ? 'expTo50' : 'expTo80';
  const bySeed = new Map(a.perCampaign.map((c) => [c.seed, c[key]]));
  const ratios: number[] = [];
  for (const c of b.perCampaign) {
    const va = bySeed.get(c.seed);
    const vb = c[key];
    if (va !== undefined && va !== null && vb !== null) ratios.push(vb / va);
  }
  if (ratios.length === 0) return null;
  return { median: round2(median(ratios)), ci: bootstrapCi(ratios, (s) => median(s), { seed: 13 }).map(round2) as [number, number], pairs: ratios.length };
}
