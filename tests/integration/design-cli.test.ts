import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { recipeKeys } from '../../src/domain/index.ts';
import { toCsv } from '../../src/store/csv.ts';
import { DEFAULT_CAMPAIGN_FILE, defaultSpec } from '../helpers/default-spec.ts';
import { syntheticLandscape, uniformObservations } from '../helpers/generative-fixtures.ts';

const root = path.resolve(import.meta.dirname, '../..');
const labloop = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(root, 'bin/labloop.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000, env: { ...process.env, LABLOOP_TF_BACKEND: 'wasm' } });

describe('labloop design', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'labloop-design-cli-'));
  const spec = defaultSpec();
  const f = syntheticLandscape(spec, { Ni: 0.5, Fe: 0.5, Co: 0, Ce: 0, Mn: 0, totalMetal: 50, complexant: 10, depositionCharge_mC_cm2: 40, annealTemperature: 200 });
  const obs = uniformObservations(spec, f, 30, 5);
  const data = path.join(dir, 'obs.csv');
  writeFileSync(data, toCsv(obs.map((o) => ({ ...o.recipe, eta10: o.objectives['eta10'] })), [...recipeKeys(spec), 'eta10']));

  it('writes candidates.csv and the plot, and prints candidates and metrics', () => {
    const out = path.join(dir, 'c.csv');
    const r = labloop('design', '--campaign', DEFAULT_CAMPAIGN_FILE, '--data', data, '--target', 'eta10 < 0.5', '-n', '5', '--model', 'prior', '--samples', '300', '--out', out, '--quiet');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/P\(target\)/);
    expect(r.stdout).toMatch(/\| prior \| 100\.0 %/);
    const lines = readFileSync(out, 'utf8').trim().split(/\r?\n/);
    expect(lines[0]).toMatch(/^rank,Ni,Fe,Co,Ce,Mn,totalMetal/);
    expect(lines).toHaveLength(6);
    expect(readFileSync(path.join(dir, 'c.svg'), 'utf8')).toContain('<svg');
  });

  it('refuses bad usage with exit code 2', () => {
    expect(labloop('design', '--campaign', DEFAULT_CAMPAIGN_FILE, '--target', 'eta10 < 0.3').status).toBe(2);
    const bad = labloop('design', '--campaign', DEFAULT_CAMPAIGN_FILE, '--data', data, '--target', 'tafel < 40');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown objective/);
    expect(labloop('design', '--campaign', DEFAULT_CAMPAIGN_FILE, '--data', data, '--target', 'eta10 < 0.3', '--model', 'gpt').status).toBe(2);
    // dry-run --prior (warm start) only makes sense for the generative agent.
    const prior = labloop('dry-run', '--prior', data, '--quiet', '--out', path.join(dir, 'x'));
    expect(prior.status).toBe(2);
    expect(prior.stderr).toMatch(/--prior needs the generative agent/);
  });
});
