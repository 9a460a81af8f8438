import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PotentiostatOpcuaBackend } from '../../drivers/electrochem/opcua-backend.ts';
import { LadsBrowser } from '../../drivers/lads/lads-browser.ts';
import { LADS_TYPES } from '../../drivers/lads/node-map.ts';
import { OpcuaClientTransport } from '../../drivers/transport/opcua-client.ts';
import { routeOpcuaDiagnostics } from '../../drivers/transport/opcua-diagnostics.ts';
import { DeviceError, silentLogger, type EchemResult, type Recipe, type TechniqueRun } from '../../src/domain/index.ts';
import { ScaledClock } from '../../simulators/clock.ts';
import { DeviceJournal, journalExecutions } from '../../simulators/device-journal.ts';
import { EchemStationCore } from '../../simulators/echem/station-core.ts';
import { OpcuaStationTwin } from '../../simulators/twins/opcua-station.ts';
import { fillCellWithRecipe, opcuaPkiFolder, simulatedWorld } from '../helpers/opcua-station.ts';

/**
 * The twin keeps only the newest results as ResultSet nodes and its station core only the newest runs in memory
 * (ADR 0093). A commandId asked for again after its result node was deleted, or after its run left the core's memory,
 * still gets its stored result (republished under the same DeviceProgramRunId) and never runs a second time; with no
 * journal to answer from, an evicted run answers COMMAND_FATE_UNKNOWN.
 */
const RECIPE: Recipe = { Ni: 0.6, Fe: 0.2, Co: 0.2, Ce: 0, Mn: 0, totalMetal: 50, complexant: 5 };
const ocp = (cell: string): TechniqueRun => ({ technique: 'OCP', cell, params: { duration: 30 }, sample: { trialId: 'retention' } });
const signal = new AbortController().signal;

describe('OPC UA twin: result history trimmed, lookup by commandId kept', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
  });

  async function setup(name: string, o: { retainResults: number; retainRuns: number; journal: boolean }) {
    routeOpcuaDiagnostics(silentLogger);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'labloop-retention-'));
    closers.push(async () => rmSync(dir, { recursive: true, force: true }));
    const world = simulatedWorld();
    const clock = new ScaledClock(4000);
    const journalDir = path.join(dir, 'devices');
    const core = new EchemStationCore({ deviceId: 'es1', cellId: 'cell1', world, clock, seed: 3, retainRuns: o.retainRuns, ...(o.journal ? { journal: new DeviceJournal(journalDir, 'es1') } : {}) });
    fillCellWithRecipe(world, 'cell1', RECIPE);
    const twin = new OpcuaStationTwin({ stations: [{ deviceId: 'es1', core }], clock, pkiFolder: `${opcuaPkiFolder(name)}/server`, acceptUnknownCertificates: true, retainResults: o.retainResults });
    await twin.start();
    closers.push(() => twin.stop());
    const transport = new OpcuaClientTransport({ endpointUrl: twin.endpointUrl, pkiFolder: `${opcuaPkiFolder(name)}/client`, acceptUnknownServerCertificate: true, logger: silentLogger });
    await transport.connect();
    closers.push(() => transport.close());
    const backend = new PotentiostatOpcuaBackend({ deviceId: 'es1', unit: 'cell1', transport, timeouts: { run_s: 30, poll_ms: 50 } });
    await backend.setup();
    closers.push(() => backend.stop());
    /** Result nodes in the unit's ResultSet now. */
    const resultNodes = async (): Promise<number> => {
      const browser = new LadsBrowser(transport);
      const { unit } = await browser.locateUnit({ unit: 'cell1' });
      const nodes = await browser.unitNodes(unit.nodeId);
      if (!nodes.resultSet) throw new Error('no ResultSet');
      return (await browser.childrenOfType(nodes.resultSet, browser.lads(LADS_TYPES.ResultType))).length;
    };
    const runs = (): number => Number(core.status().detail['runs']);
    return { backend, core, journalDir, resultNodes, runs };
  }

  it('a commandId whose result node was deleted gets its stored result again, and nothing runs twice', { timeout: 120_000 }, async () => {
    const s = await setup('retention-nodes', { retainResults: 2, retainRuns: 200, journal: true });
    const first: EchemResult[] = [];
    for (let i = 0; i < 5; i++) first.push(await s.backend.runTechnique(ocp('cell1'), { commandId: `keep-${i}`, signal }));
    expect(await s.resultNodes()).toBe(2);
    expect(s.runs()).toBe(5);
    const again = await s.backend.runTechnique(ocp('cell1'), { commandId: 'keep-0', signal });
    expect(again).toEqual(first[0]);
    expect(s.runs()).toBe(5);
    expect(await s.resultNodes()).toBe(2);
    expect(journalExecutions(s.journalDir).get('keep-0')?.count).toBe(1);
  });

  it('a run the core no longer keeps is answered from the journal with its stored result', { timeout: 120_000 }, async () => {
    const s = await setup('retention-journal', { retainResults: 1, retainRuns: 2, journal: true });
    const first: EchemResult[] = [];
    for (let i = 0; i < 4; i++) first.push(await s.backend.runTechnique(ocp('cell1'), { commandId: `old-${i}`, signal }));
    expect(s.core.getRun(first[0]?.runId ?? '')).toBeUndefined(); // left the core's memory
    const again = await s.backend.runTechnique(ocp('cell1'), { commandId: 'old-0', signal });
    expect(again).toEqual(first[0]);
    expect(s.runs()).toBe(4);
    expect([...journalExecutions(s.journalDir).values()].map((e) => e.count)).toEqual([1, 1, 1, 1]);
  });

  it('without a journal, a run the core no longer keeps answers COMMAND_FATE_UNKNOWN instead of running again', { timeout: 120_000 }, async () => {
    const s = await setup('retention-nojournal', { retainResults: 1, retainRuns: 2, journal: false });
    for (let i = 0; i < 4; i++) await s.backend.runTechnique(ocp('cell1'), { commandId: `gone-${i}`, signal });
    const err = await s.backend.runTechnique(ocp('cell1'), { commandId: 'gone-0', signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceError);
    expect((err as DeviceError).failure.code).toBe('COMMAND_FATE_UNKNOWN');
    expect(s.runs()).toBe(4);
    // A new command still runs.
    await expect(s.backend.runTechnique(ocp('cell1'), { commandId: 'gone-4', signal })).resolves.toMatchObject({ status: 'succeeded' });
    expect(s.runs()).toBe(5);
  });
});
