import type { EchemResult, Failure, Logger } from '../domain/index.ts';
import type { DocumentBus, MeasurementWriter } from '../protocol/index.ts';

/** Features and quality flags of a result; `failure` when the data show the measurement is unusable (a cell fault). */
export type Analyse = (result: EchemResult) => { features: Record<string, number>; flags: string[]; failure?: Failure };

interface Deps {
  campaignId: string;
  bus: DocumentBus;
  newId: () => string;
  analyse: Analyse;
  measurements: MeasurementWriter;
  logger: Logger;
}

const PREVIEW_POINTS = 256;

/**
 * Extracts features from a technique result, hands each curve's arrays to the measurement sink (one row per
 * technique run) and publishes a descriptor and an event document per curve (features on the LSV event).
 */
export async function recordMeasurements(
  deps: Deps,
  trialId: string,
  runId: string,
  result: EchemResult,
): Promise<{ features: Record<string, number>; flags: string[]; failure?: Failure }> {
  const analysed = deps.analyse(result);
  const flags = [...new Set([...result.instrumentFlags, ...analysed.flags])];
  const offset = result.conditions.referenceOffset_V_RHE;
  const curves = result.curves.map((curve) => ({ curve, measurementId: deps.newId(), isMain: curve.technique === 'LSV' }));
  // Every curve of the run is handed over at once (the sink stores them in one write) and awaited before the first
  // event that names one is published.
  const writes = curves.map(({ curve, measurementId, isMain }) =>
    deps.measurements.write({
      id: measurementId,
      campaignId: deps.campaignId,
      trialId,
      runId,
      technique: curve.technique,
      arrays: curve.arrays,
      conditions: result.conditions,
      features: isMain ? analysed.features : {},
      flags: isMain ? flags : [],
    }),
  );
  if (writes.length > 0) await Promise.all(writes);
  for (const { curve, measurementId, isMain } of curves) {
    const features = isMain ? analysed.features : {};
    deps.bus.publish(deps.campaignId, 'descriptor', {
      runId,
      stream: curve.technique,
      keys: Object.fromEntries(Object.keys(curve.arrays).map((k) => [k, unitOf(k)])),
    });
    const E = curve.arrays.Ewe_V;
    const I = curve.arrays.I_A;
    const preview =
      E && I && (curve.technique === 'LSV' || curve.technique === 'CV')
        ? downsample(E.map((e) => e + offset), I.map((i) => (i / result.conditions.area) * 1000), 'E / V vs RHE', 'j / mA cm⁻²')
        : undefined;
    deps.bus.publish(deps.campaignId, 'event', { runId, trialId, stream: curve.technique, measurementId, features, flags: isMain ? flags : [], preview });
  }
  return { features: analysed.features, flags, ...(analysed.failure ? { failure: analysed.failure } : {}) };
}

function unitOf(key: string): string {
  const i = key.lastIndexOf('_');
  return i < 0 ? '' : key.slice(i + 1);
}

function downsample(x: number[], y: number[], xLabel: string, yLabel: string): { x: number[]; y: number[]; xLabel: string; yLabel: string } {
  const n = Math.min(x.length, y.length);
  const step = Math.max(1, Math.ceil(n / PREVIEW_POINTS));
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i += step) {
    const xv = x[i];
    const yv = y[i];
    if (xv !== undefined && yv !== undefined && Number.isFinite(xv) && Number.isFinite(yv)) {
      xs.push(Math.round(xv * 1e5) / 1e5);
      ys.push(Math.round(yv * 1e4) / 1e4);
    }
  }
  return { x: xs, y: ys, xLabel, yLabel };
}
