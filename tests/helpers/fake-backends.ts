import { DeviceError, type EchemResult, type FailureCode, type LiquidHandlerOperation, type OperationResult, type TechniqueRun } from '../../src/domain/index.ts';
import type { CommandOptions, LiquidHandlerBackend, PotentiostatBackend } from '../../src/devices/backends.ts';

/** Scriptable test doubles: they record what reached them and fail on demand. */
export class FakeLiquidHandlerBackend implements LiquidHandlerBackend {
  readonly received: { op: LiquidHandlerOperation; commandId: string }[] = [];
  failures: FailureCode[] = [];
  constructor(readonly deviceId = 'lh-fake') {}
  async setup(): Promise<void> {}
  async execute(op: LiquidHandlerOperation, opts: CommandOptions): Promise<OperationResult> {
    this.received.push({ op, commandId: opts.commandId });
    const code = this.failures.shift();
    if (code) throw DeviceError.of(code, `scripted ${code}`);
    const steps = op.kind === 'run_protocol' ? op.steps : [op];
    const dispensed = steps.flatMap((s) => (s.kind === 'transfer' ? [{ source: s.source, target: s.target, volume: s.volume }] : []));
    return { commandId: opts.commandId, status: 'succeeded', dispensed, duration_s: 1 };
  }
  async lookup(): Promise<OperationResult | undefined> {
    return undefined;
  }
  async status() {
    return { deviceId: this.deviceId, state: 'ready' as const, detail: {} };
  }
  async stop(): Promise<void> {}
}

export class FakePotentiostatBackend implements PotentiostatBackend {
  readonly received: TechniqueRun[] = [];
  failures: FailureCode[] = [];
  constructor(readonly deviceId = 'ps-fake') {}
  async setup(): Promise<void> {}
  async runTechnique(run: TechniqueRun, opts: CommandOptions): Promise<EchemResult> {
    this.received.push(run);
    const code = this.failures.shift();
    if (code) throw DeviceError.of(code, `scripted ${code}`);
    return {
      schema: 'sdl.result.echem.v1',
      runId: `run-${opts.commandId}`,
      commandId: opts.commandId,
      status: 'succeeded',
      conditions: { electrolyte: '1 M KOH', pH: 14, temperature: 25, area: 0.0707, referenceElectrode: 'Hg/HgO', referenceOffset_V_RHE: 0.926 },
      curves: [{ technique: 'LSV', arrays: { t_s: [0, 1, 2], Ewe_V: [0.5, 0.6, 0.7], I_A: [0, 0.0005, 0.001] }, params: {} }],
      instrumentFlags: [],
      duration_s: 600,
    };
  }
  async lookup(): Promise<EchemResult | undefined> {
    return undefined;
  }
  async status() {
    return { deviceId: this.deviceId, state: 'ready' as const, detail: {} };
  }
  async abort(): Promise<void> {}
  async stop(): Promise<void> {}
}
