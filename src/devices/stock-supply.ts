import type { StockDraw } from './sample-preparation.ts';

/**
 * Stock solutions as a supply (ADR 0113): whether the stocks can supply a sample right now, the reason a campaign
 * pauses for a refill, and the early warning before a stock runs out (whether a failure is a stock running out:
 * `shortStocks` in src/domain/failure.ts).
 * Pure: volumes come in through callbacks (the liquid handler's tracked usable volumes). Volumes in µL; stocks by
 * name (`Stock.name`, the deck location without its `stock:` prefix).
 */

/** A stock that cannot supply what a sample needs. */
export interface StockShortage {
  stock: string;
  /** Usable now (tracked, above the dead volume, after reservations and earmarks). */
  usable_uL: number;
  needed_uL: number;
}

/** A sample's draws summed per stock (a stock drawn in several moves counts once). */
export function drawsByStock(draws: readonly StockDraw[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const d of draws) out.set(d.stock, (out.get(d.stock) ?? 0) + d.volume);
  return out;
}

/** The stocks that cannot supply `draws`, given each stock's usable volume; empty when every stock can. */
export function stockShortages(draws: readonly StockDraw[], usable: (stock: string) => number): StockShortage[] {
  const out: StockShortage[] = [];
  for (const [stock, needed] of drawsByStock(draws)) {
    const left = usable(stock);
    if (needed > left + 1e-6) out.push({ stock, usable_uL: Math.max(0, left), needed_uL: needed });
  }
  return out;
}

/** The pause reason operators see, e.g. `STOCK_LOW: stock:complexant holds 120 µL usable, 250 µL needed; refill it and resume`. */
export function stockLowReason(shortages: readonly StockShortage[]): string {
  const parts = shortages.map((s) => `stock:${s.stock} holds ${round(s.usable_uL)} µL usable, ${round(s.needed_uL)} µL needed`);
  return `STOCK_LOW: ${parts.join('; ')}; refill ${shortages.length === 1 ? 'it' : 'them'} and resume`;
}

/** A stock about to run out: usable now, the recent mean draw per sample and the samples that leaves. */
export interface StockWarning {
  stock: string;
  usable_uL: number;
  meanDraw_uL: number;
  samplesLeft: number;
}

export interface StockWatchOptions {
  /** Warn when a stock holds less than this many samples' mean draw. Default 8. */
  horizon: number;
  /** Samples the mean draw is taken over (the most recent). Default 16. */
  window: number;
}

/**
 * The early warning: from the draws of the most recent samples (a sample that does not use a stock draws 0 of it),
 * a stock whose usable volume falls below `horizon` samples' mean draw is reported once; it is reported again only
 * after it rose above the threshold (a refill) and fell below it anew.
 */
export class StockWatch {
  private readonly recent: Map<string, number>[] = [];
  private readonly warned = new Set<string>();
  readonly options: StockWatchOptions;

  constructor(options: Partial<StockWatchOptions> = {}) {
    this.options = { horizon: 8, window: 16, ...options };
  }

  /** Records one sample's draws, per stock. */
  record(draws: ReadonlyMap<string, number>): void {
    this.recent.push(new Map(draws));
    if (this.recent.length > this.options.window) this.recent.shift();
  }

  /** Mean draw of a stock per recent sample, µL (0 before any sample). */
  meanDraw(stock: string): number {
    if (this.recent.length === 0) return 0;
    let sum = 0;
    for (const d of this.recent) sum += d.get(stock) ?? 0;
    return sum / this.recent.length;
  }

  /** The stocks that just crossed below the threshold (each once per crossing). */
  check(stocks: readonly string[], usable: (stock: string) => number): StockWarning[] {
    const out: StockWarning[] = [];
    for (const stock of stocks) {
      const mean = this.meanDraw(stock);
      if (mean <= 0) continue;
      const left = Math.max(0, usable(stock));
      if (left >= this.options.horizon * mean) {
        this.warned.delete(stock);
        continue;
      }
      if (this.warned.has(stock)) continue;
      this.warned.add(stock);
      out.push({ stock, usable_uL: left, meanDraw_uL: mean, samplesLeft: Math.floor(left / mean) });
    }
    return out;
  }
}

function round(v: number): string {
  return v >= 10 ? v.toFixed(0) : v.toFixed(1);
}
