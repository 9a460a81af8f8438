/**
 * The options of `labloop bench` as the harness reads them: the contract between the CLI (src/cli/bench-command.ts,
 * which parses them) and the harness (which uses them), so neither imports the other for its types.
 */
export interface BenchFlags {
  pool?: string;
  spec?: string;
  inputs?: string[];
  objective?: string;
  minimize?: boolean;
  maximize?: boolean;
  simplex?: string[][];
  categorical?: string[];
  replicates?: 'mean-distinct' | 'mean' | 'none';
  top?: number;
  init?: number;
  q?: number[];
  seeds?: number;
  seedBase?: number;
  budget?: number;
  stopAt?: number;
  /** How agent arms' proposals become pool rows: chosen from the pool as their library (default, ADR 0122) or snapped. */
  agentSelect?: 'snap' | 'library';
  arms?: string[];
  liang?: boolean;
  problems?: string[];
  noise?: number[];
  sizes?: number[];
  reps?: number;
  workers?: number;
  json?: string;
  datasets?: string;
  traces?: boolean;
  quiet?: boolean;
  /** Folder for the JSON and Markdown reports (default `bench-results` in the working directory). */
  out?: string;
}
