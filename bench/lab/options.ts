import { parseArgs } from 'node:util';
import { ArmError, parseArm, type LabArm } from './arms.ts';

/** Command-line options of bench:lab (see bench/lab.ts for the usage text). */
export interface LabBenchOptions {
  campaign?: string;
  arms: LabArm[];
  baseline?: string;
  seeds: number[];
  landscapeSeeds: number[];
  trials: number;
  stations: number;
  transport: 'twin' | 'sim';
  faultRate: number;
  workers: number;
  out: string;
  name: string;
  calibration: { uniform: number; near: number };
  timeoutMinutes: number;
  quiet: boolean;
}

export const LAB_USAGE = `Usage: npm run bench:lab -- [options]
  --campaign <file>          campaign file (default examples/oer-screen.yaml)
  --arms <a,b,…>             arms (default default,random,sobol): default | an agent name (random, sobol, …) |
                             name:key=value,… (strategy overrides, dotted keys for nested options) | a JSON arm
  --arm <spec>               one more arm (repeatable; use it for JSON arms)
  --baseline <arm>           arm the others are compared with (default: the first)
  --seeds <list>             seeds, e.g. 1-10 or 1,3,5-8 (default 1-10)
  --landscape-seeds <list>   hidden landscapes (default 2026, the canonical one)
  --trials <n>               trials per campaign (default 96)
  --stations <n>             station pairs (default 4)
  --transport <twin|sim>     twin: real drivers over MQTT and OPC UA (default); sim: in-process simulators
  --fault-rate <p>           injected device faults per operation (default 0)
  --workers <n>              child processes (default 2; 0 = in this process)
  --out <dir>                output folder (default out/bench-lab)
  --name <name>              base name of the output files (default lab)
  --calibration <u,n>        recipes the final model is judged on: uniform, near the optimum (default 400,100)
  --timeout <minutes>        per run (default 30)
  --quiet                    no progress on stderr`;

export class LabUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BenchUsageError';
  }
}

/** "1-10", "1,3,5-8" → seeds. */
export function parseSeedList(text: string, what: string): number[] {
  const out: number[] = [];
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new LabUsageError(`${what}: "${part}" is not a number or a range a-b`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new LabUsageError(`${what}: range ${part} runs backwards`);
    for (let s = a; s <= b; s++) if (!out.includes(s)) out.push(s);
  }
  if (out.length === 0) throw new LabUsageError(`${what}: no seeds`);
  return out;
}

/**
 * Splits an `--arms` list at commas, keeping an arm's overrides together: a piece of the form key=value (no name
 * before a colon) belongs to the arm before it, so `default,ucb16:ucbBeta=16,kernel=rbf,random` is three arms.
 */
export function splitArms(text: string): string[] {
  const out: string[] = [];
  for (const piece of text.split(',')) {
    const p = piece.trim();
    if (p === '') continue;
    const eq = p.indexOf('=');
    const colon = p.indexOf(':');
    const prev = out.length - 1;
    if (eq > 0 && (colon < 0 || colon > eq) && prev >= 0 && (out[prev] as string).includes(':')) out[prev] = `${out[prev]},${p}`;
    else out.push(p);
  }
  return out;
}

function int(text: string | undefined, what: string, min: number, fallback: number): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!Number.isInteger(v) || v < min) throw new LabUsageError(`${what} must be an integer ≥ ${min}, not "${text}"`);
  return v;
}

export function parseLabOptions(argv: string[]): LabBenchOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        campaign: { type: 'string' },
        arms: { type: 'string' },
        arm: { type: 'string', multiple: true },
        baseline: { type: 'string' },
        seeds: { type: 'string' },
        'landscape-seeds': { type: 'string' },
        trials: { type: 'string' },
        stations: { type: 'string' },
        transport: { type: 'string' },
        'fault-rate': { type: 'string' },
        workers: { type: 'string' },
        out: { type: 'string' },
        name: { type: 'string' },
        calibration: { type: 'string' },
        timeout: { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new LabUsageError((e as Error).message);
  }
  if (values.help) return 'help';
  const armTexts = [...(values.arms !== undefined ? splitArms(values.arms) : values.arm ? [] : ['default', 'random', 'sobol']), ...(values.arm ?? [])];
  let arms: LabArm[];
  try {
    arms = armTexts.map(parseArm);
  } catch (e) {
    if (e instanceof ArmError) throw new LabUsageError(e.message);
    throw e;
  }
  const names = arms.map((a) => a.name);
  const dup = names.find((nm, i) => names.indexOf(nm) !== i);
  if (dup) throw new LabUsageError(`arm "${dup}" is given twice`);
  if (values.baseline !== undefined && !names.includes(values.baseline)) throw new LabUsageError(`--baseline ${values.baseline} is not one of the arms (${names.join(', ')})`);
  const transport = values.transport ?? 'twin';
  if (transport !== 'twin' && transport !== 'sim') throw new LabUsageError(`--transport must be twin or sim, not "${transport}"`);
  const faultRate = values['fault-rate'] === undefined ? 0 : Number(values['fault-rate']);
  if (!(faultRate >= 0 && faultRate <= 1)) throw new LabUsageError(`--fault-rate must be in [0, 1], not "${values['fault-rate']}"`);
  const cal = (values.calibration ?? '400,100').split(',').map((s) => Number(s.trim()));
  if (cal.length !== 2 || cal.some((v) => !Number.isInteger(v) || v < 0)) throw new LabUsageError(`--calibration must be two non-negative integers u,n, not "${values.calibration}"`);
  const timeout = values.timeout === undefined ? 30 : Number(values.timeout);
  if (!(timeout > 0)) throw new LabUsageError(`--timeout must be a positive number of minutes, not "${values.timeout}"`);
  return {
    ...(values.campaign !== undefined ? { campaign: values.campaign } : {}),
    arms,
    ...(values.baseline !== undefined ? { baseline: values.baseline } : {}),
    seeds: parseSeedList(values.seeds ?? '1-10', '--seeds'),
    landscapeSeeds: parseSeedList(values['landscape-seeds'] ?? '2026', '--landscape-seeds'),
    trials: int(values.trials, '--trials', 1, 96),
    stations: int(values.stations, '--stations', 1, 4),
    transport,
    faultRate,
    workers: int(values.workers, '--workers', 0, 2),
    out: values.out ?? 'out/bench-lab',
    name: values.name ?? 'lab',
    calibration: { uniform: cal[0] as number, near: cal[1] as number },
    timeoutMinutes: timeout,
    quiet: values.quiet ?? false,
  };
}
