import type { Stock } from '../src/domain/index.ts';

/**
 * The physical state a simulated lab shares between its instruments: stock reservoirs and the electrochemical
 * cells. The liquid-handler simulator moves liquid here; the electrochemical station reads what actually reached
 * its cell (so a short dispense changes the chemistry it measures).
 *
 * Locations: `stock:<name>`, `cell:<id>`, `waste`, `tips:<rack>`.
 */
export interface CellContents {
  /** Liquid volume in the cell, µL. */
  volume: number;
  /** Amount of each species, nmol (= µL × mM). */
  amounts: Record<string, number>;
}

interface Reservoir {
  species: string;
  concentration: number;
  volume: number;
}

export class SimulatedWorld {
  private readonly reservoirs = new Map<string, Reservoir>();
  private readonly cells = new Map<string, CellContents>();
  /** Total refilled into each stock, µL: a resumed lab adds only the refills it has not received yet. */
  private readonly refilled = new Map<string, number>();

  constructor(stocks: readonly Stock[]) {
    for (const s of stocks) this.reservoirs.set(s.name, { species: s.species, concentration: s.concentration, volume: s.volume });
  }

  stockVolume(name: string): number | undefined {
    return this.reservoirs.get(name)?.volume;
  }

  /** An operator pours `volume` µL into a stock (ADR 0113). Returns false for an unknown stock. */
  refill(name: string, volume: number): boolean {
    const r = this.reservoirs.get(name);
    if (!r) return false;
    r.volume += volume;
    this.refilled.set(name, (this.refilled.get(name) ?? 0) + volume);
    return true;
  }

  /** Everything refilled into a stock so far, µL. */
  refilledVolume(name: string): number {
    return this.refilled.get(name) ?? 0;
  }

  hasLocation(location: string): boolean {
    const [kind, name] = splitLocation(location);
    if (kind === 'stock') return this.reservoirs.has(name);
    return kind === 'cell' || kind === 'waste' || kind === 'plate';
  }

  /** Moves `volume` µL from a stock to a cell. Returns false (and changes nothing) if the stock is short. */
  move(source: string, target: string, volume: number): boolean {
    const [sKind, sName] = splitLocation(source);
    const [tKind, tName] = splitLocation(target);
    let species: string | undefined;
    let concentration = 0;
    if (sKind === 'stock') {
      const r = this.reservoirs.get(sName);
      if (!r || r.volume < volume) return false;
      r.volume -= volume;
      species = r.species;
      concentration = r.concentration;
    }
    if (tKind === 'cell') {
      const cell = this.cellContents(tName);
      cell.volume += volume;
      if (species !== undefined && species !== 'water') cell.amounts[species] = (cell.amounts[species] ?? 0) + volume * concentration;
    }
    return true;
  }

  cellContents(id: string): CellContents {
    let c = this.cells.get(id);
    if (!c) {
      c = { volume: 0, amounts: {} };
      this.cells.set(id, c);
    }
    return c;
  }

  /** Concentrations in the cell, mM. */
  cellConcentrations(id: string): Record<string, number> {
    const c = this.cellContents(id);
    const out: Record<string, number> = {};
    if (c.volume <= 0) return out;
    for (const [k, v] of Object.entries(c.amounts)) out[k] = v / c.volume;
    return out;
  }

  emptyCell(id: string): void {
    this.cells.set(id, { volume: 0, amounts: {} });
  }

  /** The physical state as plain data (a restarted simulated lab restores it: the liquid stays where it was). */
  snapshot(): WorldSnapshot {
    return {
      stocks: Object.fromEntries([...this.reservoirs].map(([name, r]) => [name, r.volume])),
      refilled: Object.fromEntries(this.refilled),
      cells: Object.fromEntries([...this.cells].map(([id, c]) => [id, { volume: c.volume, amounts: { ...c.amounts } }])),
    };
  }

  /** Restores a snapshot's stock volumes and cell contents (stocks it does not name keep their volume). */
  restore(state: unknown): boolean {
    if (!isSnapshot(state)) return false;
    for (const [name, volume] of Object.entries(state.stocks)) {
      const r = this.reservoirs.get(name);
      if (r) r.volume = volume;
    }
    this.refilled.clear();
    for (const [name, volume] of Object.entries(state.refilled ?? {})) if (typeof volume === 'number') this.refilled.set(name, volume);
    this.cells.clear();
    for (const [id, c] of Object.entries(state.cells)) this.cells.set(id, { volume: c.volume, amounts: { ...c.amounts } });
    return true;
  }
}

export interface WorldSnapshot {
  stocks: Record<string, number>;
  cells: Record<string, CellContents>;
  /** Total refilled per stock, µL (absent in snapshots written before refills were recorded). */
  refilled?: Record<string, number>;
}

function isSnapshot(x: unknown): x is WorldSnapshot {
  if (typeof x !== 'object' || x === null) return false;
  const s = x as Record<string, unknown>;
  return typeof s['stocks'] === 'object' && s['stocks'] !== null && typeof s['cells'] === 'object' && s['cells'] !== null;
}

export function splitLocation(location: string): [string, string] {
  const i = location.indexOf(':');
  return i < 0 ? [location, ''] : [location.slice(0, i), location.slice(i + 1)];
}
