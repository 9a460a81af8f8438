import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkTechniqueParams } from '../../../drivers/electrochem/technique-params.ts';
import { commandSchema, describeIssues } from '../../../drivers/liquid-handler/wire-contract.ts';
import { parseStationsFile } from '../../../src/app/external-stations.ts';
import { CampaignFileError, loadCampaignFile, parseCampaign } from '../../../src/config/index.ts';
import { consoleCommandSchema, describeIssues as describeConsoleIssues } from '../../../src/console/console-protocol.ts';
import { closestName, schemaIssues } from '../../../src/domain/index.ts';
import { DEFAULT_CAMPAIGN_FILE } from '../../helpers/default-spec.ts';

const defaultText = readFileSync(DEFAULT_CAMPAIGN_FILE, 'utf8');

function campaignError(text: string): CampaignFileError {
  try {
    parseCampaign(text, 'typo.yaml');
  } catch (e) {
    if (e instanceof CampaignFileError) return e;
    throw e;
  }
  throw new Error('the campaign was accepted');
}

describe('strict, helpful schemas', () => {
  it('refuses a typo inside safety, naming the path and the key meant', () => {
    const text = defaultText.replace(/^safety:\n/m, 'safety:\n  maxStokVolume: { Ni: 100 }\n');
    expect(text).not.toBe(defaultText);
    const error = campaignError(text);
    expect(error.issues).toContainEqual({ path: 'safety.maxStokVolume', message: 'unknown key (did you mean maxStockVolume?)' });
    expect(error.message).toContain('safety.maxStokVolume: unknown key (did you mean maxStockVolume?)');
  });

  it('refuses unknown keys at the top level and in list items, without a suggestion when nothing is close', () => {
    const error = campaignError(`${defaultText}\nbudgett: { trials: 3 }\nzzzqqq: 1\n`);
    expect(error.issues).toContainEqual({ path: 'budgett', message: 'unknown key (did you mean budget?)' });
    expect(error.issues).toContainEqual({ path: 'zzzqqq', message: 'unknown key' });
  });

  it('rejects a non-UTF-8 file and a binary file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'labloop-strict-'));
    const latin1 = path.join(dir, 'latin1.yaml');
    writeFileSync(latin1, Buffer.from(defaultText.replace('title:', 'title: caf\u00e9 #'), 'latin1'));
    await expect(loadCampaignFile(latin1)).rejects.toThrow(/not UTF-8 text/);
    const binary = path.join(dir, 'binary.yaml');
    writeFileSync(binary, Buffer.concat([Buffer.from('id: x\n'), Buffer.from([0, 1, 2, 255])]));
    await expect(loadCampaignFile(binary)).rejects.toThrow(/binary file/);
    const bom = path.join(dir, 'bom.yaml');
    writeFileSync(bom, `\ufeff${defaultText}`);
    await expect(loadCampaignFile(bom)).resolves.toMatchObject({ id: 'oer-screen' });
  });

  it('refuses unknown keys in stations files', () => {
    const text = 'pairs:\n  - id: p1\n    liquidHandler: { id: lh1, brokr: { url: "mqtt://h:1883" } }\n';
    expect(() => parseStationsFile(text, 's.yaml')).toThrow(/pairs\.0\.liquidHandler\.brokr: unknown key \(did you mean broker\?\)/);
  });

  it('refuses unknown keys in MQTT command bodies and console events', () => {
    const cmd = {
      schema: 'sdl.cmd.v1',
      commandId: 'c1',
      replyTo: 'sdl/v1/lab1/_reply/x',
      issuedAt: '2026-01-01T00:00:00Z',
      expiresAt: '2026-01-01T00:01:00Z',
      command: 'aspirate',
      body: { kind: 'aspirate', channel: 0, source: 'A1', volume: 10, volumme: 1e6 },
    };
    const parsed = commandSchema.safeParse(cmd);
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(describeIssues(parsed.error)).toContain('body.volumme: unknown key (did you mean volume?)');
    const event = consoleCommandSchema.safeParse({ action: 'abort', campaignId: 'c', reasn: 'x' });
    expect(event.success).toBe(false);
    if (!event.success) expect(describeConsoleIssues(event.error)).toContain('reasn: unknown key (did you mean reason?)');
  });

  it('suggests only plausible names and caps hostile key floods', () => {
    expect(closestName('maxStokVolume', ['maxStockVolume', 'maxTotalVolume'])).toBe('maxStockVolume');
    expect(closestName('xyz', ['maxStockVolume'])).toBeUndefined();
    const many = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i]));
    const event = consoleCommandSchema.safeParse({ action: 'pause', campaignId: 'c', ...many });
    expect(event.success).toBe(false);
    if (!event.success) expect(schemaIssues(event.error).length).toBeLessThanOrEqual(21);
  });

  it('refuses unknown OPC UA technique parameters with a suggestion', () => {
    expect(checkTechniqueParams({ technique: 'LSV', params: { lsvScanRate_V_ss: 0.01 } })).toEqual([expect.stringMatching(/unknown parameter "lsvScanRate_V_ss" for LSV \(did you mean lsvScanRate_V_s\?\)/)]);
  });
});
