import { z } from 'zod';
import type { Stock } from '../domain/index.ts';

/**
 * Labware on a liquid handler's deck and the locations that address it:
 * - reservoirs of stock solutions, `stock:<name>` (species, concentration mM, volume µL, dead volume µL);
 * - electrochemical cells, `cell:<id>` (capacity, dead volume);
 * - well plates, `plate:<plate>/<well>` (e.g. `plate:p1/B7`; rows A.., columns 1..);
 * - tip racks, `tips:<rack>` (a count of tips of one size);
 * - `waste`.
 * Volumes in µL, concentrations in mM.
 */

const labwareId = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_-]*$/, 'letters, digits, _ and -');

/** The dead volume a reservoir keeps by default: liquid the pipette cannot reach. */
export const DEFAULT_RESERVOIR_DEAD_VOLUME = 500;
/** Capacity of a cell that is not declared on the deck (the simulated cells hold 5 mL). */
export const DEFAULT_CELL_CAPACITY = 5000;

export const reservoirSchema = z.object({
  name: labwareId,
  species: z.string().min(1),
  concentration: z.number().positive(),
  volume: z.number().nonnegative(),
  capacity: z.number().positive().optional(),
  deadVolume: z.number().nonnegative().default(DEFAULT_RESERVOIR_DEAD_VOLUME),
});
export const cellSchema = z.object({
  id: labwareId,
  capacity: z.number().positive().default(DEFAULT_CELL_CAPACITY),
  deadVolume: z.number().nonnegative().default(0),
});
export const plateSchema = z.object({
  id: labwareId,
  rows: z.number().int().min(1).max(32),
  columns: z.number().int().min(1).max(48),
  wellCapacity: z.number().positive(),
  deadVolume: z.number().nonnegative().default(10),
});
export const tipRackSchema = z.object({
  id: labwareId,
  tips: z.number().int().nonnegative(),
  /** Largest volume a tip holds, µL. */
  tipVolume: z.number().positive().default(1000),
});
export const deckSchema = z.object({
  reservoirs: z.array(reservoirSchema).default([]),
  cells: z.array(cellSchema).default([]),
  plates: z.array(plateSchema).default([]),
  /** Tip racks, used in order. None declared: tips are not counted (the instrument feeds them). */
  tipRacks: z.array(tipRackSchema).default([]),
  /** Accept `cell:<id>` locations that are not declared (with the default capacity). Default true. */
  openCells: z.boolean().default(true),
});
export type ReservoirSpec = z.infer<typeof reservoirSchema>;
export type CellSpec = z.infer<typeof cellSchema>;
export type PlateSpec = z.infer<typeof plateSchema>;
export type TipRackSpec = z.infer<typeof tipRackSchema>;
export type DeckSpec = z.infer<typeof deckSchema>;
export type DeckInput = z.input<typeof deckSchema>;

/** What a location is: where liquid can come from or go to, how much it holds and how much stays behind. */
export type LocationInfo =
  | { kind: 'reservoir'; location: string; species: string; concentration: number; capacity: number; deadVolume: number; initialVolume: number }
  | { kind: 'cell' | 'well'; location: string; capacity: number; deadVolume: number; initialVolume: 0 }
  | { kind: 'waste'; location: 'waste'; capacity: number; deadVolume: 0; initialVolume: 0 }
  | { kind: 'tipRack'; location: string; tips: number; tipVolume: number };

const WELL = /^([A-Z]{1,2})([1-9][0-9]?)$/;

function rowIndex(letters: string): number {
  return letters.length === 1 ? letters.charCodeAt(0) - 65 : (letters.charCodeAt(0) - 64) * 26 + letters.charCodeAt(1) - 65;
}

/** The deck: labware by location. Built from a zod-validated spec; refuses duplicates with the location's name. */
export class Deck {
  readonly spec: DeckSpec;
  private readonly locations = new Map<string, LocationInfo>();

  constructor(input: DeckInput) {
    this.spec = deckSchema.parse(input);
    const add = (info: LocationInfo): void => {
      if (this.locations.has(info.location)) throw new Error(`deck: ${info.location} is declared twice`);
      this.locations.set(info.location, info);
    };
    for (const r of this.spec.reservoirs) {
      const capacity = r.capacity ?? Math.max(r.volume, 1);
      if (r.volume > capacity) throw new Error(`deck: stock:${r.name} holds ${r.volume} µL, more than its capacity ${capacity} µL`);
      add({ kind: 'reservoir', location: `stock:${r.name}`, species: r.species, concentration: r.concentration, capacity, deadVolume: r.deadVolume, initialVolume: r.volume });
    }
    for (const c of this.spec.cells) add({ kind: 'cell', location: `cell:${c.id}`, capacity: c.capacity, deadVolume: c.deadVolume, initialVolume: 0 });
    for (const t of this.spec.tipRacks) add({ kind: 'tipRack', location: `tips:${t.id}`, tips: t.tips, tipVolume: t.tipVolume });
    const plateIds = new Set<string>();
    for (const p of this.spec.plates) {
      if (plateIds.has(p.id)) throw new Error(`deck: plate ${p.id} is declared twice`);
      plateIds.add(p.id);
    }
  }

  /** A deck with one reservoir per stock solution (each keeping `deadVolume`), and open cells. */
  static fromStocks(stocks: readonly Stock[], options: { deadVolume?: number; cells?: readonly string[]; tipRacks?: readonly { id: string; tips: number }[] } = {}): Deck {
    return new Deck({
      reservoirs: stocks.map((s) => ({ name: s.name, species: s.species, concentration: s.concentration, volume: s.volume, deadVolume: options.deadVolume ?? DEFAULT_RESERVOIR_DEAD_VOLUME })),
      cells: (options.cells ?? []).map((id) => ({ id })),
      tipRacks: (options.tipRacks ?? []).map((t) => ({ id: t.id, tips: t.tips })),
    });
  }

  /** What a location is, or undefined when the deck has nothing there. */
  resolve(location: string): LocationInfo | undefined {
    const known = this.locations.get(location);
    if (known) return known;
    if (location === 'waste') return { kind: 'waste', location: 'waste', capacity: Number.POSITIVE_INFINITY, deadVolume: 0, initialVolume: 0 };
    if (location.startsWith('cell:') && location.length > 5 && this.spec.openCells)
      return { kind: 'cell', location, capacity: DEFAULT_CELL_CAPACITY, deadVolume: 0, initialVolume: 0 };
    if (location.startsWith('plate:')) return this.resolveWell(location);
    return undefined;
  }

  /** The reservoir that supplies a species (the first declared). */
  reservoirFor(species: string): Extract<LocationInfo, { kind: 'reservoir' }> | undefined {
    for (const info of this.locations.values()) if (info.kind === 'reservoir' && info.species === species) return info;
    return undefined;
  }

  reservoirs(): Extract<LocationInfo, { kind: 'reservoir' }>[] {
    return [...this.locations.values()].filter((i): i is Extract<LocationInfo, { kind: 'reservoir' }> => i.kind === 'reservoir');
  }

  tipRacks(): Extract<LocationInfo, { kind: 'tipRack' }>[] {
    return [...this.locations.values()].filter((i): i is Extract<LocationInfo, { kind: 'tipRack' }> => i.kind === 'tipRack');
  }

  private resolveWell(location: string): LocationInfo | undefined {
    const rest = location.slice('plate:'.length);
    const slash = rest.indexOf('/');
    if (slash < 0) return undefined;
    const plate = this.spec.plates.find((p) => p.id === rest.slice(0, slash));
    const m = WELL.exec(rest.slice(slash + 1));
    if (!plate || !m) return undefined;
    const row = rowIndex(m[1] as string);
    const column = Number(m[2]);
    if (row >= plate.rows || column < 1 || column > plate.columns) return undefined;
    return { kind: 'well', location, capacity: plate.wellCapacity, deadVolume: plate.deadVolume, initialVolume: 0 };
  }
}
