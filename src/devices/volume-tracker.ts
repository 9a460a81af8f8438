import type { LiquidHandlerStep, OperationResult } from '../domain/index.ts';
import type { Change, ChannelError, Contents, TipState, TrackerLimits } from './tracker-contract.ts';
import type { Deck } from './labware.ts';
import { StepChecks } from './step-checks.ts';

/**
 * Two-phase tracking of liquid volumes and tips on a liquid handler's deck. An operation opens a Transaction, which
 * dry-runs its steps against the committed state plus the reservations of other open transactions and collects
 * per-channel errors; while it runs its draws are reserved; then it is committed (with the volumes the device reports
 * it actually dispensed), committed for some channels only, settled from the device's report after a failure, or
 * rolled back. Volumes in µL; amounts in nmol (µL × mM); water is volume only.
 */

export type { ChannelError, Contents, TrackerLimits, TipState, Change } from './tracker-contract.ts';

type Dispensed = OperationResult['dispensed'];
const TOLERANCE = 1e-6;

/**
 * Reservoirs several liquid handlers draw from (a lab with one set of stock solutions, ADR 0113): their volumes and the
 * open transactions of every handler that shares them, so one handler sees what the others drew and reserved. Each
 * handler keeps its own cells (distinct locations), tips and tip racks.
 */
export class SharedReservoirs {
  /** @internal */
  readonly contents = new Map<string, { volume: number; amounts: Record<string, number> }>();
  /** @internal */
  readonly open = new Set<Transaction>();
}

export class VolumeTracker {
  private readonly contents: Map<string, { volume: number; amounts: Record<string, number> }>;
  private readonly tips: TipState[];
  private readonly rackTips = new Map<string, number>();
  private readonly uncertain = new Set<string>();
  /** Open transactions (their draws are reserved); with shared reservoirs, those of every handler sharing them. */
  readonly open: Set<Transaction>;

  constructor(readonly deck: Deck, readonly limits: TrackerLimits, shared?: SharedReservoirs) {
    this.contents = shared?.contents ?? new Map();
    this.open = shared?.open ?? new Set();
    for (const r of deck.reservoirs()) if (!this.contents.has(r.location)) this.contents.set(r.location, { volume: r.initialVolume, amounts: {} });
    for (const t of deck.tipRacks()) this.rackTips.set(t.location, t.tips);
    this.tips = Array.from({ length: limits.channels }, () => ({ mounted: false }));
  }

  /** Committed volume at a location, µL. */
  volume(location: string): number {
    return this.contents.get(location)?.volume ?? 0;
  }

  /** Volume that may still be drawn: committed, minus dead volume, minus what open transactions reserved. */
  usableVolume(location: string, except?: Transaction): number {
    const info = this.deck.resolve(location);
    let reserved = 0;
    for (const tx of this.open) if (tx !== except) reserved += tx.drawnFrom(location);
    return this.volume(location) - (info && 'deadVolume' in info ? info.deadVolume : 0) - reserved;
  }

  /** Committed contents of a cell or well (amounts by species, nmol). */
  contentsOf(location: string): Contents {
    const c = this.contents.get(location);
    return { volume: c?.volume ?? 0, amounts: { ...(c?.amounts ?? {}) } };
  }

  /** Concentrations in a cell or well, mM. */
  concentrations(location: string): Record<string, number> {
    const c = this.contents.get(location);
    const out: Record<string, number> = {};
    if (!c || c.volume <= 0) return out;
    for (const [k, v] of Object.entries(c.amounts)) out[k] = v / c.volume;
    return out;
  }

  tip(channel: number): TipState {
    const t = this.tips[channel];
    return t ? { ...t, ...(t.liquid ? { liquid: { ...t.liquid } } : {}) } : { mounted: false };
  }

  mountedTips(): number[] {
    return this.tips.flatMap((t, i) => (t.mounted ? [i] : []));
  }

  /** Tips left in a rack; undefined when the deck counts no tips. */
  tipsLeft(rack: string): number | undefined {
    return this.rackTips.get(rack);
  }

  /** The contents of a location are not known (a failed operation may have left liquid there) until it is washed. */
  markUncertain(location: string): void {
    this.uncertain.add(location);
  }

  isUncertain(location: string): boolean {
    return this.uncertain.has(location);
  }

  uncertainLocations(): string[] {
    return [...this.uncertain];
  }

  /** Reloads a tip rack (an operator action). */
  reloadTips(rack: string, tips: number): void {
    if (!this.rackTips.has(rack)) throw new Error(`no tip rack ${rack} on the deck`);
    this.rackTips.set(rack, tips);
  }

  /** Adds liquid to a reservoir (an operator refill), at most up to its capacity; returns the volume added, µL. */
  refill(location: string, volume: number): number {
    const { capacity, contents } = this.reservoir(location);
    const before = contents.volume;
    contents.volume = Math.min(capacity, contents.volume + Math.max(0, volume));
    return contents.volume - before;
  }

  /** Sets a reservoir's committed volume (a resumed run restores what its records say the reservoir holds), µL. */
  setVolume(location: string, volume: number): void {
    this.reservoir(location).contents.volume = Math.max(0, volume);
  }

  /** A reservoir's capacity and its tracked contents (created empty when untracked); throws for any other location. */
  private reservoir(location: string): { capacity: number; contents: { volume: number; amounts: Record<string, number> } } {
    const info = this.deck.resolve(location);
    if (info?.kind !== 'reservoir') throw new Error(`${location} is not a reservoir`);
    let contents = this.contents.get(location);
    if (!contents) this.contents.set(location, (contents = { volume: 0, amounts: {} }));
    return { capacity: info.capacity, contents };
  }

  begin(): Transaction {
    const tx = new Transaction(this);
    this.open.add(tx);
    return tx;
  }

  /** @internal Applies committed changes. */
  apply(changes: readonly Change[]): void {
    for (const ch of changes) {
      switch (ch.kind) {
        case 'draw':
          this.take(ch.location, ch.volume);
          break;
        case 'add':
          this.put(ch.location, ch.source, ch.volume);
          break;
        case 'tip':
          this.tips[ch.channel] = { ...ch.state };
          break;
        case 'rackTip':
          this.rackTips.set(ch.rack, Math.max(0, (this.rackTips.get(ch.rack) ?? 0) - 1));
          break;
        case 'wash':
          this.contents.set(ch.location, { volume: 0, amounts: {} });
          this.uncertain.delete(ch.location);
          break;
      }
    }
  }

  /** @internal Moves liquid the device reports (source → target), outside any nominal change. */
  move(source: string, target: string, volume: number): void {
    this.take(source, volume);
    this.put(target, source, volume);
  }

  private take(location: string, volume: number): void {
    const c = this.contents.get(location);
    if (!c) return;
    const f = c.volume > 0 ? Math.max(0, 1 - volume / c.volume) : 0;
    for (const k of Object.keys(c.amounts)) c.amounts[k] = (c.amounts[k] ?? 0) * f;
    c.volume = Math.max(0, c.volume - volume);
  }

  private put(location: string, source: string, volume: number): void {
    if (location === 'waste') return;
    const c = this.contents.get(location) ?? { volume: 0, amounts: {} };
    const from = this.deck.resolve(source);
    if (from?.kind === 'reservoir') {
      if (from.species !== 'water') c.amounts[from.species] = (c.amounts[from.species] ?? 0) + volume * from.concentration;
    } else {
      const src = this.contents.get(source);
      if (src && src.volume > 0) for (const [k, v] of Object.entries(src.amounts)) c.amounts[k] = (c.amounts[k] ?? 0) + (v * volume) / src.volume;
    }
    c.volume = Math.max(0, c.volume + volume);
    for (const k of Object.keys(c.amounts)) if ((c.amounts[k] ?? 0) < 0) c.amounts[k] = 0;
    this.contents.set(location, c);
  }
}

/** One operation's pending changes: dry-run on creation of each step, then commit / partial commit / settle / roll back. */
export class Transaction {
  readonly errors: ChannelError[] = [];
  private readonly changes: Change[] = [];
  private readonly failedChannels = new Set<number>();
  private closed = false;

  constructor(private readonly tracker: VolumeTracker) {}

  get ok(): boolean {
    return this.errors.length === 0;
  }

  /** Nominal volume this transaction draws from a location (its reservation). */
  drawnFrom(location: string): number {
    let v = 0;
    for (const c of this.changes) if (c.kind === 'draw' && c.location === location) v += c.volume;
    return v;
  }

  /** Locations this transaction dispenses into. */
  targets(): string[] {
    return [...new Set(this.changes.flatMap((c) => (c.kind === 'add' && c.location !== 'waste' ? [c.location] : [])))];
  }

  /** Dry-runs one step: records its changes, or per-channel errors (a channel with an error skips its later steps). */
  step(step: LiquidHandlerStep, index: number): void {
    const v = new StepChecks(this.tracker, this, index);
    switch (step.kind) {
      case 'pick_up_tips':
        for (const c of step.channels) if (v.channelOk(c)) v.pickUp(c, step.tipRack, true);
        return;
      case 'drop_tips':
        for (const c of step.channels) if (v.channelOk(c)) v.drop(c);
        return;
      case 'aspirate':
        if (v.channelOk(step.channel)) v.aspirate(step.channel, step.source, step.volume);
        return;
      case 'dispense':
        if (v.channelOk(step.channel)) v.dispense(step.channel, step.target, step.volume);
        return;
      case 'transfer':
        if (v.channelOk(step.channel)) v.transfer(step.channel, step.source, step.target, step.volume, step.newTip);
        return;
      case 'home':
        return;
      case 'wash_cell':
        v.wash(step.cell);
        return;
    }
  }

  /** @internal */
  record(change: Change): void {
    this.changes.push(change);
  }

  /** @internal */
  fail(error: ChannelError): void {
    this.errors.push(error);
    if (error.channel !== undefined) this.failedChannels.add(error.channel);
  }

  /** @internal */
  hasFailed(channel: number): boolean {
    return this.failedChannels.has(channel);
  }

  /** @internal The channel's tip as this transaction leaves it so far. */
  tipOf(channel: number): TipState {
    for (let i = this.changes.length - 1; i >= 0; i--) {
      const c = this.changes[i] as Change;
      if (c.kind === 'tip' && c.channel === channel) return c.state;
    }
    return this.tracker.tip(channel);
  }

  /** @internal Volume at a location as this transaction sees it (committed + own changes − others' reservations). */
  volumeAt(location: string): number {
    let v = this.tracker.volume(location);
    for (const c of this.changes) {
      if (c.kind === 'draw' && c.location === location) v -= c.volume;
      if (c.kind === 'add' && c.location === location) v += c.volume;
      if (c.kind === 'wash' && c.location === location) v = 0;
    }
    for (const tx of this.tracker.open) if (tx !== this) v -= tx.drawnFrom(location);
    return v;
  }

  /** @internal Tips this transaction has taken from a rack. */
  takenFrom(rack: string): number {
    return this.changes.filter((c) => c.kind === 'rackTip' && c.rack === rack).length;
  }

  /** Applies everything; `actual` (the device's report) replaces the nominal dispensed volumes. */
  commit(actual?: Dispensed): void {
    this.close(() => {
      this.tracker.apply(this.changes);
      if (actual) this.correct(this.changes, actual);
    });
  }

  /** Applies the changes of these channels (and channel-less ones, e.g. a wash); the others are rolled back. */
  commitChannels(channels: readonly number[], actual?: Dispensed): void {
    const keep = this.changes.filter((c) => c.channel < 0 || channels.includes(c.channel));
    this.close(() => {
      this.tracker.apply(keep);
      if (actual) this.correct(keep, actual);
    });
  }

  /**
   * After a failure part-way through a sequence: what moved is what the device reports (`dispensed`), the tips are
   * where the device says (`tipsMounted`, emptied), and nothing else of the nominal plan is applied.
   */
  settle(report: { dispensed: Dispensed; tipsMounted?: readonly number[] }): void {
    this.close(() => {
      for (const d of report.dispensed) this.tracker.move(d.source, d.target, d.volume);
      if (report.tipsMounted) {
        const mounted = new Set(report.tipsMounted);
        const tips: Change[] = [];
        for (let c = 0; c < this.tracker.limits.channels; c++) tips.push({ kind: 'tip', channel: c, state: { mounted: mounted.has(c) } });
        this.tracker.apply(tips);
      }
    });
  }

  rollback(): void {
    this.close(() => undefined);
  }

  private close(fn: () => void): void {
    if (this.closed) throw new Error('transaction already closed');
    this.closed = true;
    this.tracker.open.delete(this);
    fn();
  }

  /** Adjusts committed nominal deliveries to the device's actual volumes, pair by pair. */
  private correct(changes: readonly Change[], actual: Dispensed): void {
    const nominal = new Map<string, number>();
    for (const c of changes) if (c.kind === 'add') nominal.set(`${c.source}|${c.location}`, (nominal.get(`${c.source}|${c.location}`) ?? 0) + c.volume);
    for (const d of actual) {
      const diff = d.volume - (nominal.get(`${d.source}|${d.target}`) ?? 0);
      // A negative move takes back what did not arrive, with the source's composition.
      if (Math.abs(diff) > TOLERANCE) this.tracker.move(d.source, d.target, diff);
    }
  }
}
