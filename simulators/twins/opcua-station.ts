import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  DataType,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAServer,
  SecurityPolicy,
  coerceLocalizedText,
  nodesets,
  type ISessionContext,
  type UAObject,
  type UAVariable,
} from 'node-opcua';
import { silentLogger, type Clock, type Logger } from '../../src/domain/index.ts';
import { NAMESPACES } from '../../drivers/electrochem/node-map.ts';
import type { EchemStationCore } from '../echem/station-core.ts';
import { OpcuaStationUnit, type Role } from './opcua-station-unit.ts';

export interface OpcuaStationUser {
  username: string;
  password: string;
  role: Role;
}

export interface OpcuaStationTwinOptions {
  /** Stations to host: one LADS device each, with one functional unit named after its cell (`unit`, default core.cellId). */
  stations: { deviceId: string; core: EchemStationCore; unit?: string }[];
  /** The clock the cores run on (ActiveProgram runtimes). */
  clock: Clock;
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Interface to listen on (default loopback). */
  host?: string;
  /** Folder for the server's own PKI (certificate, trust lists). Project-local; created when missing. */
  pkiFolder: string;
  /** Security modes offered (default None and SignAndEncrypt with Basic256Sha256). */
  securityModes?: ('None' | 'SignAndEncrypt')[];
  /** Accept client certificates nobody trusted yet (tests; default false). */
  acceptUnknownCertificates?: boolean;
  users?: OpcuaStationUser[];
  /** Anonymous sessions (default true) and the role they get (default operator). */
  allowAnonymous?: boolean;
  anonymousRole?: Role;
  retainResults?: number;
  logger?: Logger;
}

/**
 * An electrochemical-station twin: a real node-opcua server modelled on LADS (the LADS, DI and Machinery nodesets
 * that node-opcua ships), hosting one LADS device per station under DeviceSet, each driven by a transport-free
 * EchemStationCore. Wire contract: drivers/electrochem/node-map.ts. One server can host many stations (16 at least:
 * each unit is a few hundred nodes).
 */
export class OpcuaStationTwin {
  private server: OPCUAServer | undefined;
  private readonly units: OpcuaStationUnit[] = [];
  private readonly logger: Logger;

  constructor(private readonly options: OpcuaStationTwinOptions) {
    this.logger = (options.logger ?? silentLogger).child({ twin: 'opcua-station' });
  }

  get endpointUrl(): string {
    if (!this.server) throw new Error('OPC UA station twin not started');
    return this.server.getEndpointUrl();
  }

  async start(): Promise<void> {
    const o = this.options;
    mkdirSync(o.pkiFolder, { recursive: true });
    const serverCertificateManager = new OPCUACertificateManager({
      rootFolder: join(o.pkiFolder, 'pki'),
      automaticallyAcceptUnknownCertificate: o.acceptUnknownCertificates ?? false,
    });
    const modes = o.securityModes ?? ['None', 'SignAndEncrypt'];
    const users = new Map((o.users ?? []).map((u) => [u.username, u]));
    const server = new OPCUAServer({
      port: o.port ?? 0,
      host: o.host ?? '127.0.0.1',
      hostname: o.host ?? '127.0.0.1',
      nodeset_filename: [nodesets.standard, nodesets.di, nodesets.amb, nodesets.ia, nodesets.machinery, nodesets.lads],
      serverCertificateManager,
      securityModes: modes.map((m) => (m === 'None' ? MessageSecurityMode.None : MessageSecurityMode.SignAndEncrypt)),
      securityPolicies: [...(modes.includes('None') ? [SecurityPolicy.None] : []), ...(modes.includes('SignAndEncrypt') ? [SecurityPolicy.Basic256Sha256] : [])],
      allowAnonymous: o.allowAnonymous ?? true,
      userManager: { isValidUser: (username: string, password: string) => users.get(username)?.password === password },
      disableDiscovery: true,
      buildInfo: { productName: 'labloop OER station twin', manufacturerName: 'labloop', softwareVersion: '1' },
      serverInfo: { applicationUri: 'urn:labloop:echem-station-twin', productUri: 'urn:labloop', applicationName: { text: 'labloop station twin' } },
    });
    await server.initialize();
    const as = server.engine.addressSpace;
    if (!as) throw new Error('address space missing after initialize');
    const namespace = as.registerNamespace(NAMESPACES.LABLOOP);
    const nsDi = as.getNamespaceIndex(NAMESPACES.DI);
    const nsLads = as.getNamespaceIndex(NAMESPACES.LADS);
    const deviceSet = as.rootFolder.objects.getFolderElementByName('DeviceSet', nsDi);
    const deviceType = as.findObjectType('LADSDeviceType', nsLads);
    if (!deviceSet || !deviceType) throw new Error('DI DeviceSet or LADS LADSDeviceType missing');
    const anonymousRole = o.anonymousRole ?? 'operator';
    const roleOf = (c: ISessionContext): Role | undefined => {
      const name = c.getUserName();
      const user = name ? users.get(name) : undefined;
      if (user) return user.role;
      return (o.allowAnonymous ?? true) ? anonymousRole : undefined;
    };
    const ctx = { addressSpace: as, namespace, clock: o.clock, logger: this.logger, roleOf, retainResults: o.retainResults ?? 200 };

    const byDevice = new Map<string, { deviceId: string; core: EchemStationCore; unit?: string }[]>();
    for (const s of o.stations) byDevice.set(s.deviceId, [...(byDevice.get(s.deviceId) ?? []), s]);
    for (const [deviceId, entries] of byDevice) {
      const device = deviceType.instantiate({ browseName: { name: deviceId, namespaceIndex: namespace.index }, organizedBy: deviceSet }) as UAObject;
      this.describeDevice(device, deviceId, nsDi);
      const fuSet = device.getComponentByName('FunctionalUnitSet', nsLads) as UAObject;
      for (const e of entries) {
        const unit = new OpcuaStationUnit(ctx, deviceId, e.unit ?? e.core.cellId, e.core);
        unit.build(fuSet);
        this.units.push(unit);
      }
    }
    server.on('session_closed', (session) => {
      const id = session.nodeId.toString();
      for (const u of this.units) u.releaseSession(id);
    });
    await server.start();
    this.server = server;
    this.logger.info({ url: server.getEndpointUrl(), stations: byDevice.size, units: this.units.length }, 'OPC UA station twin listening');
  }

  private describeDevice(device: UAObject, deviceId: string, nsDi: number): void {
    const put = (name: string, value: string, localized = false): void => {
      const v = device.getChildByName(name, nsDi) as UAVariable | null;
      v?.setValueFromSource(localized ? { dataType: DataType.LocalizedText, value: coerceLocalizedText(value) } : { dataType: DataType.String, value });
    };
    put('Manufacturer', 'labloop', true);
    put('Model', 'simulated OER screening station', true);
    put('SerialNumber', deviceId);
    put('SoftwareRevision', '1');
    put('DeviceRevision', '1');
    put('HardwareRevision', 'simulated');
    put('AssetId', deviceId);
    put('ComponentName', deviceId, true);
    put('ProductInstanceUri', `urn:labloop:station:${deviceId}`);
  }

  async stop(): Promise<void> {
    for (const u of this.units) u.dispose();
    for (const u of this.units) u.core.abort();
    this.units.length = 0;
    const s = this.server;
    this.server = undefined;
    if (s) await s.shutdown(0);
  }
}
