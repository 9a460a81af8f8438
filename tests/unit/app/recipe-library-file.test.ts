import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withLibraryFile } from '../../../src/app/recipe-library-file.ts';
import { parseCampaign } from '../../../src/config/index.ts';
import { campaignSpecSchema } from '../../../src/domain/index.ts';
import { defaultSpec } from '../../helpers/default-spec.ts';
import { stringify } from 'yaml';

const HEADER = 'well,Ni,Fe,Co,Ce,Mn,totalMetal,complexant,depositionCharge_mC_cm2,annealTemperature';
const ROWS = ['A1,0.6,0.25,0.15,0,0,50,10,40,200', 'A2,0.3,0.07,0.2,0.43,0,50,20,60,300', 'A3,0.5,0.5,0,0,0,30,5,20,150'];

describe('a recipe library from a CSV file (ADR 0122)', () => {
  let dir: string;
  const file = async (name: string, lines: string[]): Promise<string> => {
    const f = path.join(dir, name);
    await writeFile(f, `${lines.join('\n')}\n`);
    return f;
  };
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'labloop-library-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads one recipe per row, ignoring columns that are not parameters', async () => {
    const spec = await withLibraryFile(defaultSpec(), await file('plate.csv', [HEADER, ...ROWS]));
    expect(spec.library).toHaveLength(3);
    expect(spec.library?.[1]).toEqual({ Ni: 0.3, Fe: 0.07, Co: 0.2, Ce: 0.43, Mn: 0, totalMetal: 50, complexant: 20, depositionCharge_mC_cm2: 60, annealTemperature: 300 });
    // The spec with its library stays a valid campaign (it is what the store keeps and a resume reads back).
    expect(campaignSpecSchema.parse(spec).library).toEqual(spec.library);
  });

  it('names the row and column of a value that is not a number, out of bounds or off the simplex', async () => {
    await expect(withLibraryFile(defaultSpec(), await file('nan.csv', [HEADER, ROWS[0] as string, 'A2,0.3,x,0.2,0.43,0,50,20,60,300']))).rejects.toThrow(/row 2, Fe: "x" is not a number/);
    await expect(withLibraryFile(defaultSpec(), await file('bounds.csv', [HEADER, ROWS[0] as string, 'A2,0.3,0.07,0.2,0.43,0,50,20,60,900']))).rejects.toThrow(/row 2, annealTemperature/);
    await expect(withLibraryFile(defaultSpec(), await file('sum.csv', [HEADER, 'A1,0.6,0.25,0.25,0,0,50,10,40,200']))).rejects.toThrow(/row 1, metals/);
    await expect(withLibraryFile(defaultSpec(), await file('cols.csv', ['Ni,Fe,Co,Ce,Mn', '0.6,0.25,0.15,0,0']))).rejects.toThrow(/lacks the column\(s\) totalMetal, complexant/);
    await expect(withLibraryFile(defaultSpec(), await file('empty.csv', [HEADER]))).rejects.toThrow(/no data rows/);
    await expect(withLibraryFile(defaultSpec(), path.join(dir, 'missing.csv'))).rejects.toThrow(/recipe library .*missing\.csv/);
  });

  it('is refused for the random and Sobol agents, which cannot choose from it', async () => {
    const spec = defaultSpec();
    await expect(withLibraryFile({ ...spec, strategy: { ...spec.strategy, agent: 'random' } }, await file('ok.csv', [HEADER, ...ROWS]))).rejects.toThrow(/strategy\.agent: the random agent cannot choose from a recipe library/);
  });

  it('is checked in a campaign file too: unknown keys, missing parameters and invalid rows are named', () => {
    const base = parseCampaign(stringify({ ...defaultSpec(), library: undefined }));
    const yaml = (library: unknown): string => stringify({ ...base, library });
    const good = { Ni: 0.6, Fe: 0.25, Co: 0.15, Ce: 0, Mn: 0, totalMetal: 50, complexant: 10, depositionCharge_mC_cm2: 40, annealTemperature: 200 };
    expect(parseCampaign(yaml([good])).library).toHaveLength(1);
    expect(() => parseCampaign(yaml([good, { ...good, Cu: 0.1 }]), 'c.yaml')).toThrow(/library\.1\.Cu: unknown parameter "Cu"/);
    expect(() => parseCampaign(yaml([{ Ni: 1 }]), 'c.yaml')).toThrow(/library\.0: lacks Fe, Co/);
    expect(() => parseCampaign(yaml([good, { ...good, complexant: 80 }]), 'c.yaml')).toThrow(/library\.1\.complexant/);
  });
});
