import { join } from 'node:path';
import {
  AttributeIds,
  BrowseDirection,
  ClientMonitoredItem,
  DataType,
  MessageSecurityMode,
  NodeClassMask,
  NodeId,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
  StatusCodes,
  TimestampsToReturn,
  UserTokenType,
  makeBrowsePath,
  type ClientSession,
  type ClientSubscription,
  type DataValue,
  type ExtensionObject,
  type StatusCode,
  type VariantLike,
} from 'node-opcua';
import { OpaqueStructure } from 'node-opcua-extension-object';
import { silentLogger, type Logger } from '../../src/domain/index.ts';

export interface OpcuaConnectionOptions {
  endpointUrl: string;
  securityMode?: 'None' | 'Sign' | 'SignAndEncrypt';
  securityPolicy?: 'None' | 'Basic256Sha256';
  /** Username/password identity; anonymous when absent. */
  user?: { username: string; password: string };
  /** Folder of the client's own PKI (certificate, trusted servers). Project-local. */
  pkiFolder: string;
  /** Trust a server certificate seen for the first time (tests on loopback only). */
  acceptUnknownServerCertificate?: boolean;
  applicationName?: string;
  /** Wall-clock limits, s. */
  connectTimeout_s?: number;
  requestTimeout_s?: number;
  sessionTimeout_s?: number;
  logger?: Logger;
}

/** A path element: namespace URI + browse name. */
export type PathElement = readonly [namespaceUri: string, name: string];

export interface CallOutcome {
  statusCode: StatusCode;
  outputs: unknown[];
}

/**
 * One OPC UA client session: connect with a bounded retry, resolve namespace indexes, translate browse paths,
 * call methods, read values, browse, and monitor values through one subscription. The only I/O of the OPC UA drivers.
 */
export class OpcuaClientTransport {
  private client: OPCUAClient | undefined;
  private session: ClientSession | undefined;
  private subscription: ClientSubscription | undefined;
  private namespaces: string[] = [];
  private readonly logger: Logger;

  constructor(readonly options: OpcuaConnectionOptions) {
    this.logger = (options.logger ?? silentLogger).child({ transport: 'opcua', endpoint: options.endpointUrl });
  }

  get connected(): boolean {
    return this.session !== undefined;
  }

  async connect(): Promise<void> {
    if (this.session) return;
    const o = this.options;
    const clientCertificateManager = new OPCUACertificateManager({
      rootFolder: join(o.pkiFolder, 'pki'),
      automaticallyAcceptUnknownCertificate: o.acceptUnknownServerCertificate ?? false,
    });
    const client = OPCUAClient.create({
      applicationName: o.applicationName ?? 'labloop',
      endpointMustExist: false,
      securityMode: MessageSecurityMode[o.securityMode ?? 'None'],
      securityPolicy: o.securityPolicy === 'Basic256Sha256' ? SecurityPolicy.Basic256Sha256 : SecurityPolicy.None,
      clientCertificateManager,
      connectionStrategy: { maxRetry: 3, initialDelay: 100, maxDelay: 1000 },
      requestedSessionTimeout: (o.sessionTimeout_s ?? 60) * 1000,
      defaultTransactionTimeout: (o.requestTimeout_s ?? 15) * 1000,
      transportTimeout: (o.connectTimeout_s ?? 10) * 1000,
    });
    client.on('connection_lost', () => this.logger.warn('connection lost'));
    client.on('connection_reestablished', () => this.logger.info('connection re-established'));
    const timeout = (o.connectTimeout_s ?? 10) * 1000;
    await withTimeout(client.connect(o.endpointUrl), timeout, `connect to ${o.endpointUrl}`);
    try {
      const identity = o.user
        ? { type: UserTokenType.UserName as const, userName: o.user.username, password: o.user.password }
        : { type: UserTokenType.Anonymous as const };
      this.session = await withTimeout(client.createSession(identity), timeout, 'create session');
      this.namespaces = await this.session.readNamespaceArray();
    } catch (err) {
      await client.disconnect().catch(() => undefined);
      throw err;
    }
    this.client = client;
    this.logger.debug({ namespaces: this.namespaces.length }, 'session open');
  }

  private get s(): ClientSession {
    if (!this.session) throw new Error('OPC UA session not open');
    return this.session;
  }

  namespaceIndex(uri: string): number {
    const i = this.namespaces.indexOf(uri);
    if (i < 0) throw new Error(`server has no namespace ${uri}`);
    return i;
  }

  /** Resolves paths (each relative to `start`, default the Objects folder). Missing nodes come back undefined. */
  async translate(paths: readonly (readonly PathElement[])[], start: NodeId | string = 'i=85'): Promise<(NodeId | undefined)[]> {
    if (paths.length === 0) return [];
    const browsePaths = paths.map((p) => makeBrowsePath(start, p.map(([uri, name]) => `/${this.namespaceIndex(uri)}:${escapeName(name)}`).join('')));
    const results = await this.s.translateBrowsePath(browsePaths);
    return results.map((r) => (r.statusCode.isGood() && r.targets && r.targets.length > 0 ? (r.targets[0]?.targetId as NodeId) : undefined));
  }

  async call(objectId: NodeId, methodId: NodeId, inputArguments: VariantLike[] = []): Promise<CallOutcome> {
    const r = await this.s.call({ objectId, methodId, inputArguments });
    return { statusCode: r.statusCode, outputs: (r.outputArguments ?? []).map((v) => v.value as unknown) };
  }

  async read(nodeIds: readonly NodeId[]): Promise<DataValue[]> {
    if (nodeIds.length === 0) return [];
    return this.s.read(nodeIds.map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value })));
  }

  /** Forward hierarchical children (objects) of a node: browse name and node id. */
  async children(nodeId: NodeId): Promise<{ name: string; nodeId: NodeId }[]> {
    const out: { name: string; nodeId: NodeId }[] = [];
    let r = await this.s.browse({ nodeId, browseDirection: BrowseDirection.Forward, referenceTypeId: 'HierarchicalReferences', includeSubtypes: true, nodeClassMask: NodeClassMask.Object, resultMask: 0x3f });
    for (;;) {
      for (const ref of r.references ?? []) out.push({ name: ref.browseName.name ?? '', nodeId: ref.nodeId as NodeId });
      if (!r.continuationPoint || r.continuationPoint.length === 0) break;
      [r] = (await this.s.browseNext([r.continuationPoint], false)) as [typeof r];
    }
    return out;
  }

  async constructExtensionObject(namespaceUri: string, id: number, pojo: Record<string, unknown>): Promise<ExtensionObject> {
    return this.s.constructExtensionObject(new NodeId(NodeId.NodeIdType.NUMERIC, id, this.namespaceIndex(namespaceUri)), pojo);
  }

  /**
   * An ExtensionObject of a structure made only of String fields, encoded here (binary: Int32 length + UTF-8 per
   * field) under its Default Binary encoding id. Avoids downloading every data-type definition of the server, which
   * `constructExtensionObject` does on first use (seconds with the LADS/DI/Machinery nodesets).
   */
  stringStructure(namespaceUri: string, binaryEncodingId: number, fields: readonly string[]): ExtensionObject {
    const parts = fields.map((f) => Buffer.from(f, 'utf8'));
    const body = Buffer.alloc(parts.reduce((n, b) => n + 4 + b.length, 0));
    let at = 0;
    for (const b of parts) {
      body.writeInt32LE(b.length, at);
      b.copy(body, at + 4);
      at += 4 + b.length;
    }
    return new OpaqueStructure(new NodeId(NodeId.NodeIdType.NUMERIC, binaryEncodingId, this.namespaceIndex(namespaceUri)), body);
  }

  /** Calls `onChange` whenever one of the values changes (one shared subscription). Returns a function that stops it. */
  async monitor(nodeIds: readonly NodeId[], onChange: (index: number, value: DataValue) => void, publishingInterval_ms = 20): Promise<() => Promise<void>> {
    if (!this.subscription) {
      this.subscription = await this.s.createSubscription2({
        requestedPublishingInterval: publishingInterval_ms,
        requestedLifetimeCount: 600,
        requestedMaxKeepAliveCount: 20,
        maxNotificationsPerPublish: 1000,
        publishingEnabled: true,
        priority: 10,
      });
    }
    const items = await Promise.all(
      nodeIds.map(async (nodeId, i) => {
        const item = await ClientMonitoredItem.create(
          this.subscription as ClientSubscription,
          { nodeId, attributeId: AttributeIds.Value },
          { samplingInterval: 0, discardOldest: true, queueSize: 10 },
          TimestampsToReturn.Neither,
        );
        item.on('changed', (dv: DataValue) => onChange(i, dv));
        return item;
      }),
    );
    return async () => {
      await Promise.all(items.map((it) => it.terminate().catch(() => undefined)));
    };
  }

  async close(): Promise<void> {
    const { client, session, subscription } = this;
    this.subscription = undefined;
    this.session = undefined;
    this.client = undefined;
    if (subscription) await subscription.terminate().catch(() => undefined);
    if (session) await session.close().catch(() => undefined);
    if (client) await client.disconnect().catch(() => undefined);
  }
}

/** Browse-path BNF reserves `/ . < > : # ! &`: escape them with `&`. */
function escapeName(name: string): string {
  return name.replace(/[/.<>:#!&]/g, (c) => `&${c}`);
}

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

export { DataType, StatusCodes };
