import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

describe('secrets stay out of logs, outputs and the store', () => {
  it('a dry run at debug level with tokens, passwords and an API key set writes none of them anywhere', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'labloop-secrets-'));
    const secrets = {
      token: 'tok3nS3cretValue-0123456789abcdef',
      mqtt: 'mqttPassw0rd-S3cret-9876',
      opcua: 'opcuaPassw0rd-S3cret-5432',
      apiKey: 'sk-testApiKey-S3cret-24680',
    };
    const env = {
      ...process.env,
      LABLOOP_LOG_LEVEL: 'debug',
      // --quiet would keep only errors: debug lines are what is checked here.
      LABLOOP_LOG_FORMAT: 'json',
      LABLOOP_CONSOLE_TOKENS: `ops:operator:${secrets.token}`,
      LABLOOP_MQTT_USERNAME: 'labloop',
      LABLOOP_MQTT_PASSWORD: secrets.mqtt,
      LABLOOP_OPCUA_PASSWORD: secrets.opcua,
      OPENAI_API_KEY: secrets.apiKey,
    };
    const out = path.join(dir, 'out');
    const db = path.join(dir, 'db');
    const r = spawnSync(process.execPath, [path.join(root, 'bin/labloop.js'), 'dry-run', '--trials', '2', '--stations', '1', '--out', out, '--db', db], {
      cwd: root,
      encoding: 'utf8',
      timeout: 240_000,
      env,
    });
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    // The run logged plenty at debug level, so the check is not vacuous.
    expect(r.stderr.split('\n').length).toBeGreaterThan(20);
    const places: [string, string][] = [
      ['stdout', r.stdout],
      ['stderr', r.stderr],
      ...filesUnder(out).map((f): [string, string] => [f, readFileSync(f, 'latin1')]),
      ...filesUnder(db).map((f): [string, string] => [f, readFileSync(f, 'latin1')]),
    ];
    expect(places.length).toBeGreaterThan(5);
    for (const [where, text] of places)
      for (const [name, secret] of Object.entries(secrets)) expect(text.includes(secret), `${name} found in ${where}`).toBe(false);
  }, 300_000);
});
