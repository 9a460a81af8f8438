import { z } from 'zod';
import { strictObject } from './strict-object.ts';

export const DEVICE_STATES = ['init', 'ready', 'busy', 'error', 'maintenance', 'disconnected', 'lost'] as const;
export const deviceStateSchema = z.enum(DEVICE_STATES);
export type DeviceState = z.infer<typeof deviceStateSchema>;

/** Lifecycle words of one run (MADSci action status set). */
export const RUN_STATUSES = ['not_started', 'running', 'succeeded', 'failed', 'cancelled', 'paused', 'unknown'] as const;
export const runStatusSchema = z.enum(RUN_STATUSES);
export type RunStatus = z.infer<typeof runStatusSchema>;

export const deviceStatusSchema = strictObject({
  deviceId: z.string(),
  state: deviceStateSchema,
  activeRunId: z.string().optional(),
  lockOwner: z.string().optional(),
  detail: z.record(z.string(), z.unknown()).default({}),
});
export type DeviceStatus = z.infer<typeof deviceStatusSchema>;
