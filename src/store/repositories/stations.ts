import { asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { deviceStateSchema, type DeviceState } from '../../domain/index.ts';
import type { Db } from '../db.ts';
import { stationsTable } from '../schema.ts';

/** The last stationState report of one device. */
export interface DeviceReport {
  state: DeviceState;
  activeRunId?: string | undefined;
  message?: string | undefined;
  /** Time of the document that carried the report (ISO 8601). */
  time: string;
}

export interface StationRecord {
  campaignId: string;
  id: string;
  /** State last reported by any device of the station. */
  state: DeviceState;
  /** Device that reported last. */
  device: string;
  /** Last report of each device of the station. */
  devices: Record<string, DeviceReport>;
  quarantined: boolean;
  consecutiveFaults: number;
  activeRunId: string | undefined;
  message: string | undefined;
  lastHeartbeat: Date;
}

export interface StationRepository {
  /** Stations of a campaign ordered by id. */
  list(campaignId: string): Promise<StationRecord[]>;
}

export const deviceReportSchema = z.object({
  state: deviceStateSchema,
  activeRunId: z.string().optional(),
  message: z.string().optional(),
  time: z.string(),
});

export function stationRepository(db: Db): StationRepository {
  return {
    async list(campaignId) {
      const rows = await db.select().from(stationsTable).where(eq(stationsTable.campaignId, campaignId)).orderBy(asc(stationsTable.id));
      return rows.map((row) => ({
        campaignId: row.campaignId,
        id: row.id,
        state: deviceStateSchema.parse(row.state),
        device: row.device,
        devices: z.record(z.string(), deviceReportSchema).parse(row.devices),
        quarantined: row.quarantined,
        consecutiveFaults: row.consecutiveFaults,
        activeRunId: row.activeRunId ?? undefined,
        message: row.message ?? undefined,
        lastHeartbeat: row.lastHeartbeat,
      }));
    },
  };
}
