import { describe, expect, it } from 'vitest';
import { isCompiledModule, repositoryRoot, workerBootScript } from '../../../src/domain/index.ts';

describe('source layout', () => {
  it('finds the repository root from a source module and from its compiled copy under dist/', () => {
    expect(repositoryRoot('file:///repo/src/store/migrations.ts', 2).href).toBe('file:///repo/');
    expect(repositoryRoot('file:///repo/dist/src/store/migrations.js', 2).href).toBe('file:///repo/');
    expect(isCompiledModule('file:///repo/dist/src/x.js')).toBe(true);
    expect(isCompiledModule('file:///repo/src/x.ts')).toBe(false);
  });

  it('boots a worker through tsx from source and straight from the compiled sibling', () => {
    const fromSource = workerBootScript('file:///repo/src/app/a.ts', './w.ts', 'file:///tsx/api.mjs', 'return m.go(workerData);', '{ failed: String(e) }');
    expect(fromSource).toContain('import("file:///tsx/api.mjs")');
    expect(fromSource).toContain('import("file:///repo/src/app/w.ts")');
    const compiled = workerBootScript('file:///repo/dist/src/app/a.js', './w.ts', 'file:///tsx/api.mjs', 'return m.go(workerData);', '{ failed: String(e) }');
    expect(compiled).not.toContain('tsx');
    expect(compiled).toContain('import("file:///repo/dist/src/app/w.js")');
    expect(compiled).toContain('return m.go(workerData);');
  });
});
