import { randomBytes } from 'node:crypto';
import { DeviceJournal, WorldStateFile } from '../../simulators/device-journal.ts';
import { LiquidHandlerCore } from '../../simulators/liquid/liquid-handler-core.ts';
import { oerPrecipitation } from '../../simulators/liquid/precipitation.ts';
import { LiquidHandlerSimBackend } from '../../simulators/liquid-handler-sim.ts';
import { SimulatedWorld } from '../../simulators/world.ts';
import { OER_LANDSCAPE_DEFAULT_SEED, OerLandscape } from '../../simulators/physics/oer-landscape.ts';
import type { FaultInjector } from '../../simulators/fault-injector.ts';
import { Rng, type CampaignSpec, type Clock, type Logger } from '../domain/index.ts';
import type { LiquidHandlerBackend } from '../devices/backends.ts';
import { LiquidHandler } from '../devices/liquid-handler.ts';
import { SharedReservoirs } from '../devices/volume-tracker.ts';
import { Potentiostat } from '../devices/potentiostat.ts';
import { Station } from '../engine/station.ts';
import type { BrokerConnection } from './broker-connection.ts';
import { ElectrolyteSupply } from './electrolyte-supply.ts';
import { startPotentiostats } from './simulated-potentiostats.ts';
import type { StockRefillTarget } from './stock-keeper.ts';

/** `twin`: drivers speak MQTT and OPC UA to simulated instruments; `sim`: in-process simulator backends. */
export type LabTransport = 'twin' | 'sim';

export interface SimulatedLabOptions {
  spec: CampaignSpec;
  clock: Clock;
  seed: number;
  transport: LabTransport;
  lab: string;
  logger: Logger;
  replyTimeout_s: number;
  /** External MQTT broker (LABLOOP_MQTT_URL, with credentials and TLS); an embedded aedes broker is started when absent. */
  broker?: BrokerConnection | undefined;
  /** Injected device faults (none by default). */
  faults?: FaultInjector;
  /** Project-local folder for OPC UA certificates. */
  pkiFolder: string;
  /** Seed of the hidden OER landscape the stations measure (default 2026, the canonical landscape). */
  landscapeSeed?: number;
  /**
   * Folder of the simulated instruments' durable run logs and world state. A lab started again on the same folder
   * (a resumed dry run) de-duplicates commands its devices already ran and finds the liquid where they left it.
   */
  journalDir?: string | undefined;
}

export interface SimulatedLab {
  stations: Station[];
  world: SimulatedWorld;
  /** An operator replaced the electrolyte of a station pair's cell: its next run measures in a fresh, clean batch. */
  replaceElectrolyte(stationId: string): void;
  /** An operator poured liquid into a stock (ADR 0113): the world's reservoir receives it, and its state file records it. */
  stocks: StockRefillTarget;
  close(): Promise<void>;
}

/**
 * A complete simulated lab: one SimulatedWorld (stocks and cells), and per station pair a liquid handler and an
 * electrochemical station — either protocol twins reached through the real drivers, or in-process simulators.
 */
export async function startSimulatedLab(opts: SimulatedLabOptions): Promise<SimulatedLab> {
  const { spec, clock, logger } = opts;
  const world = new SimulatedWorld(spec.stocks);
  const worldFile = opts.journalDir ? new WorldStateFile(opts.journalDir) : undefined;
  if (worldFile) world.restore(worldFile.read());
  const journal = (deviceId: string): { journal?: DeviceJournal } =>
    opts.journalDir ? { journal: new DeviceJournal(opts.journalDir, deviceId, () => worldFile?.write(world.snapshot())) } : {};
  const rng = new Rng(opts.seed);
  const closers: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (const c of closers.reverse()) await c().catch((e: unknown) => logger.warn({ err: (e as Error).message }, 'closing the simulated lab'));
  };
  try {
    const pairIds = Array.from({ length: spec.stations.pairs }, (_, i) => `pair${i + 1}`);
    const lhCores = pairIds.map(
      (id) =>
        // Precursor precipitation in the cells follows the default landscape (the one the stations simulate).
        new LiquidHandlerCore({ deviceId: `lh-${id}`, world, clock, rng: rng.fork(`lh-${id}`), faults: opts.faults, precipitation: oerPrecipitation, logger: logger.child({ device: `lh-${id}` }), ...journal(`lh-${id}`) }),
    );
    let lhBackends: LiquidHandlerBackend[];
    if (opts.transport === 'twin') {
      // MQTT (broker, twin and driver) is loaded only for the twins (ADR 0095).
      const [{ LiquidHandlerMqttBackend }, { startEmbeddedBroker }, { MqttLiquidHandlerTwin }] = await Promise.all([
        import('../../drivers/liquid-handler/mqtt-backend.ts'),
        import('../../simulators/embedded-broker.ts'),
        import('../../simulators/twins/mqtt-liquid-handler.ts'),
      ]);
      let broker = opts.broker;
      if (!broker) {
        const embedded = await startEmbeddedBroker({ logger });
        closers.push(() => embedded.close());
        broker = { url: embedded.url };
      }
      // Client ids only need to be unique on the broker; they never reach the campaign's records.
      const suffix = randomBytes(4).toString('hex');
      lhBackends = [];
      for (const core of lhCores) {
        const twin = new MqttLiquidHandlerTwin({ lab: opts.lab, core, broker: { ...broker, clientId: `lh-${core.deviceId}-${suffix}` }, logger: logger.child({ twin: core.deviceId }) });
        await twin.start();
        closers.push(() => twin.stop());
        const backend = new LiquidHandlerMqttBackend({
          lab: opts.lab,
          deviceId: core.deviceId,
          connection: { ...broker, clientId: `labloop-${core.deviceId}-${suffix}` },
          timeouts: { reply_s: opts.replyTimeout_s },
          logger: logger.child({ driver: core.deviceId }),
        });
        await backend.setup();
        closers.push(() => backend.stop());
        lhBackends.push(backend);
      }
    } else {
      lhBackends = lhCores.map((core) => new LiquidHandlerSimBackend({ core }));
      for (const b of lhBackends) await b.setup();
    }
    const electrolyte = new ElectrolyteSupply(opts.faults);
    const landscape = new OerLandscape({ seed: opts.landscapeSeed ?? OER_LANDSCAPE_DEFAULT_SEED });
    const potentiostats = await startPotentiostats({ ...opts, faults: electrolyte, world, rng: rng.fork('potentiostats'), cells: pairIds, pkiFolder: opts.pkiFolder, landscape, journalDir: opts.journalDir });
    closers.push(() => potentiostats.close());
    // The pairs draw from the world's one set of stocks: their liquid handlers share the tracked reservoirs (ADR 0113).
    const reservoirs = new SharedReservoirs();
    const stations = pairIds.map((id, i) => {
      const lh = lhBackends[i];
      const ps = potentiostats.backends[i];
      if (!lh || !ps) throw new Error(`station ${id} is missing a device`);
      return new Station(id, id, new LiquidHandler(lh, spec.stocks, { sharedReservoirs: reservoirs }), new Potentiostat(ps));
    });
    const replaceElectrolyte = (stationId: string): void => {
      const station = stations.find((st) => st.id === stationId);
      if (station) electrolyte.replace(station.potentiostat.deviceId);
    };
    const stocks: StockRefillTarget = {
      refillStock: (stock, volume) => {
        if (world.refill(stock, volume)) worldFile?.write(world.snapshot());
      },
      refilledVolume: (stock) => world.refilledVolume(stock),
    };
    return { stations, world, replaceElectrolyte, stocks, close };
  } catch (e) {
    await close();
    throw e;
  }
}
