import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PotentiostatOpcuaBackend } from '../../drivers/electrochem/opcua-backend.ts';
import { auditCampaign } from '../../src/app/campaign-audit.ts';
import { runCampaign } from '../../src/app/campaign-run.ts';
import { stationsFileSchema } from '../../src/app/external-stations.ts';
import { loadConfig } from '../../src/config/index.ts';
import { Rng, silentLogger, type Recipe, type TechniqueRun } from '../../src/domain/index.ts';
import { openStore } from '../../src/store/index.ts';
import { ScaledClock } from '../../simulators/clock.ts';
import { DeviceJournal, journalExecutions } from '../../simulators/device-journal.ts';
import { EchemStationCore } from '../../simulators/echem/station-core.ts';
import { LiquidHandlerCore } from '../../simulators/liquid/liquid-handler-core.ts';
import { MqttLiquidHandlerTwin } from '../../simulators/twins/mqtt-liquid-handler.ts';
import { OpcuaStationTwin } from '../../simulators/twins/opcua-station.ts';
import { SimulatedWorld } from '../../simulators/world.ts';
import { TEST_PGLITE_CACHE } from '../helpers/db.ts';
import { defaultSpec } from '../helpers/default-spec.ts';
import { uniqueLabId } from '../helpers/mqtt-brokers.ts';
import { fillCellWithRecipe, opcuaPkiFolder, startTwinFixture, type TwinFixture } from '../helpers/opcua-station.ts';

/**
 * An OPC UA station whose server restarts mid-run (DEVICES.md, transport failures): the node-opcua server goes down
 * while a program runs and comes back on the same port over the same instrument. The driver reconnects (a new
 * session), follows the run by its jobId (= commandId) to its result, and a repeated StartProgram with the same
 * commandId returns the stored result: each command executes once, no result is lost.
 */
const GOOD: Recipe = { Ni: 0.6, Fe: 0.2, Co: 0.2, Ce: 0, Mn: 0, totalMetal: 50, complexant: 5, depositionCharge_mC_cm2: 30, annealTemperature: 100 };
const screen = (cell: string): TechniqueRun => ({
  technique: 'OER_Screen_v1',
  cell,
  params: { scanRate_V_s: 0.005, start_V_RHE: 1.0, end_V_RHE: 1.8, area: 0.0707, targetCurrentDensity: 10, withEis: 1, depositionCharge_mC_cm2: 30, annealTemperature: 100 },
  sample: { trialId: 'restart' },
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('OPC UA station restarted mid-run', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
  });

  it('the driver reconnects, collects the running program\'s result, and nothing runs twice', { timeout: 120_000 }, async () => {
    const clock = new ScaledClock(400);
    const fx: TwinFixture = await startTwinFixture('restart', { clock });
    let twin = fx.twin;
    closers.push(() => twin.stop());
    const port = Number(new URL(fx.endpointUrl).port);
    const backend = new PotentiostatOpcuaBackend({
      deviceId: 'es1',
      unit: 'cell1',
      connection: { endpointUrl: fx.endpointUrl, pkiFolder: `${opcuaPkiFolder('restart')}/client`, acceptUnknownServerCertificate: true, logger: silentLogger },
      timeouts: { run_s: 60, poll_ms: 100 },
    });
    await backend.setup();
    closers.push(() => backend.stop());
    fillCellWithRecipe(fx.world, 'cell1', GOOD);
    const core = fx.cores[0];
    if (!core) throw new Error('no station core');
    const signal = new AbortController().signal;
    // The instrument's own count of executions per commandId (a StartProgram with a known jobId runs nothing).
    const executed = new Map<string, number>();
    const start = core.start.bind(core);
    core.start = (run, commandId) => {
      if (!core.findByCommand(commandId)) executed.set(commandId, (executed.get(commandId) ?? 0) + 1);
      return start(run, commandId);
    };

    const running = backend.runTechnique(screen('cell1'), { commandId: 'restart-a', signal });
    const t0 = Date.now();
    while (!core.findByCommand('restart-a')) {
      if (Date.now() - t0 > 20_000) throw new Error('the program did not start');
      await sleep(10);
    }
    // The server goes down mid-run (the instrument keeps measuring) and comes back on the same port after 1 s.
    await twin.stop({ keepRuns: true });
    await sleep(1000);
    twin = new OpcuaStationTwin({ stations: fx.cores.map((c) => ({ deviceId: c.deviceId, core: c })), clock, port, pkiFolder: `${opcuaPkiFolder('restart')}/server`, acceptUnknownCertificates: true });
    await twin.start();

    const result = await running;
    expect(result.status).toBe('succeeded');
    expect(result.curves.length).toBeGreaterThan(0);
    // The same commandId again: the stored result, not a second run.
    fillCellWithRecipe(fx.world, 'cell1', GOOD);
    const again = await backend.runTechnique(screen('cell1'), { commandId: 'restart-a', signal });
    expect(again.runId).toBe(result.runId);
    expect(await backend.lookup('restart-a')).toMatchObject({ runId: result.runId, status: 'succeeded' });
    // A new command after the restart runs normally.
    const next = await backend.runTechnique(screen('cell1'), { commandId: 'restart-b', signal });
    expect(next.status).toBe('succeeded');
    expect(Object.fromEntries(executed)).toEqual({ 'restart-a': 1, 'restart-b': 1 });
  });

  it('a campaign on MQTT liquid handlers and OPC UA stations completes across a restart of the station server: 0 duplicated steps, 0 lost measurements', { timeout: 600_000 }, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'labloop-opcua-restart-'));
    closers.push(async () => rmSync(dir, { recursive: true, force: true }));
    const journalDir = path.join(dir, 'devices');
    const BUDGET = 6;
    const SPEED = 3000;
    const spec = defaultSpec({ id: 'opcua-restart', budget: { trials: BUDGET } });
    const pairs = ['pair1', 'pair2'];
    const clock = new ScaledClock(SPEED);
    const world = new SimulatedWorld(spec.stocks);
    const lab = uniqueLabId('opcua-restart');
    const broker = 'mqtt://127.0.0.1:1883';
    // The instruments, each with its own durable run log (the count of executions per commandId).
    for (const id of pairs) {
      const core = new LiquidHandlerCore({ deviceId: `lh-${id}`, world, clock, rng: new Rng(7).fork(id), journal: new DeviceJournal(journalDir, `lh-${id}`) });
      const twin = new MqttLiquidHandlerTwin({ lab, core, broker: { url: broker, clientId: `${lab}-lh-${id}` }, clearRetainedOnStop: true });
      await twin.start();
      closers.push(() => twin.stop());
    }
    const cores = pairs.map((id) => new EchemStationCore({ deviceId: `ps-${id}`, cellId: id, world, clock, rng: new Rng(8).fork(id), journal: new DeviceJournal(journalDir, `ps-${id}`) }));
    const pki = `${opcuaPkiFolder('restart')}/server`;
    const stations = cores.map((core) => ({ deviceId: core.deviceId, core }));
    let twin = new OpcuaStationTwin({ stations, clock, pkiFolder: pki, acceptUnknownCertificates: true });
    await twin.start();
    closers.push(() => twin.stop());
    const port = Number(new URL(twin.endpointUrl).port);
    const file = stationsFileSchema.parse({ lab, broker: { url: broker }, pairs: pairs.map((id) => ({ id, liquidHandler: { id: `lh-${id}` }, echem: { endpoint: twin.endpointUrl, unit: id, securityMode: 'None' } })) });
    const store = await openStore({ pgliteDir: path.join(dir, 'db'), pgliteTemplateCacheDir: TEST_PGLITE_CACHE });
    closers.push(() => store.close());
    const config = loadConfig({}, { logLevel: 'silent', pgliteDir: path.join(dir, 'db'), pkiDir: path.join(opcuaPkiFolder('restart'), 'labloop') });

    // Mid-campaign, while a station runs a program: the OPC UA server goes down for 1 s and comes back on its port.
    let restarted: { runningAtStop: number; measuredBefore: number } | undefined;
    const measured = (): number => [...journalExecutions(journalDir).values()].filter((e) => e.devices.some((d) => d.startsWith('ps-'))).length;
    const restarter = (async () => {
      const end = Date.now() + 400_000;
      while (Date.now() < end) {
        const running = cores.filter((c) => c.activeRun !== undefined).length;
        if (running > 0 && measured() >= 3) {
          restarted = { runningAtStop: running, measuredBefore: measured() };
          await twin.stop({ keepRuns: true });
          await sleep(1000);
          twin = new OpcuaStationTwin({ stations, clock, port, pkiFolder: pki, acceptUnknownCertificates: true });
          await twin.start();
          return;
        }
        await sleep(20);
      }
    })();
    const summary = await runCampaign({ spec, config, logger: silentLogger, seed: 3, outDir: path.join(dir, 'out'), clock: String(SPEED), lab: { kind: 'stations', file }, kind: 'run', store });
    await restarter;
    expect(restarted, 'the station server was restarted while a program ran').toBeDefined();
    expect(summary.result.state).toBe('completed');
    expect(summary.result.progress.completed + summary.result.progress.failed).toBe(BUDGET);
    // The instruments' own logs: every commandId executed once at most; and no measurement lost (audit).
    const executions = journalExecutions(journalDir);
    expect([...executions].filter(([, e]) => e.count > 1)).toEqual([]);
    const report = await auditCampaign(store, 'opcua-restart');
    expect(report?.checks.find((c) => c.name.includes('measurement'))?.violations ?? ['no measurement check']).toEqual([]);
    expect(report?.checks.filter((c) => !c.ok)).toEqual([]);
  });
});
