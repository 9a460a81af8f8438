import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { stationDeviceId } from '../../drivers/electrochem/node-map.ts';
import { PotentiostatOpcuaBackend } from '../../drivers/electrochem/opcua-backend.ts';
import { echemLadsMappingSchema } from '../../drivers/electrochem/program-mapping.ts';
import { LiquidHandlerMqttBackend } from '../../drivers/liquid-handler/mqtt-backend.ts';
import { orchestratorStateTopic } from '../../drivers/liquid-handler/wire-contract.ts';
import { MqttClientTransport } from '../../drivers/transport/mqtt.ts';
import { OrchestratorPresence, orchestratorWill } from '../../drivers/transport/orchestrator-presence.ts';
import { CellLinkSubscriber, MirroredWorld } from '../../simulators/liquid/cell-link.ts';
import { PotentiostatSimBackend } from '../../simulators/potentiostat-sim.ts';
import { DocumentFileError, parseDocument, readDocument, type FileIssue } from '../config/document-file.ts';
import { mqttTlsSchema, type Config } from '../config/index.ts';
import { Rng, strictObject, type CampaignSpec, type Clock, type Logger } from '../domain/index.ts';
import type { PotentiostatBackend } from '../devices/backends.ts';
import { LiquidHandler } from '../devices/liquid-handler.ts';
import { Potentiostat } from '../devices/potentiostat.ts';
import { Station } from '../engine/station.ts';
import { brokerConnection, configuredBroker } from './broker-connection.ts';
import { connectionOptions, endpointIssues, opcuaEndpointSchema } from './opcua-connection.ts';

/**
 * External station pairs (`labloop dry-run --stations-file <file>`): instead of starting its own simulated lab, a dry
 * run connects to liquid handlers on an MQTT broker and electrochemical stations on OPC UA endpoints — instruments
 * run by `labloop sim liquid-handler` / `labloop sim echem-station` in other processes or on other hosts (or real ones).
 * A pair without `echem` gets an in-process simulated station that measures what the liquid handler's cell link
 * reports (simulators/liquid/cell-link.ts).
 */
const topicId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, '1-64 characters of [a-z0-9-]');
const brokerSchema = strictObject({
  url: z.string().regex(/^(mqtts?|tcp|ssl|tls):\/\/[^\s/]+/, 'an mqtt:// or mqtts:// URL'),
  username: z.string().optional(),
  password: z.string().optional(),
  protocolVersion: z.union([z.literal(4), z.literal(5)]).optional(),
  /** PEM files relative to the stations file: `caFile`, `certFile`, `keyFile`; `rejectUnauthorized` (default true). */
  tls: mqttTlsSchema.optional(),
});
const echemSchema = opcuaEndpointSchema.extend({
  /** Functional unit (cell) on that station. */
  unit: z.string().min(1),
  /** Station (LADS device) name; default `ps-<unit>`, as `labloop sim echem-station` names them. */
  device: z.string().min(1).optional(),
  /** Refuse to run when the unit offers no working lock (default: use it when offered, warn otherwise). */
  requireLock: z.boolean().default(false),
  /** Protocol step (technique) → the server's program template, parameter keys and units; results format. */
  programs: echemLadsMappingSchema.shape.programs,
  results: echemLadsMappingSchema.shape.results,
});
export const stationsFileSchema = strictObject({
    schema: z.literal('labloop.stations.v1').default('labloop.stations.v1'),
    /** MQTT lab id of the liquid handlers (default: the configuration's). */
    lab: topicId.optional(),
    /** Default broker of the liquid handlers (default: the configuration's `LABLOOP_MQTT_URL`). */
    broker: brokerSchema.optional(),
    pairs: z
      .array(
        strictObject({
          id: topicId,
          /** The cell the liquid handler fills and the station measures (default: the pair id). */
          cell: z.string().regex(/^[A-Za-z0-9_-]+$/).optional(),
          liquidHandler: strictObject({ id: topicId, lab: topicId.optional(), broker: brokerSchema.optional() }),
          echem: echemSchema.optional(),
        }),
      )
      .min(1),
  })
  .superRefine((f, ctx) => {
    const seen = new Set<string>();
    f.pairs.forEach((p, i) => {
      if (seen.has(p.id)) ctx.addIssue({ code: 'custom', path: ['pairs', i, 'id'], message: `duplicate pair id "${p.id}"` });
      seen.add(p.id);
      if (p.echem) for (const issue of endpointIssues(p.echem)) ctx.addIssue({ code: 'custom', path: ['pairs', i, 'echem', issue.path], message: issue.message });
    });
  });
export type StationsFile = z.infer<typeof stationsFileSchema>;

export class StationsFileError extends DocumentFileError {
  constructor(file: string, issues: FileIssue[]) {
    super(file, 'stations file', issues);
    this.name = 'StationsFileError';
  }
}

export function parseStationsFile(text: string, file = '<stations>'): StationsFile {
  return parseDocument(text, stationsFileSchema, (issues) => new StationsFileError(file, issues), 'YAML or JSON');
}

export async function loadStationsFile(file: string): Promise<StationsFile> {
  return parseStationsFile(await readDocument(file, (issues) => new StationsFileError(file, issues)), file);
}

export interface ExternalLabOptions {
  file: StationsFile;
  spec: CampaignSpec;
  config: Pick<Config, 'lab' | 'mqtt' | 'timeouts' | 'pkiDir' | 'opcua'>;
  clock: Clock;
  seed: number;
  logger: Logger;
  /** Folder that relative paths of the stations file (TLS files, OPC UA certificates) start from (default: the working folder). */
  baseDir?: string | undefined;
}

export interface ExternalLab {
  stations: Station[];
  close(): Promise<void>;
}

const ONLINE = new Set(['ready', 'busy']);

/** Connects to every pair of a stations file; fails fast (naming the pair) when a liquid handler is not online. */
export async function connectExternalStations(opts: ExternalLabOptions): Promise<ExternalLab> {
  const { file, config, logger } = opts;
  const closers: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (const c of closers.reverse()) await c().catch((e: unknown) => logger.warn({ err: (e as Error).message }, 'closing external stations'));
  };
  const links = new Map<string, MirroredWorld>();
  const transports = new Map<string, MqttClientTransport>();
  /** The lab whose orchestrator presence each broker connection carries. */
  const presenceLabs = new Map<string, string>();
  const rng = new Rng(opts.seed);
  try {
    const stations: Station[] = [];
    for (const pair of file.pairs) {
      const cell = pair.cell ?? pair.id;
      const lab = pair.liquidHandler.lab ?? file.lab ?? config.lab;
      const fromFile = pair.liquidHandler.broker ?? file.broker;
      // A broker named in the file takes the configuration's credentials and TLS where it gives none of its own.
      const settings = fromFile
        ? {
            url: fromFile.url,
            username: fromFile.username ?? config.mqtt.username,
            password: fromFile.password ?? config.mqtt.password,
            protocolVersion: fromFile.protocolVersion ?? config.mqtt.protocolVersion,
            tls: fromFile.tls ?? config.mqtt.tls,
          }
        : configuredBroker(config);
      if (!settings) throw new StationsFileError('<stations>', [{ path: `pairs.${pair.id}.liquidHandler.broker`, message: 'no broker: give one here, at the top level, or in LABLOOP_MQTT_URL' }]);
      const broker = brokerConnection(settings, fromFile?.tls ? opts.baseDir : undefined);
      const connection = { ...broker, clientId: `labloop-stations-${randomBytes(4).toString('hex')}`, protocolVersion: broker.protocolVersion ?? config.mqtt.protocolVersion };
      // One connection per broker, shared by the pairs' drivers and the cell link (see CellLinkSubscriber).
      const brokerKey = `${connection.url} ${connection.username ?? ''} ${connection.protocolVersion}`;
      let transport = transports.get(brokerKey);
      if (!transport) {
        // The orchestrator's presence rides on this connection (ADR 0051): retained `ready`, last will `lost`, so
        // the lab's devices finish their current step and hold if this process dies.
        const presenceTopic = orchestratorStateTopic(lab);
        const t = new MqttClientTransport({ ...connection, will: orchestratorWill(presenceTopic), logger });
        closers.push(() => t.close());
        await t.connect();
        const presence = new OrchestratorPresence({ transport: t, topic: presenceTopic, logger });
        await presence.start();
        closers.push(() => presence.stop());
        transports.set(brokerKey, t);
        presenceLabs.set(brokerKey, lab);
        transport = t;
      } else if (presenceLabs.get(brokerKey) !== lab) {
        logger.warn({ pair: pair.id, lab, presenceLab: presenceLabs.get(brokerKey) }, 'this broker connection carries the orchestrator presence of another lab; devices of this lab will not hold if the agent dies');
      }
      const lh = new LiquidHandlerMqttBackend({ lab, deviceId: pair.liquidHandler.id, connection: transport, timeouts: { reply_s: config.timeouts.commandReply_s }, logger: logger.child({ driver: pair.liquidHandler.id }) });
      closers.push(() => lh.stop());
      await lh.setup();
      const state = (await lh.status()).state;
      if (!ONLINE.has(state)) throw new Error(`pair ${pair.id}: liquid handler ${pair.liquidHandler.id} on ${broker.url} (lab ${lab}) is not online (state ${state})`);
      let ps: PotentiostatBackend;
      if (pair.echem) {
        const e = pair.echem;
        ps = new PotentiostatOpcuaBackend({
          deviceId: e.device ?? stationDeviceId(e.unit),
          unit: e.unit,
          connection: connectionOptions(e, { config, logger, ...(opts.baseDir ? { baseDir: opts.baseDir } : {}) }),
          mapping: { programs: e.programs, results: e.results },
          requireLock: e.requireLock,
          logger: logger.child({ driver: e.device ?? stationDeviceId(e.unit) }),
        });
      } else {
        const key = `${brokerKey} ${lab}`;
        let world = links.get(key);
        if (!world) {
          world = new MirroredWorld();
          const link = new CellLinkSubscriber(lab, world, transport, logger);
          await link.start();
          closers.push(() => link.stop());
          links.set(key, world);
        }
        ps = new PotentiostatSimBackend({ deviceId: `ps-${cell}`, cellId: cell, world, clock: opts.clock, rng: rng.fork(`ps-${cell}`), logger: logger.child({ device: `ps-${cell}` }) });
      }
      closers.push(() => ps.stop());
      await ps.setup();
      stations.push(new Station(pair.id, cell, new LiquidHandler(lh, opts.spec.stocks, { logger }), new Potentiostat(ps)));
      logger.info({ pair: pair.id, liquidHandler: pair.liquidHandler.id, echem: pair.echem?.endpoint ?? 'in-process' }, 'external station pair connected');
    }
    return { stations, close };
  } catch (e) {
    await close();
    throw e;
  }
}
