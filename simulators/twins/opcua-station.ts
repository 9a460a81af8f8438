import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  AnonymousIdentityToken,
  DataType,
  OPCUACertificateManager,
  OPCUAServer,
  Subscription,
  UserNameIdentityToken,
  X509IdentityToken,
  coerceLocalizedText,
  nodesets,
  type ISessionContext,
  type UAObject,
  type UAVariable,
} from 'node-opcua';
import { silentLogger, type Clock, type Logger } from '../../src/domain/index.ts';
import { LABLOOP_NAMESPACE } from '../../drivers/electrochem/node-map.ts';
import { LADS_NAMESPACES, TRANSPORT_LIMITS } from '../../drivers/lads/node-map.ts';
import { SECURE_POLICIES, checkServerSecurity, isLoopbackHost, toMessageSecurityMode, toSecurityPolicy, type SecurityModeName, type SecurityPolicyName } from '../../drivers/transport/opcua-security.ts';
import type { EchemStationCore } from '../echem/station-core.ts';
import { repairSharedTypeChildren, stateMachine } from './lads-address-space.ts';
import { OpcuaStationUnit, type Role } from './opcua-station-unit.ts';

export interface OpcuaStationUser {
  /** User name; for a certificate identity, the certificate's subject common name. */
  username: string;
  /** Password of a username/password login; absent for a user that logs in only with a certificate. */
  password?: string;
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
  /** Security modes offered (default: None and SignAndEncrypt on loopback, SignAndEncrypt only elsewhere). */
  securityModes?: SecurityModeName[];
  /** Policies of the secured endpoints (default Basic256Sha256, Aes128_Sha256_RsaOaep, Aes256_Sha256_RsaPss). */
  securityPolicies?: Exclude<SecurityPolicyName, 'None'>[];
  /** Offer None or Sign on an interface that is not loopback (refused otherwise). */
  allowInsecure?: boolean;
  /** Accept client (application) certificates nobody trusted yet (tests and loopback; default false). */
  acceptUnknownCertificates?: boolean;
  users?: OpcuaStationUser[];
  /** X.509 user certificates (DER) accepted as identities; the subject CN names the user in `users`. */
  trustedUserCertificates?: Buffer[];
  /** Anonymous sessions (default true) and the role they get (default operator). */
  allowAnonymous?: boolean;
  anonymousRole?: Role;
  retainResults?: number;
  /**
   * Shortest publishing interval granted to a subscription, ms (default 10; node-opcua's own floor is 50). node-opcua
   * keeps it as a static of its Subscription class, so it holds for every OPC UA server in the process: the twins
   * are the only ones labloop hosts (ADR 0121).
   */
  minimumPublishingInterval_ms?: number;
  logger?: Logger;
}

/** A station twin grants publishing intervals down to this, ms: a run's end is published within it (ADR 0121). */
export const TWIN_MINIMUM_PUBLISHING_INTERVAL_MS = 10;

/**
 * An electrochemical-station twin: a real node-opcua server modelled on LADS (the LADS, DI and Machinery nodesets
 * that node-opcua ships), hosting one LADS device per station under DeviceSet, each driven by a transport-free
 * EchemStationCore. Layout: drivers/electrochem/node-map.ts and docs/devices-opcua.md. One server can host many
 * stations (16 at least). Security: SignAndEncrypt with Basic256Sha256 / Aes128_Sha256_RsaOaep / Aes256_Sha256_RsaPss,
 * None only on loopback unless allowed; identities anonymous, username/password and X.509 certificates, each
 * mapped to a role (observers read, operators start and stop programs and take locks).
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
    const host = o.host ?? '127.0.0.1';
    const modes = o.securityModes ?? (isLoopbackHost(host) ? ['None', 'SignAndEncrypt'] : ['SignAndEncrypt']);
    checkServerSecurity(host, modes, o.allowInsecure ?? false);
    mkdirSync(o.pkiFolder, { recursive: true });
    const serverCertificateManager = new OPCUACertificateManager({ rootFolder: join(o.pkiFolder, 'pki'), automaticallyAcceptUnknownCertificate: o.acceptUnknownCertificates ?? false });
    const userCertificateManager = new OPCUACertificateManager({ rootFolder: join(o.pkiFolder, 'user-pki'), automaticallyAcceptUnknownCertificate: false });
    await userCertificateManager.initialize();
    for (const cert of o.trustedUserCertificates ?? []) await userCertificateManager.trustCertificate(cert);
    const users = new Map((o.users ?? []).map((u) => [u.username, u]));
    const secured = modes.filter((m) => m !== 'None');
    const policies = secured.length > 0 ? (o.securityPolicies ?? [...SECURE_POLICIES]) : [];
    Subscription.minimumPublishingInterval = o.minimumPublishingInterval_ms ?? TWIN_MINIMUM_PUBLISHING_INTERVAL_MS;
    const server = new OPCUAServer({
      port: o.port ?? 0,
      host,
      hostname: host,
      nodeset_filename: [nodesets.standard, nodesets.di, nodesets.amb, nodesets.ia, nodesets.machinery, nodesets.lads],
      serverCertificateManager,
      userCertificateManager,
      securityModes: modes.map(toMessageSecurityMode),
      securityPolicies: [...(modes.includes('None') ? ['None' as const] : []), ...policies].map(toSecurityPolicy),
      allowAnonymous: o.allowAnonymous ?? true,
      userManager: { isValidUser: (username: string, password: string) => { const u = users.get(username); return u?.password !== undefined && u.password === password; } },
      disableDiscovery: true,
      transportSettings: { adjustTransportLimits: (l) => ({ ...l, maxMessageSize: Math.min(l.maxMessageSize || TRANSPORT_LIMITS.maxMessageSize, TRANSPORT_LIMITS.maxMessageSize), maxChunkCount: Math.min(l.maxChunkCount || TRANSPORT_LIMITS.maxChunkCount, TRANSPORT_LIMITS.maxChunkCount) }) },
      buildInfo: { productName: 'labloop OER station twin', manufacturerName: 'labloop', softwareVersion: '2' },
      serverInfo: { applicationUri: 'urn:labloop:echem-station-twin', productUri: 'urn:labloop', applicationName: { text: 'labloop station twin' } },
    });
    await server.initialize();
    const as = server.engine.addressSpace;
    if (!as) throw new Error('address space missing after initialize');
    const repaired = repairSharedTypeChildren(as, LADS_NAMESPACES.LADS);
    const namespace = as.registerNamespace(LABLOOP_NAMESPACE);
    const nsDi = as.getNamespaceIndex(LADS_NAMESPACES.DI);
    const nsLads = as.getNamespaceIndex(LADS_NAMESPACES.LADS);
    const deviceSet = as.rootFolder.objects.getFolderElementByName('DeviceSet', nsDi);
    const deviceType = as.findObjectType('LADSDeviceType', nsLads);
    if (!deviceSet || !deviceType) throw new Error('DI DeviceSet or LADS LADSDeviceType missing');
    const anonymousRole = o.anonymousRole ?? 'operator';
    const roleOf = (c: ISessionContext): Role | undefined => {
      const token = c.session?.userIdentityToken;
      if (!c.session) return 'operator'; // in-process call
      if (token instanceof UserNameIdentityToken || token instanceof X509IdentityToken) return users.get(c.getUserName())?.role;
      if (token === undefined || token instanceof AnonymousIdentityToken) return (o.allowAnonymous ?? true) ? anonymousRole : undefined;
      return undefined;
    };
    const started = new Date();
    const ctx = { addressSpace: as, namespace, clock: o.clock, logger: this.logger, roleOf, retainResults: o.retainResults ?? 200, started };

    const byDevice = new Map<string, { deviceId: string; core: EchemStationCore; unit?: string }[]>();
    for (const s of o.stations) byDevice.set(s.deviceId, [...(byDevice.get(s.deviceId) ?? []), s]);
    for (const [deviceId, entries] of byDevice) {
      const device = deviceType.instantiate({
        browseName: { name: deviceId, namespaceIndex: namespace.index },
        organizedBy: deviceSet,
        namespace,
        optionals: ['DeviceState.AvailableStates', 'DeviceState.AvailableTransitions'],
      }) as UAObject;
      const deviceState = stateMachine(device.getComponentByName('DeviceState', nsLads) as UAObject);
      deviceState.setState('Initialization');
      this.describeDevice(device, deviceId, nsDi);
      const fuSet = device.getComponentByName('FunctionalUnitSet', nsLads) as UAObject;
      for (const e of entries) {
        const unit = new OpcuaStationUnit(ctx, deviceId, e.unit ?? e.core.cellId, e.core);
        unit.build(fuSet);
        this.units.push(unit);
      }
      deviceState.setState('Operate');
    }
    server.on('session_closed', (session) => {
      const id = session.nodeId.toString();
      for (const u of this.units) u.releaseSession(id);
    });
    await server.start();
    this.server = server;
    this.logger.info({ url: server.getEndpointUrl(), stations: byDevice.size, units: this.units.length, modes, policies, repairedTypeReferences: repaired }, 'OPC UA station twin listening');
  }

  /** Identification, on the device and on its Identification add-in (distinct nodes once the type is repaired). */
  private describeDevice(device: UAObject, deviceId: string, nsDi: number): void {
    const identification = device.getChildByName('Identification', nsDi);
    const put = (name: string, value: string, localized = false): void => {
      for (const parent of [device, identification]) {
        const v = parent?.getChildByName(name, nsDi) as UAVariable | null | undefined;
        v?.setValueFromSource(localized ? { dataType: DataType.LocalizedText, value: coerceLocalizedText(value) } : { dataType: DataType.String, value });
      }
    };
    put('Manufacturer', 'labloop', true);
    put('Model', 'simulated OER screening station', true);
    put('SerialNumber', deviceId);
    put('SoftwareRevision', '2');
    put('DeviceRevision', '1');
    put('HardwareRevision', 'simulated');
    put('AssetId', deviceId);
    put('ComponentName', deviceId, true);
    put('ProductInstanceUri', `urn:labloop:station:${deviceId}`);
    put('DeviceManual', 'docs/devices-opcua.md');
    for (const parent of [device, identification]) (parent?.getChildByName('RevisionCounter', nsDi) as UAVariable | null | undefined)?.setValueFromSource({ dataType: DataType.Int32, value: 1 });
  }

  /**
   * Shuts the server down. `keepRuns`: only the server stops (an instrument whose OPC UA server restarts): programs
   * in flight go on in their stations and a new twin on the same stations serves their results.
   */
  async stop(opts: { keepRuns?: boolean } = {}): Promise<void> {
    for (const u of this.units) u.dispose();
    if (!opts.keepRuns) for (const u of this.units) u.core.abort();
    this.units.length = 0;
    const s = this.server;
    this.server = undefined;
    if (s) await s.shutdown(0);
  }
}
