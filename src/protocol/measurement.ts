import type { Conditions } from '../domain/index.ts';

/** One technique run's curves as columnar arrays (SI keys), handed by the engine to a measurement sink. */
export interface MeasurementRecord {
  id: string;
  campaignId: string;
  trialId: string;
  runId: string;
  technique: string;
  arrays: Record<string, number[]>;
  conditions: Conditions;
  features: Record<string, number>;
  flags: string[];
}

export interface MeasurementWriter {
  write(m: MeasurementRecord): Promise<void>;
}
