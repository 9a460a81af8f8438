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
  /** Top% when the campaign ended (budget spent, top set found or pool exhausted). */
  topAtEnd: number;
  /** Pool rank of the best point evaluated (1 = the pool's best; with several objectives, by domination count). */
  bestRank: number;
  /** Agent arms: CPU seconds of the campaign (its process, all threads) and the median snap distance. */
  cpuS?: number;
  medianSnap?: number;
  /** Agent arms: share of the picks after the initial rows that another proposer than BO made (generator, planner). */
  otherProposers?: number;
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
  timing: { medianFitMs: number; medianAcqMs: number; medianRoundMs: number; roundMsAtN: { n: number; ms: number }[]; medianCampaignS: number; medianCampaignCpuS?: number };
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
  const rankOf = poolRanks(pool);
  const per: CampaignSummary[] = traces.map((t) => ({
    seed: t.seed,
    evaluations: t.order.length,
    stop: t.stop,
    expTo50: experimentsTo(t.order, pool.isTop, pool.K, 0.5),
    expTo80: experimentsTo(t.order, pool.isTop, pool.K, 0.8),
    expTo100: experimentsTo(t.order, pool.isTop, pool.K, 1),
    topAtEnd: round2(t.order.reduce((s, i) => s + (pool.isTop[i] ?? 0), 0) / pool.K),
    bestRank: Math.min(...t.order.map((i) => rankOf[i] as number)),
    ...(t.cpuMs !== undefined ? { cpuS: round2(t.cpuMs / 1000) } : {}),
    ...(t.snapDistance && t.snapDistance.length > 0 ? { medianSnap: Math.round(median(t.snapDistance) * 1000) / 1000 } : {}),
    ...(t.proposers && t.proposers.length > 0 ? { otherProposers: round2(t.proposers.filter((p) => p !== 'bo').length / t.proposers.length) } : {}),
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
      ...(per.every((p) => p.cpuS !== undefined) ? { medianCampaignCpuS: round2(median(per.map((p) => p.cpuS as number))) } : {}),
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

/** 1-based rank of every pool point by the oriented objective (ties share the better rank). */
function poolRanks(pool: Pool): Int32Array {
  const order = Array.from({ length: pool.N }, (_, i) => i).sort((a, b) => (pool.y[b] as number) - (pool.y[a] as number));
  const rank = new Int32Array(pool.N);
  order.forEach((i, k) => {
    const prev = order[k - 1];
    rank[i] = k > 0 && prev !== undefined && pool.y[prev] === pool.y[i] ? (rank[prev] as number) : k + 1;
  });
  return rank;
}

export interface PairedDelta {
  /** Median over seeds of arm − reference, with a 95 % paired bootstrap CI (seeds resampled). */
  median: number;
  ci: [number, number];
  /** Seeds where the arm did better / worse / the same. */
  better: number;
  worse: number;
  ties: number;
}

/** Paired comparison of an arm with a reference arm on the seeds both ran (same initial rows per seed). */
export interface PairedComparison {
  reference: string;
  arm: string;
  q: number;
  pairs: number;
  /** Top% at the end of each campaign (higher is better). */
  topAtEnd: PairedDelta;
  /** Pool rank of the best point found (lower is better). */
  bestRank: PairedDelta;
  /** Experiments to Top% 0.5, arm / reference (pairs where both reached it). */
  ratio50: ReturnType<typeof pairedRatio>;
}

function pairedDelta(diffs: number[], higherIsBetter: boolean): PairedDelta {
  const better = diffs.filter((d) => (higherIsBetter ? d > 0 : d < 0)).length;
  const worse = diffs.filter((d) => (higherIsBetter ? d < 0 : d > 0)).length;
  return {
    median: round2(median(diffs)),
    ci: bootstrapCi(diffs, (s) => median(s), { seed: 17, reps: 4000 }).map(round2) as [number, number],
    better,
    worse,
    ties: diffs.length - better - worse,
  };
}

export function pairedComparison(reference: ArmSummary, arm: ArmSummary): PairedComparison | null {
  const ref = new Map(reference.perCampaign.map((c) => [c.seed, c]));
  const pairs = arm.perCampaign.flatMap((c) => {
    const r = ref.get(c.seed);
    return r ? [{ a: c, r }] : [];
  });
  if (pairs.length === 0) return null;
  return {
    reference: reference.name,
    arm: arm.name,
    q: arm.q,
    pairs: pairs.length,
    topAtEnd: pairedDelta(pairs.map((p) => p.a.topAtEnd - p.r.topAtEnd), true),
    bestRank: pairedDelta(pairs.map((p) => p.a.bestRank - p.r.bestRank), false),
    ratio50: pairedRatio(reference, arm, 50),
  };
}
