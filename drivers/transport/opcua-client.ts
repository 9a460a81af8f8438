import { join } from 'node:path';
import {
  AttributeIds,
  BrowseDirection,
  ClientMonitoredItem,
  DataType,
  NodeClass,
  NodeId,
  OPCUACertificateManager,
  OPCUAClient,
  StatusCodes,
  TimestampsToReturn,
  UserTokenType,
  makeBrowsePath,
  type ClientSession,
  type ClientSubscription,
  type DataValue,
  type ExtensionObject,
  type ReferenceDescription,
  type StatusCode,
  type UserIdentityInfo,
  type VariantLike,
} from 'node-opcua';
import { OpaqueStructure } from 'node-opcua-extension-object';
import { silentLogger, type Logger } from '../../src/domain/index.ts';
import { checkClientSecurity, defaultPolicy, toMessageSecurityMode, toSecurityPolicy, type SecurityModeName, type SecurityPolicyName } from './opcua-security.ts';

/** An X.509 user identity: the certificate (DER) and its private key (PEM). */
export interface OpcuaCertificateIdentity {
  certificate: Buffer;
  privateKeyPem: string;
}

export interface OpcuaConnectionOptions {
  endpointUrl: string;
  securityMode?: SecurityModeName;
  /** Default: None for mode None, Basic256Sha256 otherwise. */
  securityPolicy?: SecurityPolicyName;
  /** Username/password identity ... */
  user?: { username: string; password: string };
  /** ... or an X.509 certificate identity; anonymous when neither is given. */
  certificate?: OpcuaCertificateIdentity;
  /** Connect without SignAndEncrypt to an endpoint that is not on loopback (refused otherwise). */
  allowInsecure?: boolean;
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

/**
 * Publishing interval a monitor asks for, ms. A run's end reaches the driver at the next publish after it, so the
 * interval bounds how long a trial waits once its measurement is over (ADR 0121); a server revises it up to its minimum.
 */
export const MONITOR_PUBLISHING_INTERVAL_MS = 10;

/** A path element: namespace URI + browse name. */
export type PathElement = readonly [namespaceUri: string, name: string];

export interface CallOutcome {
  statusCode: StatusCode;
  outputs: unknown[];
}

/** One reference found by `browse`, with the target's browse name resolved to its namespace URI. */
export interface BrowsedNode {
  nodeId: NodeId;
  namespaceUri: string;
  name: string;
  displayName: string;
  nodeClass: NodeClass;
  /** Type definition of an Object or Variable target (a NodeId in the server's index space). */
  typeDefinition: NodeId | undefined;
  referenceTypeId: NodeId;
}

export interface BrowseOptions {
  /** Reference type (default HierarchicalReferences, with subtypes). */
  referenceType?: string | NodeId;
  direction?: 'forward' | 'inverse';
  /** Node classes to keep (default all). */
  nodeClasses?: NodeClass[];
}

/**
 * One OPC UA client session: connect with a bounded retry (refusing insecure modes off loopback unless allowed),
 * resolve namespace indexes, translate browse paths, browse, call methods, read values and attributes, and monitor
 * values through one subscription. The only I/O of the OPC UA drivers.
 */
export class OpcuaClientTransport {
  private client: OPCUAClient | undefined;
  private session: ClientSession | undefined;
  private subscription: ClientSubscription | undefined;
  private subscribing: Promise<ClientSubscription> | undefined;
  private namespaces: string[] = [];
  private readonly logger: Logger;

  constructor(readonly options: OpcuaConnectionOptions) {
    this.logger = (options.logger ?? silentLogger).child({ transport: 'opcua', endpoint: options.endpointUrl });
  }

  /** Successful connects so far: a new value means a new session (the server restarted, say): caches may be stale. */
  get generation(): number {
    return this.connects;
  }

  /** Longest wait for one request's answer: node-opcua's transaction timeout plus a margin. */
  private get requestLimit_ms(): number {
    return ((this.options.requestTimeout_s ?? 15) + 5) * 1000;
  }

  get connected(): boolean {
    return this.session !== undefined && !this.stale;
  }

  private connects = 0;
  /** The session is gone (connection lost for good, session closed by the server): the next call opens a new one. */
  private stale = false;
  private reopening: Promise<void> | undefined;
  private nextReopen = 0;
  private reopenDelay_ms = 0;
  private everConnected = false;

  /** The monitor subscription's publishing interval as the server revised it, ms; undefined before `monitor`. */
  get publishingInterval_ms(): number | undefined {
    return this.subscription?.publishingInterval;
  }

  get namespaceArray(): readonly string[] {
    return this.namespaces;
  }

  async connect(): Promise<void> {
    if (this.session) return;
    const o = this.options;
    const mode = o.securityMode ?? 'None';
    checkClientSecurity(o.endpointUrl, mode, o.allowInsecure ?? false);
    const clientCertificateManager = new OPCUACertificateManager({
      rootFolder: join(o.pkiFolder, 'pki'),
      automaticallyAcceptUnknownCertificate: o.acceptUnknownServerCertificate ?? false,
    });
    const client = OPCUAClient.create({
      applicationName: o.applicationName ?? 'labloop',
      endpointMustExist: false,
      securityMode: toMessageSecurityMode(mode),
      securityPolicy: toSecurityPolicy(o.securityPolicy ?? defaultPolicy(mode)),
      clientCertificateManager,
      connectionStrategy: { maxRetry: 3, initialDelay: 100, maxDelay: 1000 },
      requestedSessionTimeout: (o.sessionTimeout_s ?? 60) * 1000,
      defaultTransactionTimeout: (o.requestTimeout_s ?? 15) * 1000,
      transportTimeout: (o.connectTimeout_s ?? 10) * 1000,
    });
    // A lost connection makes the session stale at once: the next request opens a new client and session rather than
    // waiting on node-opcua's own reconnection, whose session re-activation fails against a restarted server and left
    // requests queued without an answer.
    client.on('connection_lost', () => {
      this.logger.warn('connection lost');
      if (this.client === client) this.stale = true;
    });
    client.on('connection_reestablished', () => this.logger.info('connection re-established'));
    // node-opcua gave up reconnecting (or the server closed the channel): a new session on the next call.
    client.on('close', () => {
      if (this.client === client) this.stale = true;
    });
    const timeout = (o.connectTimeout_s ?? 10) * 1000;
    try {
      await withTimeout(client.connect(o.endpointUrl), timeout, `connect to ${o.endpointUrl}`);
      const session = await withTimeout(client.createSession(identityOf(o)), timeout, 'create session');
      session.on('session_closed', () => {
        if (this.session === session) this.stale = true;
      });
      const namespaces = await session.readNamespaceArray();
      if (this.everConnected && namespaces.join('\n') !== this.namespaces.join('\n')) this.logger.warn({ before: this.namespaces.length, now: namespaces.length }, 'the server\'s namespace array changed across the reconnect');
      this.session = session;
      this.namespaces = namespaces;
    } catch (err) {
      this.session = undefined;
      await client.disconnect().catch(() => undefined);
      throw err;
    }
    this.client = client;
    this.connects++;
    this.everConnected = true;
    this.stale = false;
    this.logger.debug({ namespaces: this.namespaces.length, mode, identity: o.certificate ? 'certificate' : o.user ? 'username' : 'anonymous' }, 'session open');
  }

  /**
   * The session for one request: after the connection was lost for good (the server restarted, say), a new client
   * and session first — one attempt at a time, with a back-off from 250 ms to 2 s between failed attempts. Requests in
   * the meantime fail (callers poll or retry); subscriptions die with the old session (`monitor` makes a new one).
   */
  private async sess(): Promise<ClientSession> {
    if (this.stale && this.everConnected) {
      this.reopening ??= this.reopen().finally(() => (this.reopening = undefined));
      await this.reopening;
    }
    if (!this.session) throw new Error('OPC UA session not open');
    return this.session;
  }

  private async reopen(): Promise<void> {
    if (Date.now() < this.nextReopen) throw new Error('OPC UA connection lost; reconnecting');
    const { client, session } = this;
    this.session = undefined;
    this.subscription = undefined;
    this.client = undefined;
    await withTimeout(session?.close().catch(() => undefined) ?? Promise.resolve(), 1000, 'close the old session').catch(() => undefined);
    await withTimeout(client?.disconnect().catch(() => undefined) ?? Promise.resolve(), 1000, 'disconnect the old client').catch(() => undefined);
    try {
      await this.connect();
      this.reopenDelay_ms = 0;
      this.logger.info({ generation: this.connects }, 'OPC UA session re-opened after the connection was lost');
    } catch (err) {
      this.stale = true;
      this.reopenDelay_ms = Math.min(2000, Math.max(250, this.reopenDelay_ms * 2));
      this.nextReopen = Date.now() + this.reopenDelay_ms;
      throw err;
    }
  }

  /**
   * Runs one request, bounded by the request timeout (plus a margin over node-opcua's own); a connection-level failure
   * or an unanswered request marks the session stale, so the next request opens a new one.
   */
  private async req<T>(f: (s: ClientSession) => Promise<T>): Promise<T> {
    const s = await this.sess();
    try {
      return await withTimeout(f(s), this.requestLimit_ms, REQUEST_UNANSWERED);
    } catch (err) {
      if (isConnectionError(err) && this.session === s) {
        this.stale = true;
        this.logger.warn({ err: String(err) }, 'OPC UA request failed on a lost connection; the next request reconnects');
      }
      throw err;
    }
  }

  /** Index of a namespace URI on this server; throws when the server does not have it. */
  namespaceIndex(uri: string): number {
    const i = this.namespaces.indexOf(uri);
    if (i < 0) throw new Error(`server has no namespace ${uri}`);
    return i;
  }

  hasNamespace(uri: string): boolean {
    return this.namespaces.includes(uri);
  }

  /** A numeric node id in the namespace `uri` (a type of a companion specification, say). */
  nodeId(uri: string, id: number): NodeId {
    return new NodeId(NodeId.NodeIdType.NUMERIC, id, this.namespaceIndex(uri));
  }

  /** Resolves paths (each relative to `start`, default the Objects folder). Missing nodes come back undefined. */
  async translate(paths: readonly (readonly PathElement[])[], start: NodeId | string = 'i=85'): Promise<(NodeId | undefined)[]> {
    const from = typeof start === 'string' ? NodeId.resolveNodeId(start) : start;
    return this.translateFrom(paths.map((path) => ({ start: from, path })));
  }

  /** Like `translate`, each path from its own start node (one request for all). */
  async translateFrom(items: readonly { start: NodeId; path: readonly PathElement[] }[]): Promise<(NodeId | undefined)[]> {
    if (items.length === 0) return [];
    const usable = items.map((it) => it.path.every(([uri]) => this.hasNamespace(uri)));
    const browsePaths = items
      .filter((_, i) => usable[i])
      .map((it) => makeBrowsePath(it.start, it.path.map(([uri, name]) => `/${this.namespaceIndex(uri)}:${escapeName(name)}`).join('')));
    const results = browsePaths.length > 0 ? await this.req((s) => s.translateBrowsePath(browsePaths)) : [];
    let k = 0;
    return usable.map((ok) => {
      if (!ok) return undefined;
      const r = results[k++];
      return r && r.statusCode.isGood() && r.targets && r.targets.length > 0 ? (r.targets[0]?.targetId as NodeId) : undefined;
    });
  }

  async call(objectId: NodeId, methodId: NodeId, inputArguments: VariantLike[] = []): Promise<CallOutcome> {
    const r = await this.req((s) => s.call({ objectId, methodId, inputArguments }));
    return { statusCode: r.statusCode, outputs: (r.outputArguments ?? []).map((v) => v.value as unknown) };
  }

  async read(nodeIds: readonly NodeId[]): Promise<DataValue[]> {
    if (nodeIds.length === 0) return [];
    return this.req((s) => s.read(nodeIds.map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value }))));
  }

  /** Reads one attribute of several nodes. */
  async readAttribute(nodeIds: readonly NodeId[], attributeId: AttributeIds): Promise<DataValue[]> {
    if (nodeIds.length === 0) return [];
    return this.req((s) => s.read(nodeIds.map((nodeId) => ({ nodeId, attributeId }))));
  }

  /** References of a node (hierarchical and forward by default), following continuation points. */
  async browse(nodeId: NodeId | string, o: BrowseOptions = {}): Promise<BrowsedNode[]> {
    const mask = (o.nodeClasses ?? []).reduce((m, c) => m | c, 0);
    const out: BrowsedNode[] = [];
    let r = await this.req((s) => s.browse({
      nodeId,
      browseDirection: o.direction === 'inverse' ? BrowseDirection.Inverse : BrowseDirection.Forward,
      referenceTypeId: o.referenceType ?? 'HierarchicalReferences',
      includeSubtypes: true,
      nodeClassMask: mask,
      resultMask: 0x3f,
    }));
    if (!r.statusCode.isGood()) return [];
    for (let pages = 0; pages < 1000; pages++) {
      for (const ref of r.references ?? []) out.push(this.describe(ref));
      if (!r.continuationPoint || r.continuationPoint.length === 0) break;
      [r] = (await this.req((s) => s.browseNext([(r as { continuationPoint: Buffer }).continuationPoint], false))) as [typeof r];
    }
    return out;
  }

  private describe(ref: ReferenceDescription): BrowsedNode {
    const td = ref.typeDefinition as NodeId | undefined;
    return {
      nodeId: ref.nodeId as NodeId,
      namespaceUri: this.namespaces[ref.browseName.namespaceIndex] ?? '',
      name: ref.browseName.name ?? '',
      displayName: ref.displayName.text ?? ref.browseName.name ?? '',
      nodeClass: ref.nodeClass,
      typeDefinition: td && !td.isEmpty() ? td : undefined,
      referenceTypeId: ref.referenceTypeId,
    };
  }

  /**
   * An ExtensionObject of a structure made only of String fields, encoded here (binary: Int32 length + UTF-8 per
   * field) under its Default Binary encoding id. Avoids downloading every data-type definition of the server, which
   * `constructExtensionObject` does on first use (seconds with the LADS/DI/Machinery nodesets).
   */
  stringStructure(namespaceUri: string, binaryEncodingId: number, fields: readonly string[]): ExtensionObject {
    return new OpaqueStructure(new NodeId(NodeId.NodeIdType.NUMERIC, binaryEncodingId, this.namespaceIndex(namespaceUri)), encodeStringFields(fields));
  }

  /**
   * Calls `onChange` whenever one of the values changes (one shared subscription). Returns a function that stops it.
   * The keep-alive (≈ 0.4 s) and the lifetime (≈ 12 s) are asked for in wall time whatever the publishing interval;
   * a server revises the interval up to its own minimum (node-opcua's is 50 ms).
   */
  async monitor(nodeIds: readonly NodeId[], onChange: (index: number, value: DataValue) => void, publishingInterval_ms = MONITOR_PUBLISHING_INTERVAL_MS): Promise<() => Promise<void>> {
    // Units set up concurrently share the one subscription: the first creates it, the others wait for it.
    const subscription = this.subscription ?? (await (this.subscribing ??= this.createSubscription(publishingInterval_ms)));
    const items = await Promise.all(
      nodeIds.map(async (nodeId, i) => {
        const item = ClientMonitoredItem.create(
          subscription,
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

  /**
   * Creates the monitor subscription. An answer that arrives on a session the transport has meanwhile replaced (the
   * connection was lost and re-opened in between) names a subscription of the closed session: it is dropped and the
   * subscription is created again on the new session (one more attempt).
   */
  private async createSubscription(publishingInterval_ms: number): Promise<ClientSubscription> {
    try {
      for (let attempt = 1; ; attempt++) {
        let asked: ClientSession | undefined;
        const subscription = await this.req((s) => {
          asked = s;
          return s.createSubscription2({
            requestedPublishingInterval: publishingInterval_ms,
            requestedLifetimeCount: Math.ceil(12_000 / publishingInterval_ms),
            requestedMaxKeepAliveCount: Math.ceil(400 / publishingInterval_ms),
            maxNotificationsPerPublish: 1000,
            publishingEnabled: true,
            priority: 10,
          });
        });
        if (asked === this.session && !this.stale) {
          this.subscription = subscription;
          return subscription;
        }
        await withTimeout(subscription.terminate().catch(() => undefined), 1000, 'terminate a subscription of a closed session').catch(() => undefined);
        if (attempt >= 2) throw new Error('OPC UA session re-opened twice while the monitor subscription was being created');
        this.logger.info('OPC UA session re-opened while subscribing; subscribing again on the new session');
      }
    } finally {
      this.subscribing = undefined;
    }
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

const REQUEST_UNANSWERED = 'OPC UA request unanswered';

/** A failure of the connection or session (not of the request itself), or no answer at all: worth a new session. */
export function isConnectionError(err: unknown): boolean {
  const text = `${(err as { name?: string } | undefined)?.name ?? ''} ${String((err as Error | undefined)?.message ?? err)}`;
  return /BadSession|BadSecureChannel|BadConnection|BadNotConnected|BadTcp|BadCommunication|BadServerNotConnected|BadTimeout|timed out|timeout|not connected|connection break|connection lost|disconnected|closed|socket|ECONNREFUSED|ECONNRESET|EPIPE|premature|channel/i.test(text) || text.includes(REQUEST_UNANSWERED);
}

function identityOf(o: OpcuaConnectionOptions): UserIdentityInfo {
  if (o.certificate) return { type: UserTokenType.Certificate, certificateData: o.certificate.certificate, privateKey: o.certificate.privateKeyPem };
  if (o.user) return { type: UserTokenType.UserName, userName: o.user.username, password: o.user.password };
  return { type: UserTokenType.Anonymous };
}

/** Binary encoding of a structure of String fields: Int32 byte length + UTF-8 per field. */
export function encodeStringFields(fields: readonly string[]): Buffer {
  const parts = fields.map((f) => Buffer.from(f, 'utf8'));
  const body = Buffer.alloc(parts.reduce((n, b) => n + 4 + b.length, 0));
  let at = 0;
  for (const b of parts) {
    body.writeInt32LE(b.length, at);
    b.copy(body, at + 4);
    at += 4 + b.length;
  }
  return body;
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

export { AttributeIds, DataType, NodeClass, NodeId, StatusCodes };
