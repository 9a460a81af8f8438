import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WorldStateFile } from '../../../simulators/device-journal.ts';

describe('WorldStateFile', () => {
  const dirs: string[] = [];
  const folder = (): string => {
    const d = mkdtempSync(path.join(tmpdir(), 'world-state-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('reads back the last state written, by a new instance as after a restart, and skips unchanged states', () => {
    const dir = folder();
    const w = new WorldStateFile(dir);
    expect(w.read()).toBeUndefined();
    w.write({ water: 100 });
    w.write({ water: 90 });
    w.write({ water: 90 });
    expect(readFileSync(path.join(dir, 'world.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    expect(new WorldStateFile(dir).read()).toEqual({ water: 90 });
  });

  it('ignores a torn last line (a kill mid-write): the state before it is read', () => {
    const dir = folder();
    new WorldStateFile(dir).write({ water: 80 });
    appendFileSync(path.join(dir, 'world.jsonl'), '{"water":7');
    expect(new WorldStateFile(dir).read()).toEqual({ water: 80 });
  });

  it('reads a folder written before the log (world.json) and moves on to the log', () => {
    const dir = folder();
    writeFileSync(path.join(dir, 'world.json'), JSON.stringify({ water: 60 }));
    const w = new WorldStateFile(dir);
    expect(w.read()).toEqual({ water: 60 });
    w.write({ water: 50 });
    expect(new WorldStateFile(dir).read()).toEqual({ water: 50 });
  });

  it('replaces a log past 1 MiB by its last line', () => {
    const dir = folder();
    const w = new WorldStateFile(dir);
    const pad = 'x'.repeat(1000);
    for (let i = 0; i < 1100; i++) w.write({ i, pad });
    expect(statSync(path.join(dir, 'world.jsonl')).size).toBeLessThan(1 << 20);
    expect(new WorldStateFile(dir).read()).toEqual({ i: 1099, pad });
  });
});
