import path from 'node:path';
import { DeviceJournal } from '../../simulators/device-journal.ts';
import { EchemStationCore } from '../../simulators/echem/station-core.ts';
import type { FaultInjector } from '../../simulators/fault-injector.ts';
import { PotentiostatSimBackend } from '../../simulators/potentiostat-sim.ts';
import type { ResponseLandscape } from '../../simulators/physics/landscape.ts';
import type { SimulatedWorld } from '../../simulators/world.ts';
import type { Clock, Logger, Rng } from '../domain/index.ts';
import type { PotentiostatBackend } from '../devices/backends.ts';

/**
 * Results an OPC UA station twin of a dry run keeps as ResultSet nodes per station. The driver reads each result as
 * its run ends; an older one asked for again (the same SupervisoryJobId) is published again from the station core,
 * which keeps the newest runs in memory and older ones in its journal (ADR 0093). 200 result nodes per station, each a LADS
 * ResultType subtree with its curve arrays, made the process grow with every trial (ADR 0095).
 */
export const DRY_RUN_RETAINED_RESULTS = 8;

/**
 * Finished runs a journalled station core keeps in memory (with their curves) for de-duplication; an older commandId
 * asked for again is answered from the journal on disk (ADR 0093). The default of 200 per station grew the process
 * by ≈ 45 kB per run for the first 800 runs of a dry run.
 */
export const JOURNALLED_RETAINED_RUNS = 16;

export interface PotentiostatFleetOptions {
  transport: 'twin' | 'sim';
  world: SimulatedWorld;
  clock: Clock;
  rng: Rng;
  logger: Logger;
  cells: string[];
  faults?: FaultInjector;
  /** The hidden response landscape the stations measure (the canonical OER landscape when absent). */
  landscape?: ResponseLandscape;
  /** Project-local folder for the OPC UA server's and client's PKI (certificates, trust lists). */
  pkiFolder: string;
  /** Folder of the stations' durable run logs (a resumed dry run finds what its stations did). */
  journalDir?: string | undefined;
}

export interface PotentiostatFleet {
  backends: PotentiostatBackend[];
  endpointUrl?: string;
  close(): Promise<void>;
}

/**
 * One electrochemical station per cell. `sim`: in-process simulators. `twin`: one OPC UA server (LADS model) hosting
 * every station on loopback, reached through the real OPC UA driver over one shared client session.
 */
export async function startPotentiostats(opts: PotentiostatFleetOptions): Promise<PotentiostatFleet> {
  const coreOptions = opts.cells.map((cell) => ({
    deviceId: `ps-${cell}`,
    cellId: cell,
    world: opts.world,
    clock: opts.clock,
    rng: opts.rng.fork(`ps-${cell}`),
    faults: opts.faults,
    ...(opts.landscape ? { landscape: opts.landscape } : {}),
    logger: opts.logger.child({ device: `ps-${cell}` }),
    ...(opts.journalDir ? { journal: new DeviceJournal(opts.journalDir, `ps-${cell}`), retainRuns: JOURNALLED_RETAINED_RUNS } : {}),
  }));
  if (opts.transport === 'sim') {
    const backends = coreOptions.map((o) => new PotentiostatSimBackend(o));
    for (const b of backends) await b.setup();
    return { backends, close: async () => void (await Promise.all(backends.map((b) => b.stop()))) };
  }
  // OPC UA (server and client) is loaded only for the twins: a `sim` run never pays for it (ADR 0095).
  const [{ PotentiostatOpcuaBackend }, { OpcuaClientTransport }, { OpcuaStationTwin }] = await Promise.all([
    import('../../drivers/electrochem/opcua-backend.ts'),
    import('../../drivers/transport/opcua-client.ts'),
    import('../../simulators/twins/opcua-station.ts'),
  ]);
  const cores = coreOptions.map((o) => new EchemStationCore(o));
  const twin = new OpcuaStationTwin({
    stations: cores.map((core) => ({ deviceId: core.deviceId, core })),
    clock: opts.clock,
    pkiFolder: path.join(opts.pkiFolder, 'server'),
    securityModes: ['None'],
    retainResults: DRY_RUN_RETAINED_RESULTS,
    logger: opts.logger,
  });
  await twin.start();
  const transport = new OpcuaClientTransport({
    endpointUrl: twin.endpointUrl,
    securityMode: 'None',
    securityPolicy: 'None',
    pkiFolder: path.join(opts.pkiFolder, 'client'),
    acceptUnknownServerCertificate: true,
    logger: opts.logger,
  });
  try {
    await transport.connect();
    const backends = cores.map((core) => new PotentiostatOpcuaBackend({ deviceId: core.deviceId, unit: core.cellId, transport, logger: opts.logger.child({ driver: core.deviceId }) }));
    // The units are found and watched over one session, their requests in flight together.
    await Promise.all(backends.map((b) => b.setup()));
    return {
      backends,
      endpointUrl: twin.endpointUrl,
      close: async () => {
        await Promise.all(backends.map((b) => b.stop()));
        await transport.close();
        await twin.stop();
      },
    };
  } catch (e) {
    await transport.close().catch(() => undefined);
    await twin.stop();
    throw e;
  }
}
