import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../../..');
const FOLDERS = ['src', 'drivers', 'simulators', 'agents', 'models', 'bench'];

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name === 'results') continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...tsFiles(full));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

/** Relative module specifiers of a file: static imports and re-exports (type-only too) and dynamic import(). */
export function importsOf(source: string): string[] {
  const specs: string[] = [];
  const patterns = [/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/g, /(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g, /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const re of patterns) for (const m of source.matchAll(re)) if (m[1]?.startsWith('.')) specs.push(m[1]);
  return specs;
}

/** Strongly connected components with more than one module (or a self-import): the import cycles. */
export function cyclesOf(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const stack: string[] = [];
  const on = new Set<string>();
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(comp.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

function projectGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const folder of FOLDERS)
    for (const file of tsFiles(path.join(root, folder))) {
      const from = path.relative(root, file);
      const to = importsOf(readFileSync(file, 'utf8')).map((s) => path.relative(root, path.resolve(path.dirname(file), s)));
      graph.set(from, to);
    }
  return graph;
}

describe('import cycles', () => {
  it('finds a cycle when there is one', () => {
    const g = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(cyclesOf(g)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
    expect(importsOf("import type { X } from './x.ts';\nexport { y } from '../y.ts';\nconst z = await import('./z.ts');\nimport 'node:fs';")).toEqual(['./x.ts', '../y.ts', './z.ts']);
  });

  it('the project has none (type-only and dynamic imports included)', () => {
    const graph = projectGraph();
    expect(graph.size).toBeGreaterThan(200);
    expect(cyclesOf(graph)).toEqual([]);
  });
});
