import type { StockSupply, TrialExecutor } from '../../agents/trial-ports.ts';
import { isStockShortage, makeFailure, shortStocks, type CampaignSpec, type Failure, type Logger, type Stock } from '../domain/index.ts';
import type { SamplePlan } from '../devices/sample-preparation.ts';
import { StockWatch, drawsByStock, stockLowReason, stockShortages, type StockShortage, type StockWatchOptions } from '../devices/stock-supply.ts';
import type { Station } from '../engine/station.ts';
import { ledgerVolume, type DocumentBus, type StockLedger } from '../protocol/index.ts';

/** The simulated lab's side of a refill: its reservoirs really receive the liquid (ADR 0113). */
export interface StockRefillTarget {
  refillStock(stock: string, volume_uL: number): void;
  /** Everything the lab has received so far into a stock, µL. */
  refilledVolume(stock: string): number;
}

export interface StockKeeperOptions {
  spec: CampaignSpec;
  stations: readonly Station[];
  bus: DocumentBus;
  campaignId: string;
  logger: Logger;
  /** The simulated lab, which receives every refill. */
  lab?: StockRefillTarget | undefined;
  /** A simulated operator refills a stock to its listed volume whenever it runs short (dry runs). */
  autoRefill?: boolean | undefined;
  watch?: Partial<StockWatchOptions> | undefined;
}

/** How much to refill: a volume, or up to the stock's listed volume. */
export type RefillAmount = { volume_uL: number } | { toListed: true };

/** The operator of a dry run's auto-refill (ADR 0113). */
export const SIMULATED_OPERATOR = 'simulated-operator';

interface InFlight {
  station: Station;
  /** commandId prefix of this run's device steps. */
  prefix: string;
  draws: Map<string, number>;
}

/**
 * Keeps a campaign's stock solutions supplied (ADR 0113). It wraps the trial executor: before a trial's liquid handling
 * is dispatched it checks the sample's draws against the tracked volumes (the liquid handlers' trackers, less what the
 * trials already dispatched will still draw) and holds the trial (STOCK_LOW, nothing sent) when a stock cannot supply
 * it; after each run it records what the run drew (a `stock` `use` document) and warns when a stock holds less than
 * about the next samples need. Refills (an operator's command, the CLI's record, a dry run's simulated operator) go to
 * the trackers and to the simulated lab and are recorded as `stock` `refill` documents; a resumed run rebuilds the
 * tracked volumes from those documents.
 *
 * Liquid handlers that share reservoirs (the simulated lab's, one set of stocks) form one group; liquid handlers with
 * reservoirs of their own each form a group, and a refill fills the stock in every group.
 */
export class StockKeeper implements StockSupply {
  private readonly groups: Station[][] = [];
  private readonly inflight = new Map<string, InFlight>();
  /** Trials a device reported short while the tracker thought otherwise (retried once, then paused). */
  private readonly drifted = new Set<string>();
  /** Retries per trial after a stock ran out (restored from the documents on resume). */
  private readonly supplyRetries = new Map<string, number>();
  private readonly watch: StockWatch;
  private readonly stocks: ReadonlyMap<string, Stock>;

  constructor(private readonly opts: StockKeeperOptions) {
    for (const s of opts.stations) {
      const group = this.groups.find((g) => g[0]?.liquidHandler.tracker.open === s.liquidHandler.tracker.open);
      if (group) group.push(s);
      else this.groups.push([s]);
    }
    this.watch = new StockWatch(opts.watch);
    this.stocks = new Map(opts.spec.stocks.map((s) => [s.name, s]));
  }

  hasStock(name: string): boolean {
    return this.stocks.has(name);
  }

  /** The tracked volume of a stock (committed, dead volume included), the lowest over the groups, µL. */
  volume(stock: string): number {
    return Math.min(...this.groups.map((g) => (g[0] as Station).liquidHandler.tracker.volume(`stock:${stock}`)));
  }

  /** Usable volume of a stock for new trials: the lowest over the groups. */
  usable(stock: string): number {
    return Math.min(...this.groups.map((g) => this.groupUsable(g, stock)));
  }

  /**
   * Committed volume above the dead volume, less what trials in flight on the group's stations will still draw (the
   * part of their sample not yet recorded as drawn), µL. `except`: a trial whose own draws do not count.
   */
  private groupUsable(group: readonly Station[], stock: string, except?: string): number {
    const lh = (group[0] as Station).liquidHandler;
    const location = `stock:${stock}`;
    const info = lh.deck.resolve(location);
    if (info?.kind !== 'reservoir') return 0;
    let earmarked = 0;
    for (const [trialId, f] of this.inflight) {
      if (trialId === except || !group.includes(f.station)) continue;
      earmarked += Math.max(0, (f.draws.get(stock) ?? 0) - (drawnBy(f.station, f.prefix).get(stock) ?? 0));
    }
    return lh.tracker.volume(location) - info.deadVolume - earmarked;
  }

  /** The shortages of a sample on the group of `station` (every group when none is named). */
  private shortages(sample: SamplePlan, station?: Station, except?: string): StockShortage[] {
    const groups = station ? this.groups.filter((g) => g.includes(station)) : this.groups;
    const worst = new Map<string, StockShortage>();
    for (const g of groups)
      for (const s of stockShortages(sample.draws, (stock) => this.groupUsable(g, stock, except)))
        if (!worst.has(s.stock) || (worst.get(s.stock) as StockShortage).usable_uL > s.usable_uL) worst.set(s.stock, s);
    return [...worst.values()];
  }

  /**
   * Records a refill and applies it: to every group's tracker (a reservoir holds at most its listed volume) and to the
   * simulated lab. Returns the volume added, µL (the largest over the groups). Throws on an unknown stock.
   */
  refill(stock: string, amount: RefillAmount, actor: string, reason?: string): number {
    const listed = this.stocks.get(stock);
    if (!listed) throw new Error(`no stock "${stock}" in this campaign`);
    const location = `stock:${stock}`;
    let added = 0;
    for (const g of this.groups) {
      const tracker = (g[0] as Station).liquidHandler.tracker;
      const want = 'toListed' in amount ? listed.volume - tracker.volume(location) : amount.volume_uL;
      added = Math.max(added, tracker.refill(location, want));
    }
    this.opts.bus.publish(this.opts.campaignId, 'stock', { kind: 'refill', stock, volume_uL: added, toListed: 'toListed' in amount, actor, ...(reason ? { reason } : {}) });
    if (added > 0) this.opts.lab?.refillStock(stock, added);
    this.opts.logger.info({ stock, added_uL: round1(added), volume_uL: round1(this.volume(stock)), actor }, 'stock refilled');
    this.warn();
    return added;
  }

  /**
   * A resumed run: the tracked volumes become what the stored documents say (listed + refills − drawn), and the
   * simulated lab receives the refills recorded while no process ran (e.g. by `labloop refill`).
   */
  restore(ledger: StockLedger): void {
    for (const [trialId, n] of Object.entries(ledger.supplyRetries)) this.supplyRetries.set(trialId, n);
    for (const stock of this.stocks.values()) {
      for (const g of this.groups) {
        const shared = this.groups.length === 1;
        const volume = ledgerVolume(ledger, stock, shared ? undefined : g.map((s) => s.id));
        (g[0] as Station).liquidHandler.tracker.setVolume(`stock:${stock.name}`, shared ? volume : Math.min(stock.volume, volume));
      }
      const lab = this.opts.lab;
      const pending = (ledger.refilled_uL[stock.name] ?? 0) - (lab?.refilledVolume(stock.name) ?? 0);
      if (lab && pending > 1e-9) lab.refillStock(stock.name, pending);
    }
  }

  isShortage(failure: Failure): boolean {
    return isStockShortage(failure);
  }

  retries(trialId: string): number {
    return this.supplyRetries.get(trialId) ?? 0;
  }

  async resupply(trialId: string, sample: SamplePlan, failure: Failure): Promise<{ ok: true } | { ok: false; reason: string }> {
    const r = await this.check(trialId, sample, failure);
    if (r.ok) this.supplyRetries.set(trialId, this.retries(trialId) + 1);
    return r;
  }

  private async check(trialId: string, sample: SamplePlan, failure: Failure): Promise<{ ok: true } | { ok: false; reason: string }> {
    let short = this.shortages(sample);
    // The device found a stock short that the tracker thinks can supply the sample (the tracker drifted, or another
    // hand drew from it): retried once; reported again, it is short whatever the tracker says.
    const named = failure.code === 'INSUFFICIENT_LIQUID' ? (shortStocks(failure) ?? []) : [];
    const drift = named.filter((n) => this.stocks.has(n) && !short.some((s) => s.stock === n));
    if (drift.length > 0) {
      if (!this.drifted.has(trialId)) {
        this.drifted.add(trialId);
        this.opts.logger.warn({ trialId, stocks: drift, failure: failure.message }, 'a device reported a stock short that the tracker thinks can supply the sample: retrying once');
        if (short.length === 0) return { ok: true };
      } else {
        const needed = drawsByStock(sample.draws);
        short = [...short, ...drift.map((stock) => ({ stock, usable_uL: 0, needed_uL: needed.get(stock) ?? 0 }))];
      }
    }
    if (short.length === 0) return { ok: true };
    if (this.opts.autoRefill) {
      const added = short.map((s) => this.refill(s.stock, { toListed: true }, SIMULATED_OPERATOR, stockLowReason([s])));
      this.drifted.delete(trialId);
      if (added.every((a) => a > 0) && this.shortages(sample).length === 0) return { ok: true };
    }
    const reason = stockLowReason(short);
    this.opts.logger.warn({ trialId, stocks: short }, reason);
    return { ok: false, reason };
  }

  /** The executor with the hold before dispatch, the record of what each run drew and the early warning. */
  executor(inner: TrialExecutor): TrialExecutor {
    const keeper = this;
    return {
      availableStations: () => inner.availableStations(),
      usableStations: () => inner.usableStations(),
      whileNotPaused: () => inner.whileNotPaused(),
      get aborted() {
        return inner.aborted;
      },
      stationsChanged: () => inner.stationsChanged(),
      run: (stationId, request) => keeper.run(inner, stationId, request),
    };
  }

  private async run(inner: TrialExecutor, stationId: string, request: Parameters<TrialExecutor['run']>[1]): ReturnType<TrialExecutor['run']> {
    const station = this.opts.stations.find((s) => s.id === stationId);
    if (!station) return inner.run(stationId, request);
    let short = this.shortages(request.sample, station, request.trialId);
    if (short.length > 0 && this.opts.autoRefill) {
      for (const s of short) this.refill(s.stock, { toListed: true }, SIMULATED_OPERATOR, stockLowReason([s]));
      short = this.shortages(request.sample, station, request.trialId);
    }
    if (short.length > 0) {
      // Held before dispatch: nothing was sent, so the station is not involved and the trial is retried after a refill.
      const failure = makeFailure('STOCK_LOW', `${stockLowReason(short)} (held before dispatch on ${stationId})`);
      this.opts.logger.warn({ trialId: request.trialId, station: stationId, stocks: short }, 'trial held: a stock cannot supply its sample');
      return { status: 'failed', runId: `${request.trialId}.a${request.attempt}.held`, failure };
    }
    const prefix = `${request.trialId}.a${request.attempt}.`;
    this.inflight.set(request.trialId, { station, prefix, draws: drawsByStock(request.sample.draws) });
    try {
      return await inner.run(stationId, request);
    } finally {
      this.inflight.delete(request.trialId);
      this.recordUse(station, request.trialId, request.attempt, prefix);
    }
  }

  /** Publishes what a run drew (if anything) and feeds the early warning. */
  private recordUse(station: Station, trialId: string, attempt: number, prefix: string): void {
    const drawn = drawnBy(station, prefix);
    if (drawn.size === 0) return;
    this.opts.bus.publish(this.opts.campaignId, 'stock', { kind: 'use', trialId, station: station.id, attempt, drawn_uL: Object.fromEntries(drawn) });
    this.watch.record(drawn);
    this.warn();
  }

  /** The early warning: each stock that just fell below about the next samples' need, once per crossing. */
  private warn(): void {
    for (const w of this.watch.check([...this.stocks.keys()], (stock) => this.usable(stock))) {
      this.opts.bus.publish(this.opts.campaignId, 'stock', { kind: 'low', stock: w.stock, usable_uL: round1(w.usable_uL), meanDraw_uL: round1(Math.max(w.meanDraw_uL, 0.1)), samplesLeft: w.samplesLeft });
      this.opts.logger.warn({ stock: w.stock, usable_uL: round1(w.usable_uL), meanDraw_uL: round1(w.meanDraw_uL), samplesLeft: w.samplesLeft }, `stock:${w.stock} ≈ ${w.samplesLeft} samples left`);
    }
  }
}

/**
 * What a run's device steps (commandIds starting with `prefix`) drew from each stock, as the liquid handler recorded
 * it. A station runs one trial at a time, so the run's records are the last ones of its liquid handler's history.
 */
function drawnBy(station: Station, prefix: string): Map<string, number> {
  const out = new Map<string, number>();
  const history = station.liquidHandler.history;
  for (let i = history.length - 1; i >= 0; i--) {
    const r = history[i];
    if (!r?.commandId.startsWith(prefix)) break;
    for (const d of r.dispensed) if (d.source.startsWith('stock:')) out.set(d.source.slice(6), (out.get(d.source.slice(6)) ?? 0) + d.volume);
  }
  return out;
}

const round1 = (v: number): number => Math.round(v * 10) / 10;
