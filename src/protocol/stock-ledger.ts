import { isStockShortage } from '../domain/index.ts';
import type { LabDocument } from './documents.ts';

/** What a campaign's `stock` documents say about its stock solutions (ADR 0113), µL per stock name. */
export interface StockLedger {
  /** Drawn by the liquid handlers, summed over every recorded run. */
  used_uL: Record<string, number>;
  /** Drawn per station, then per stock. */
  usedByStation_uL: Record<string, Record<string, number>>;
  /** Added by refills. */
  refilled_uL: Record<string, number>;
  /** Number of refills. */
  refills: Record<string, number>;
  /** The `use` document of each run (`<trialId>#<attempt>`): a run recorded twice (replayed after a crash) counts once. */
  runs: Record<string, { station: string; drawn_uL: Record<string, number> }>;
  /** Retries per trial after a stock ran out (they do not count against the trial's recovery retries). */
  supplyRetries: Record<string, number>;
  /** Trials whose latest `awaitingRecovery` was a stock running out. */
  held: Record<string, boolean>;
}

export function emptyStockLedger(): StockLedger {
  return { used_uL: {}, usedByStation_uL: {}, refilled_uL: {}, refills: {}, runs: {}, supplyRetries: {}, held: {} };
}

function addDraws(ledger: StockLedger, station: string, drawn: Record<string, number>, sign: 1 | -1): void {
  const byStation = (ledger.usedByStation_uL[station] ??= {});
  for (const [stock, v] of Object.entries(drawn)) {
    ledger.used_uL[stock] = (ledger.used_uL[stock] ?? 0) + sign * v;
    byStation[stock] = (byStation[stock] ?? 0) + sign * v;
  }
}

/** Adds one document to the ledger (trial states count the retries after a stock ran out; `low` warnings change nothing). */
export function addToStockLedger(ledger: StockLedger, doc: LabDocument): void {
  if (doc.type === 'trialState') {
    const p = doc.payload;
    if (p.to === 'awaitingRecovery') ledger.held[p.trialId] = isStockShortage(p.failure);
    else if (p.from === 'awaitingRecovery' && p.to === 'queued' && ledger.held[p.trialId]) ledger.supplyRetries[p.trialId] = (ledger.supplyRetries[p.trialId] ?? 0) + 1;
    return;
  }
  if (doc.type !== 'stock') return;
  const p = doc.payload;
  if (p.kind === 'use') {
    const key = `${p.trialId}#${p.attempt}`;
    const previous = ledger.runs[key];
    if (previous) addDraws(ledger, previous.station, previous.drawn_uL, -1);
    ledger.runs[key] = { station: p.station, drawn_uL: { ...p.drawn_uL } };
    addDraws(ledger, p.station, p.drawn_uL, 1);
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

/**
 * A stock's volume as the ledger has it: listed, plus refills, minus what was drawn (by `stations` only, when given:
 * liquid handlers with reservoirs of their own), µL, never below 0.
 */
export function ledgerVolume(ledger: StockLedger, stock: { name: string; volume: number }, stations?: readonly string[]): number {
  const used = stations ? stations.reduce((s, st) => s + (ledger.usedByStation_uL[st]?.[stock.name] ?? 0), 0) : (ledger.used_uL[stock.name] ?? 0);
  return Math.max(0, stock.volume + (ledger.refilled_uL[stock.name] ?? 0) - used);
}
