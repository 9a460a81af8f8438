import type { EchemResult, LiquidHandlerOperation, OperationResult, TechniqueRun } from '../domain/index.ts';

/**
 * Messages a plan yields to the engine. Plans are synchronous generators: they describe, the engine acts.
 * Devices are addressed by role within the station pair the engine assigned to the trial.
 */
export type Msg =
  | { type: 'openRun'; label: string }
  | { type: 'closeRun'; status: 'completed' | 'failed' | 'aborted' }
  | { type: 'dispatchLiquid'; label: string; op: LiquidHandlerOperation; expected_s: number }
  | { type: 'dispatchEchem'; label: string; run: TechniqueRun; expected_s: number }
  | { type: 'wait'; seconds: number; label: string }
  | { type: 'checkpoint'; label: string }
  | { type: 'awaitApproval'; reason: string };

export type Plan<R = void> = Generator<Msg, R, unknown>;

/** Typed wrappers so plans read `const r = yield* dispatchLiquid(...)`. */
export function* dispatchLiquid(label: string, op: LiquidHandlerOperation, expected_s: number): Plan<OperationResult> {
  return (yield { type: 'dispatchLiquid', label, op, expected_s }) as OperationResult;
}

export function* dispatchEchem(label: string, run: TechniqueRun, expected_s: number): Plan<EchemResult> {
  return (yield { type: 'dispatchEchem', label, run, expected_s }) as EchemResult;
}

export function* wait(seconds: number, label: string): Plan<void> {
  yield { type: 'wait', seconds, label };
}

export function* checkpoint(label: string): Plan<void> {
  yield { type: 'checkpoint', label };
}
