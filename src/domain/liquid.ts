import { z } from 'zod';
import { strictObject } from './strict-object.ts';
import { failureSchema } from './failure.ts';

/** Immutable liquid-handler operation records (PyLabRobot-style). Volumes in µL. */
const channel = z.number().int().min(0).max(15);
const location = z.string().min(1).max(200); // e.g. "stock:Ni", "cell:pair1", "waste", "tips:rack1"

export const pickUpTipsOpSchema = strictObject({ kind: z.literal('pick_up_tips'), channels: z.array(channel).min(1).max(16), tipRack: location });
export const dropTipsOpSchema = strictObject({ kind: z.literal('drop_tips'), channels: z.array(channel).min(1).max(16), target: z.string().default('waste') });
export const aspirateOpSchema = strictObject({ kind: z.literal('aspirate'), channel, source: location, volume: z.number().positive() });
export const dispenseOpSchema = strictObject({ kind: z.literal('dispense'), channel, target: location, volume: z.number().positive() });
export const transferOpSchema = strictObject({
  kind: z.literal('transfer'),
  channel,
  source: location,
  target: location,
  volume: z.number().positive(),
  newTip: z.boolean().default(true),
});
export const homeOpSchema = strictObject({ kind: z.literal('home') });
export const washCellOpSchema = strictObject({ kind: z.literal('wash_cell'), cell: location, cycles: z.number().int().min(1).max(10).default(2) });

/** The single-step operations; a batched `run_protocol` holds any of them. */
const stepOpSchemas = [pickUpTipsOpSchema, dropTipsOpSchema, aspirateOpSchema, dispenseOpSchema, transferOpSchema, homeOpSchema, washCellOpSchema] as const;
export const stepOpSchema = z.discriminatedUnion('kind', [...stepOpSchemas]);
export const runProtocolOpSchema = strictObject({ kind: z.literal('run_protocol'), steps: z.array(stepOpSchema).min(1).max(500) });
export const liquidHandlerOperationSchema = z.discriminatedUnion('kind', [...stepOpSchemas, runProtocolOpSchema]);
export type LiquidHandlerStep = z.infer<typeof stepOpSchema>;
export type LiquidHandlerOperation = z.infer<typeof liquidHandlerOperationSchema>;

export const operationResultSchema = strictObject({
  commandId: z.string(),
  status: z.enum(['succeeded', 'failed', 'cancelled']),
  /** Actual volumes dispensed into each target during this operation (µL), keyed "target|source". */
  dispensed: z.array(strictObject({ source: z.string(), target: z.string(), volume: z.number() })).default([]),
  duration_s: z.number().nonnegative(),
  failure: failureSchema.optional(),
});
export type OperationResult = z.infer<typeof operationResultSchema>;
