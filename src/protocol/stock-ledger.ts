import type { LabDocument } from './documents.ts';

/** What a campaign's `stock` documents say about its stock solutions (ADR 0113), µL per stock name. */
export interface StockLedger {
  /** Drawn by the liquid handlers, summed over every recorded run. */
  used_uL: Record<string, number>;
  /** Added by refills. */
  refilled_uL: Record<string, number>;
  /** Number of refills. */
  refills: Record<string, number>;
}

export function emptyStockLedger(): StockLedger {
  return { used_uL: {}, refilled_uL: {}, refills: {} };
}

/** Adds one document to the ledger (documents of other types and `low` warnings change nothing). */
export function addToStockLedger(ledger: StockLedger, doc: LabDocument): void {
  if (doc.type !== 'stock') return;
  const p = doc.payload;
  if (p.kind === 'use') {
    for (const [stock, v] of Object.entries(p.drawn_uL)) ledger.used_uL[stock] = (ledger.used_uL[stock] ?? 0) + v;
  } else if (p.kind === 'refill') {
    ledger.refilled_uL[p.stock] = (ledger.refilled_uL[p.stock] ?? 0) + p.volume_uL;
    ledger.refills[p.stock] = (ledger.refills[p.stock] ?? 0) + 1;
  }
}

/** The ledger of a campaign's documents, in order. */
export function stockLedger(docs: Iterable<LabDocument>): StockLedger {
  const ledger = emptyStockLedger();
  for (const doc of docs) addToStockLedger(ledger, doc);
  return ledger;
}

/** A stock's volume as the ledger has it: listed, plus refills, minus what was drawn, µL (never below 0). */
export function ledgerVolume(ledger: StockLedger, stock: { name: string; volume: number }): number {
  return Math.max(0, stock.volume + (ledger.refilled_uL[stock.name] ?? 0) - (ledger.used_uL[stock.name] ?? 0));
}
