import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunProgramOutput } from '../../src/app/devices.ts';
import type { LadsServerInfo, LadsValueTree } from '../../drivers/lads/lads-model.ts';
import { startPhotometerServer, type PhotometerServer } from '../helpers/lads-photometer-server.ts';
import { fillCellWithRecipe, opcuaPkiFolder, startTwinFixture, type TwinFixture } from '../helpers/opcua-station.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Runs the CLI as a child process (asynchronously: the servers live in this process and must keep answering). */
function labloop(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(root, 'bin/labloop.js'), ...args],
      { cwd: root, timeout: 120_000, env: { ...process.env, LABLOOP_PKI_DIR: opcuaPkiFolder('devices-cli'), LABLOOP_LOG_LEVEL: 'warn' } },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe('labloop devices: the generic LADS client from the command line, on two different servers', () => {
  let twin: TwinFixture;
  let photometer: PhotometerServer;
  beforeAll(async () => {
    [twin, photometer] = await Promise.all([startTwinFixture('devices-cli'), startPhotometerServer()]);
    fillCellWithRecipe(twin.world, 'cell1', { Ni: 0.6, Fe: 0.2, Co: 0.2, Ce: 0, Mn: 0, totalMetal: 50, complexant: 5 });
  });
  afterAll(async () => {
    await twin?.close();
    await photometer?.close();
  });

  it('inspect --json prints the station twin tree, and inspect prints the other server for people', async () => {
    const [json, text] = await Promise.all([labloop('devices', 'inspect', twin.endpointUrl, '--json'), labloop('devices', 'inspect', photometer.endpointUrl)]);
    expect(json.code, json.stderr).toBe(0);
    const info = JSON.parse(json.stdout) as LadsServerInfo;
    const unit = info.devices[0]?.units[0];
    expect(unit?.templates).toHaveLength(7);
    expect(unit?.functions.map((f) => `${f.name}:${f.unit}`)).toEqual(['Potential:V', 'Current:A', 'Temperature:°C', 'PotentialControl:V']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('device Photometer-7  [PhotometerDeviceType, urn:example:photometrics]  state Operate');
    expect(text.stdout).toMatch(/unit Photometer +\[PhotometerUnitType\] +Stopped — ready +no lock/);
    expect(text.stdout).toContain('AbsorbanceScan (id ABS-SCAN-2) — UV-Vis absorbance scan [Photometrics v2.0]');
    expect(text.stdout).toMatch(/StartWavelength +Double +nm +200…1000 +default 300/);
    expect(text.stdout).toMatch(/LampTemperature +sensor +41\.5 °C/);
  });

  it('run-program runs a program on each server and prints its result as JSON', async () => {
    const [pm, echem] = await Promise.all([
      labloop('devices', 'run-program', photometer.endpointUrl, '--unit', 'Photometer', '--template', 'ABS-SCAN-2', '--param', 'StartWavelength=500', '--param', 'EndWavelength=540', '--param', 'Step=10', '--job-id', 'cli-job-1'),
      labloop('devices', 'run-program', twin.endpointUrl, '--device', 'es1', '--unit', 'cell1', '--template', 'CA', '--param', 'caDuration=10', '--task-id', 'cli-task'),
    ]);
    expect(pm.code, pm.stderr).toBe(0);
    const a = JSON.parse(pm.stdout) as RunProgramOutput;
    expect(a).toMatchObject({ device: 'Photometer-7', unit: 'Photometer', template: 'ABS-SCAN-2', jobId: 'cli-job-1', finalState: 'Stopped' });
    const spectrum = a.result.variables['Spectrum'] as LadsValueTree;
    expect(spectrum['Wavelength']).toMatchObject({ value: [500, 510, 520, 530, 540], unit: 'nm' });
    expect((spectrum['Absorbance'] as { value: number[] }).value[2]).toBeCloseTo(0.85, 6);
    expect(pm.stderr).toMatch(/offers no lock/); // the warning goes to the log (stderr), the result to stdout
    expect(echem.code, echem.stderr).toBe(0);
    const b = JSON.parse(echem.stdout) as RunProgramOutput;
    expect(b).toMatchObject({ device: 'es1', finalState: 'Stopped', result: { taskId: 'cli-task', variables: { Status: { value: 'succeeded' } } } });
    expect(b.result.files[0]).toMatchObject({ name: 'curves.csv', mimeType: 'text/csv' });
    expect(b.result.files[0]?.text?.split('\n')[0]).toBe('segment,t_s,Ewe_V,I_A');
  });

  it('exits 2 for a unit that does not exist or an insecure endpoint off loopback, 1 when a required lock is missing', async () => {
    const [noUnit, insecure, lock] = await Promise.all([
      labloop('devices', 'run-program', photometer.endpointUrl, '--unit', 'Nope', '--template', 'X'),
      labloop('devices', 'inspect', 'opc.tcp://192.0.2.10:4840'),
      labloop('devices', 'run-program', photometer.endpointUrl, '--unit', 'Photometer', '--template', 'ABS-SCAN-2', '--require-lock'),
    ]);
    expect(noUnit).toMatchObject({ code: 2, stdout: '' });
    expect(noUnit.stderr).toMatch(/no functional unit Nope on this server \(units: Photometer-7\/Photometer, Photometer-7\/PhotometerB\)/);
    expect(insecure).toMatchObject({ code: 2, stdout: '' });
    expect(insecure.stderr).toMatch(/not on loopback: security mode None is refused/);
    expect(lock).toMatchObject({ code: 1, stdout: '' });
    expect(lock.stderr).toMatch(/COMMAND_REJECTED: unit Photometer offers no lock, and a lock is required/);
    expect(photometer.started.get('Photometer')?.length).toBe(1); // only the run of the previous test reached it
  });
});
