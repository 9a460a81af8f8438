import { readFileSync } from 'node:fs';
import {
  METALS,
  exchangeCurrent,
  type FilmProperties,
  type FilmSample,
  type LandscapeOutcome,
  type Metal,
  type ResponseLandscape,
} from './landscape.ts';

/** How a CSV pool maps onto film samples. */
export interface CsvPoolOptions {
  /** Sample coordinate → CSV column. Coordinates: a metal (`Ni`…`Mn`, its fraction) or a FilmSample number field. */
  inputs: Partial<Record<Metal | 'totalMetal' | 'complexant' | 'depositionCharge_mC_cm2' | 'annealTemperature', string>>;
  /** Column holding η at 10 mA/cm² (or any overpotential), V. */
  objective: string;
  /** Column holding the Tafel slope (mV/dec), if the pool has one; otherwise `tafel_mV_dec` is used. */
  tafelColumn?: string;
  /** Tafel slope given to every film when the pool has none, mV/dec. */
  tafel_mV_dec?: number;
  /** Scale of each coordinate in the distance (default 1 for fractions, the column's range for other fields). */
  scales?: Partial<Record<string, number>>;
  id?: string;
}

interface Row {
  coords: number[];
  eta: number;
  tafel: number;
}

/**
 * A landscape backed by a table of real measurements: a sample takes the objective of the nearest row (Euclidean
 * distance over the mapped coordinates, each divided by its scale). Lets a dry run replay a real screen, e.g. the
 * Caltech OER plates in ../shared/datasets. Films never fail; secondary properties take typical values.
 */
export class CsvPoolLandscape implements ResponseLandscape {
  readonly id: string;
  readonly version: string;
  private readonly keys: string[];
  private readonly scales: number[];
  private readonly rows: Row[];

  constructor(csvText: string, options: CsvPoolOptions) {
    const table = parseNumericCsv(csvText);
    this.keys = Object.keys(options.inputs);
    if (this.keys.length === 0) throw new Error('CsvPoolLandscape: no input columns mapped');
    const col = (name: string): number[] => {
      const i = table.header.indexOf(name);
      if (i < 0) throw new Error(`CsvPoolLandscape: column "${name}" not in ${table.header.join(', ')}`);
      return table.rows.map((r) => r[i] ?? Number.NaN);
    };
    const inputCols = this.keys.map((k) => col(options.inputs[k as keyof CsvPoolOptions['inputs']] as string));
    const eta = col(options.objective);
    const tafel = options.tafelColumn ? col(options.tafelColumn) : undefined;
    this.scales = this.keys.map((k, i) => {
      const given = options.scales?.[k];
      if (given !== undefined) return given;
      if ((METALS as readonly string[]).includes(k)) return 1;
      const c = inputCols[i] ?? [];
      const range = Math.max(...c) - Math.min(...c);
      return range > 0 ? range : 1;
    });
    this.rows = [];
    for (let r = 0; r < table.rows.length; r++) {
      const coords = inputCols.map((c) => c[r] ?? Number.NaN);
      const e = eta[r] ?? Number.NaN;
      if (!Number.isFinite(e) || coords.some((v) => !Number.isFinite(v))) continue;
      this.rows.push({ coords, eta: e, tafel: tafel?.[r] ?? options.tafel_mV_dec ?? 45 });
    }
    if (this.rows.length === 0) throw new Error('CsvPoolLandscape: no complete rows');
    this.id = options.id ?? 'csv-pool';
    this.version = `csv-pool/1:${this.rows.length}`;
  }

  static fromFile(path: string, options: CsvPoolOptions): CsvPoolLandscape {
    return new CsvPoolLandscape(readFileSync(path, 'utf8'), options);
  }

  get size(): number {
    return this.rows.length;
  }

  /** Index of the nearest row and its objective value. */
  nearest(sample: FilmSample): { index: number; eta10_V: number; distance: number } {
    const q = this.keys.map((k) => coordinate(sample, k));
    let best = 0;
    let bestD = Number.POSITIVE_INFINITY;
    this.rows.forEach((row, i) => {
      let d = 0;
      for (let j = 0; j < q.length; j++) d += (((q[j] ?? 0) - (row.coords[j] ?? 0)) / (this.scales[j] ?? 1)) ** 2;
      if (d < bestD) {
        bestD = d;
        best = i;
      }
    });
    return { index: best, eta10_V: (this.rows[best] as Row).eta, distance: Math.sqrt(bestD) };
  }

  evaluate(sample: FilmSample): LandscapeOutcome {
    const { index } = this.nearest(sample);
    const row = this.rows[index] as Row;
    const q = Math.max(0.1, sample.depositionCharge_mC_cm2);
    const film: FilmProperties = {
      eta10_V: row.eta,
      tafel_mV_dec: row.tafel,
      j0_A_cm2: exchangeCurrent(row.eta, row.tafel),
      cdl_F_cm2: 4e-5 + q * 1.2e-5,
      niRedoxCharge_mC_cm2: 0.25 * q * sample.fractions.Ni,
      niRedoxPotential_V_RHE: 1.4,
      filmResistance_ohm: 0.3,
      bubbleOnset_mA_cm2: 30,
      stabilityDrift_mV_h: 10,
    };
    return { film };
  }
}

function coordinate(sample: FilmSample, key: string): number {
  if ((METALS as readonly string[]).includes(key)) return sample.fractions[key as Metal];
  const v = (sample as unknown as Record<string, unknown>)[key];
  return typeof v === 'number' ? v : Number.NaN;
}

/** Minimal CSV reader for numeric tables (header row, comma separated, no quoted commas). */
export function parseNumericCsv(text: string): { header: string[]; rows: number[][] } {
  const lines = text.split(/\r?\n/).filter((l) => l.trim().length > 0);
  const headerLine = lines.shift();
  if (headerLine === undefined) throw new Error('empty CSV');
  const header = headerLine.split(',').map((h) => h.trim().replace(/^"|"$/g, ''));
  const rows = lines.map((l) => l.split(',').map((v) => Number(v.trim().replace(/^"|"$/g, ''))));
  return { header, rows };
}
