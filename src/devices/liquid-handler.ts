import {
  DeviceError,
  FAILURE_CODES,
  liquidHandlerOperationSchema,
  makeFailure,
  silentLogger,
  type Failure,
  type LiquidHandlerOperation,
  type LiquidHandlerStep,
  type Logger,
  type OperationResult,
  type Stock,
} from '../domain/index.ts';
import type { CommandOptions, LiquidHandlerBackend } from './backends.ts';
import { Deck } from './labware.ts';
import { LIQUID_HANDLER_VENDOR_CODES } from './liquid-handler-codes.ts';
import { operationRecord, type OperationOutcome, type OperationRecord } from './operation-records.ts';
import { PIPETTE_LIMITS } from './sample-preparation.ts';
import { VolumeTracker, type SharedReservoirs, type ChannelError, type Contents, type TrackerLimits, type Transaction } from './volume-tracker.ts';

export interface LiquidHandlerOptions {
  /** Dead volume of each reservoir when the deck is built from stock solutions, µL. Default 500. */
  deadVolume?: number;
  limits?: Partial<TrackerLimits>;
  /** How long to wait for the device's stored result of a failed or lost command, wall-clock s. Default 10. */
  lookup_s?: number;
  /** Operation records kept in `history`. Default 1000. */
  historySize?: number;
  logger?: Logger;
  /** Reservoirs this handler shares with others (one set of stock solutions for the lab); default: its own. */
  sharedReservoirs?: SharedReservoirs;
}

export const DEFAULT_TRACKER_LIMITS: TrackerLimits = { channels: 8, minVolume: PIPETTE_LIMITS.minVolume, maxVolume: PIPETTE_LIMITS.maxVolume, maxTransferVolume: 5000 };

/**
 * Liquid-handler frontend. Before anything moves it validates each operation and dry-runs it against the deck: pipette
 * limits, tips, liquid above each reservoir's dead volume, target capacity — refusing with per-channel errors. While
 * the operation runs its draws are reserved; then the two-phase tracker commits what the device reports it actually
 * dispensed, commits only the channels that succeeded (partial multichannel failure), or settles from the device's
 * stored result after a failure. It keeps an immutable record of every operation.
 *
 * Recovery it does on its own: after a lost connection or reply it asks the device for the command's stored result
 * and takes it if the command succeeded; a cell that a failed operation may have partly filled is washed before the
 * next operation fills it (so a retried sample preparation never doses twice); a clot while dispensing into a cell
 * (the device's CLOT_AT_TARGET) is the sample precipitating, reported as the chemistry failure PRECIPITATION.
 */
export class LiquidHandler {
  readonly deck: Deck;
  readonly tracker: VolumeTracker;
  private readonly records: OperationRecord[] = [];
  private readonly logger: Logger;
  private readonly lookup_s: number;
  private readonly historySize: number;
  private seq = 0;

  constructor(readonly backend: LiquidHandlerBackend, deck: Deck | readonly Stock[], options: LiquidHandlerOptions = {}) {
    this.deck = deck instanceof Deck ? deck : Deck.fromStocks(deck, options.deadVolume !== undefined ? { deadVolume: options.deadVolume } : {});
    this.tracker = new VolumeTracker(this.deck, { ...DEFAULT_TRACKER_LIMITS, ...options.limits }, options.sharedReservoirs);
    this.logger = (options.logger ?? silentLogger).child({ component: 'liquid-handler', deviceId: backend.deviceId });
    this.lookup_s = options.lookup_s ?? 10;
    this.historySize = options.historySize ?? 1000;
  }

  get deviceId(): string {
    return this.backend.deviceId;
  }

  /** Operation records, oldest first (frozen). */
  get history(): readonly OperationRecord[] {
    return this.records;
  }

  /** Usable volume left at a location (after reservations and dead volume), µL. */
  usableVolume(location: string): number {
    return this.tracker.usableVolume(location);
  }

  /** What the frontend believes a cell or well holds. */
  contents(location: string): Contents {
    return this.tracker.contentsOf(location);
  }

  async execute(raw: LiquidHandlerOperation, opts: CommandOptions): Promise<OperationResult> {
    const parsed = liquidHandlerOperationSchema.safeParse(raw);
    if (!parsed.success) throw DeviceError.of('COMMAND_REJECTED', `invalid operation: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const notes: string[] = [];
    const op = this.washUncertainTargets(parsed.data, notes);
    const steps: LiquidHandlerStep[] = op.kind === 'run_protocol' ? op.steps : [op];
    const tx = this.tracker.begin();
    steps.forEach((s, i) => tx.step(s, i));
    if (!tx.ok) {
      tx.rollback();
      const failure = refusal(tx.errors, steps.length);
      this.record(opts.commandId, op, 'refused', { failure, channelErrors: tx.errors, notes });
      throw new DeviceError(failure);
    }
    let result: OperationResult;
    try {
      result = await this.backend.execute(op, opts);
    } catch (e) {
      return this.afterFailure(e, op, tx, opts, notes);
    }
    tx.commit(result.dispensed);
    this.record(opts.commandId, op, 'succeeded', { result, notes });
    return result;
  }

  /**
   * Settles the tracker after a failed command and decides what the caller sees: a recovered result (the command
   * succeeded after all), or a rethrown (possibly re-coded) DeviceError.
   */
  private async afterFailure(e: unknown, op: LiquidHandlerOperation, tx: Transaction, opts: CommandOptions, notes: string[]): Promise<OperationResult> {
    let failure = toFailure(e);
    const lost = failure.code === 'DEVICE_LOST' || failure.code === 'COMMAND_TIMEOUT';
    // Did the device (possibly) move anything? A refusal in transit (expired, rejected) did not.
    const ran = lost || failure.code === 'ABORTED' || FAILURE_CODES[failure.code].kind === 'liquidHandler';
    const stored = ran && !opts.signal.aborted ? await this.storedResult(opts.commandId) : undefined;
    if (lost && stored?.status === 'succeeded') {
      tx.commit(stored.dispensed);
      notes.push(`recovered the stored result after ${failure.code}`);
      this.logger.warn({ commandId: opts.commandId, code: failure.code }, 'recovered the result of a command after a lost connection or reply');
      this.record(opts.commandId, op, 'recovered', { result: stored, failure, notes });
      return stored;
    }
    const targets = tx.targets();
    const failedChannels = (stored?.failure ?? failure).channels?.map((c) => c.channel) ?? [];
    const single = op.kind === 'pick_up_tips' || op.kind === 'drop_tips' ? op.channels : undefined;
    if (single && failedChannels.length > 0) {
      tx.commitChannels(single.filter((c) => !failedChannels.includes(c)));
      notes.push(`committed channels ${single.filter((c) => !failedChannels.includes(c)).join(', ') || 'none'}; rolled back ${failedChannels.join(', ')}`);
    } else if (stored) {
      tx.settle({ dispensed: stored.dispensed, ...(await this.mountedTips()) });
      for (const t of targets) if (stored.dispensed.some((d) => d.target === t)) this.tracker.markUncertain(t);
    } else {
      tx.rollback();
      if (ran) for (const t of targets) this.tracker.markUncertain(t);
    }
    if (failure.code === 'CLOT' && failure.vendorCode === LIQUID_HANDLER_VENDOR_CODES.clotAtTarget) {
      for (const t of targets) this.tracker.markUncertain(t);
      failure = makeFailure('PRECIPITATION', `the sample precipitated: the device reported CLOT while dispensing into it (${failure.message})`, {
        vendorCode: failure.vendorCode,
        ...(failure.channels ? { channels: failure.channels } : {}),
      });
      notes.push('CLOT at the target re-coded as PRECIPITATION');
    }
    this.record(opts.commandId, op, 'failed', { failure, notes, ...(stored ? { result: stored } : {}) });
    throw new DeviceError(failure);
  }

  /** The device's stored result of a command, waited for at most `lookup_s`; undefined when unknown or unreachable. */
  private async storedResult(commandId: string): Promise<OperationResult | undefined> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.backend.lookup(commandId),
        new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), this.lookup_s * 1000))),
      ]);
    } catch (err) {
      this.logger.warn({ commandId, err: (err as Error).message }, 'could not look up the stored result');
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Tips the device reports mounted (its `status` detail), if it says. */
  private async mountedTips(): Promise<{ tipsMounted?: number[] }> {
    try {
      const mounted = (await this.backend.status()).detail['tipsMounted'];
      return Array.isArray(mounted) && mounted.every((c) => typeof c === 'number') ? { tipsMounted: mounted as number[] } : {};
    } catch {
      return {};
    }
  }

  /** Prepends a wash of every cell whose contents are uncertain and which the operation fills before washing it. */
  private washUncertainTargets(op: LiquidHandlerOperation, notes: string[]): LiquidHandlerOperation {
    const uncertain = this.tracker.uncertainLocations().filter((l) => l.startsWith('cell:'));
    if (uncertain.length === 0) return op;
    const steps: LiquidHandlerStep[] = op.kind === 'run_protocol' ? op.steps : [op];
    const washes: LiquidHandlerStep[] = [];
    for (const cell of uncertain) {
      for (const s of steps) {
        if (s.kind === 'wash_cell' && s.cell === cell) break;
        if ((s.kind === 'transfer' || s.kind === 'dispense') && s.target === cell) {
          washes.push({ kind: 'wash_cell', cell, cycles: 2 });
          notes.push(`washed ${cell} first: a failed operation may have left liquid in it`);
          break;
        }
      }
    }
    if (washes.length === 0) return op;
    this.logger.info({ cells: washes.map((w) => (w.kind === 'wash_cell' ? w.cell : '')) }, 'washing cells of uncertain contents before filling them');
    return { kind: 'run_protocol', steps: [...washes, ...steps] };
  }

  private record(
    commandId: string,
    op: LiquidHandlerOperation,
    outcome: OperationOutcome,
    extra: { result?: OperationResult; failure?: Failure; channelErrors?: readonly ChannelError[]; notes: string[] },
  ): void {
    this.records.push(
      operationRecord({
        seq: ++this.seq,
        commandId,
        op,
        outcome,
        dispensed: extra.result?.dispensed ?? [],
        duration_s: extra.result?.duration_s ?? 0,
        ...(extra.failure ? { failure: extra.failure } : {}),
        channelErrors: extra.channelErrors ?? [],
        notes: extra.notes,
      }),
    );
    if (this.records.length > this.historySize) this.records.splice(0, this.records.length - this.historySize);
  }
}

/** The failure of an operation refused before motion: the first error's code, every error in the message and per channel. */
function refusal(errors: readonly ChannelError[], steps: number): Failure {
  const first = errors[0] as ChannelError;
  const where = (e: ChannelError): string => `${steps > 1 ? `step ${e.step + 1}: ` : ''}${e.message}`;
  const channels = errors.flatMap((e) => (e.channel !== undefined ? [{ channel: e.channel, code: e.code, message: e.message }] : []));
  return makeFailure(first.code, `refused before motion: ${errors.map(where).join('; ')}`, {
    ...(first.vendorCode ? { vendorCode: first.vendorCode } : {}),
    ...(channels.length > 0 ? { channels } : {}),
  });
}

function toFailure(e: unknown): Failure {
  if (e instanceof DeviceError) return e.failure;
  return makeFailure('INTERNAL', e instanceof Error ? e.message : String(e));
}
