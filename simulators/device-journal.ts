import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
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

/**
 * The simulated world's physical state (stock volumes, cell contents) kept beside the journals, rewritten atomically
 * after every finished command, so a restarted simulated lab finds the liquid where its devices left it.
 */
export class WorldStateFile {
  private readonly file: string;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.file = path.join(dir, 'world.json');
  }

  read(): unknown {
    if (!existsSync(this.file)) return undefined;
    try {
      return JSON.parse(readFileSync(this.file, 'utf8')) as unknown;
    } catch {
      return undefined;
    }
  }

  /** What this process last wrote: a state that did not change is not written again (most commands move no liquid). */
  private last: string | undefined;

  write(state: unknown): void {
    const text = JSON.stringify(state);
    if (text === this.last) return;
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, this.file);
    this.last = text;
  }
}
