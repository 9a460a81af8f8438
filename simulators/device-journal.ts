import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A simulated instrument's own durable record of the commands it executed, as a real instrument keeps a run log:
 * one JSON line per event, appended synchronously (so a `kill -9` of the process loses nothing the device did).
 * `accepted` is written when a command starts executing, `done` with its result when it ends. A restarted twin
 * reloads it: a command with a result is de-duplicated (the stored result is replayed, nothing runs), a command
 * accepted without a result had an unknown fate (the device was cut off mid-run), and a command the journal never saw
 * was never received. `labloop audit` counts `accepted` lines per commandId: every commandId at most once.
 */
export interface JournalEntry {
  commandId: string;
  /** What the command was (the device's fingerprint: a repeated id with another command is refused). */
  fingerprint: string;
  /** Set once the command ended. */
  result?: unknown;
}

interface JournalLine {
  c: string;
  e: 'accepted' | 'done';
  f?: string;
  r?: unknown;
}

export class DeviceJournal {
  private readonly file: string;
  private readonly loaded = new Map<string, JournalEntry>();

  constructor(
    readonly dir: string,
    readonly deviceId: string,
    /** Called just before a `done` line is written (the simulated lab saves its world state there first). */
    private readonly beforeDone?: () => void,
  ) {
    mkdirSync(dir, { recursive: true });
    this.file = path.join(dir, `${deviceId}.jsonl`);
    for (const line of readJournalLines(this.file)) {
      if (line.e === 'accepted') this.loaded.set(line.c, { commandId: line.c, fingerprint: line.f ?? '' });
      else {
        const known = this.loaded.get(line.c);
        this.loaded.set(line.c, { commandId: line.c, fingerprint: known?.fingerprint ?? line.f ?? '', result: line.r });
      }
    }
  }

  /** Commands of earlier lives of this device, in the order they were accepted. */
  entries(): JournalEntry[] {
    return [...this.loaded.values()];
  }

  /** A command's entry, read back from the file (for a result no longer kept in memory); undefined when never seen. */
  find(commandId: string): JournalEntry | undefined {
    let entry: JournalEntry | undefined;
    for (const line of readJournalLines(this.file)) {
      if (line.c !== commandId) continue;
      entry = line.e === 'accepted' ? { commandId, fingerprint: line.f ?? '' } : { commandId, fingerprint: entry?.fingerprint ?? line.f ?? '', result: line.r };
    }
    return entry;
  }

  accepted(commandId: string, fingerprint: string): void {
    this.append({ c: commandId, e: 'accepted', f: fingerprint });
  }

  done(commandId: string, result: unknown): void {
    this.beforeDone?.();
    this.append({ c: commandId, e: 'done', r: result });
  }

  private append(line: JournalLine): void {
    appendFileSync(this.file, `${JSON.stringify(line)}\n`);
  }
}

/** Executions per commandId over every device journal in `dir` (`accepted` lines): what `labloop audit` checks. */
export function journalExecutions(dir: string): Map<string, { count: number; devices: string[] }> {
  const out = new Map<string, { count: number; devices: string[] }>();
  if (!existsSync(dir)) return out;
  for (const name of readdirJsonl(dir)) {
    const device = name.replace(/\.jsonl$/, '');
    for (const line of readJournalLines(path.join(dir, name))) {
      if (line.e !== 'accepted') continue;
      const e = out.get(line.c) ?? { count: 0, devices: [] };
      e.count++;
      e.devices.push(device);
      out.set(line.c, e);
    }
  }
  return out;
}

/** CommandIds with a stored result, over every device journal in `dir`. */
export function journalResults(dir: string): Set<string> {
  const out = new Set<string>();
  if (!existsSync(dir)) return out;
  for (const name of readdirJsonl(dir)) for (const line of readJournalLines(path.join(dir, name))) if (line.e === 'done') out.add(line.c);
  return out;
}

function readdirJsonl(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith('.jsonl'))
    .sort();
}

function readJournalLines(file: string): JournalLine[] {
  if (!existsSync(file)) return [];
  const out: JournalLine[] = [];
  for (const text of readFileSync(file, 'utf8').split('\n')) {
    if (!text) continue;
    try {
      const line = JSON.parse(text) as JournalLine;
      if (typeof line.c === 'string' && (line.e === 'accepted' || line.e === 'done')) out.push(line);
    } catch {
      // A torn last line (the process died mid-write): the command's fate is whatever the lines before say.
    }
  }
  return out;
}

/** Size at which the world-state log is rewritten as its last line alone. */
const WORLD_LOG_COMPACT_BYTES = 1 << 20;

/**
 * The simulated world's physical state (stock volumes, cell contents) kept beside the journals, so a restarted
 * simulated lab finds the liquid where its devices left it. Each change is appended as one JSON line to
 * `world.jsonl` before the `done` line of the command that made it (an append costs about a tenth of rewriting a
 * file and renaming it over the old one); the last whole line is the state, a torn last line (the process died
 * mid-write) is ignored, so the state read back is the one before that command. Past 1 MiB the log is replaced
 * atomically by its last line. A folder written before the log existed has `world.json` (one JSON object): read
 * when there is no log.
 */
export class WorldStateFile {
  private readonly file: string;
  private readonly legacyFile: string;
  private size: number;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.file = path.join(dir, 'world.jsonl');
    this.legacyFile = path.join(dir, 'world.json');
    this.size = existsSync(this.file) ? statSync(this.file).size : 0;
  }

  read(): unknown {
    const file = existsSync(this.file) ? this.file : this.legacyFile;
    if (!existsSync(file)) return undefined;
    const lines = readFileSync(file, 'utf8').split('\n');
    for (let i = lines.length - 1; i >= 0; i--) {
      const text = lines[i];
      if (!text) continue;
      try {
        return JSON.parse(text) as unknown;
      } catch {
        // a torn line: the one before it holds the state
      }
    }
    return undefined;
  }

  /** What this process last wrote: a state that did not change is not written again (most commands move no liquid). */
  private last: string | undefined;

  write(state: unknown): void {
    const text = JSON.stringify(state);
    if (text === this.last) return;
    const line = `${text}\n`;
    if (this.size + Buffer.byteLength(line) > WORLD_LOG_COMPACT_BYTES) {
      const tmp = `${this.file}.tmp`;
      writeFileSync(tmp, line);
      renameSync(tmp, this.file);
      this.size = Buffer.byteLength(line);
    } else {
      appendFileSync(this.file, line);
      this.size += Buffer.byteLength(line);
    }
    this.last = text;
  }
}
