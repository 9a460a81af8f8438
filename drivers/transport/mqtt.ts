import net from 'node:net';
import tls from 'node:tls';
import { MqttClient, type IClientOptions, type IClientPublishOptions, type IPublishPacket } from 'mqtt';
import { DeviceError, silentLogger, type Logger } from '../../src/domain/index.ts';

/**
 * MQTT transport of labloop drivers: an mqtt.js client with TCP_NODELAY on every socket (Nagle plus delayed ACK
 * costs ≈ 88 ms per QoS 1 round trip on loopback, see STACK.md), MQTT 3.1.1 or 5 by option, credentials and TLS
 * passed in by the caller (never read from the environment), reconnect with exponential back-off and optional
 * persistent sessions. Drivers talk to the `MqttTransport` interface, so a recorder or a replay can stand in.
 */

export type MqttQos = 0 | 1 | 2;
export type MqttProtocolVersion = 4 | 5;

/** The MQTT 5 request/response properties labloop uses (ignored on 3.1.1). */
export interface MqttPublishProperties {
  responseTopic?: string;
  correlationData?: Buffer;
  messageExpiryInterval?: number;
  contentType?: string;
}

export interface MqttInboundMessage {
  topic: string;
  payload: Buffer;
  qos: MqttQos;
  retain: boolean;
  properties?: MqttPublishProperties;
}

export interface MqttPublishOptions {
  qos: MqttQos;
  retain?: boolean;
  properties?: MqttPublishProperties;
}

export type MessageListener = (message: MqttInboundMessage) => void;
export type ConnectionListener = (connected: boolean) => void;

/** What drivers need from an MQTT session. Implemented by the live client, the recorder and the replay. */
export interface MqttTransport {
  readonly clientId: string;
  readonly protocolVersion: MqttProtocolVersion;
  readonly connected: boolean;
  connect(): Promise<void>;
  /** Resolves when the broker acknowledged (QoS 1) or the packet was written (QoS 0). */
  publish(topic: string, payload: Buffer | string, options: MqttPublishOptions): Promise<void>;
  subscribe(filters: readonly string[], qos: MqttQos): Promise<void>;
  unsubscribe(filters: readonly string[]): Promise<void>;
  /** Adds a listener for every inbound publish; returns a function that removes it. */
  onMessage(listener: MessageListener): () => void;
  onConnectionChange(listener: ConnectionListener): () => void;
  close(options?: { force?: boolean }): Promise<void>;
}

export interface MqttTlsOptions {
  ca?: string | Buffer | Array<string | Buffer>;
  cert?: string | Buffer;
  key?: string | Buffer;
  servername?: string;
  rejectUnauthorized?: boolean;
}

export interface ReconnectPolicy {
  initialDelay_s: number;
  maxDelay_s: number;
  factor: number;
}

export const DEFAULT_RECONNECT: ReconnectPolicy = { initialDelay_s: 0.2, maxDelay_s: 10, factor: 2 };

export interface MqttConnectionOptions {
  /** `mqtt://host:port` (or `tcp://`), `mqtts://host:port` (or `ssl://`, `tls://`). */
  url: string;
  clientId: string;
  /** 4 = MQTT 3.1.1 (works everywhere, including aedes), 5 = MQTT 5. Default 4. */
  protocolVersion?: MqttProtocolVersion;
  username?: string;
  password?: string;
  /** TLS material for `mqtts://`; passed in from configuration. */
  tls?: MqttTlsOptions;
  /** false = persistent session (queued QoS 1 messages survive a short drop). Default true. */
  clean?: boolean;
  /** MQTT 5 session expiry when `clean` is false, s. Default 300. */
  sessionExpiry_s?: number;
  keepalive_s?: number;
  connectTimeout_s?: number;
  /** Exponential back-off between reconnect attempts; `false` disables reconnecting. */
  reconnect?: ReconnectPolicy | false;
  will?: { topic: string; payload: string | Buffer; qos: MqttQos; retain: boolean };
  logger?: Logger;
}

interface BrokerAddress {
  secure: boolean;
  host: string;
  port: number;
  username?: string;
  password?: string;
}

export function parseBrokerUrl(url: string): BrokerAddress {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`invalid broker url "${url}"`);
  }
  const scheme = parsed.protocol.replace(/:$/, '');
  const secure = scheme === 'mqtts' || scheme === 'ssl' || scheme === 'tls';
  if (!secure && scheme !== 'mqtt' && scheme !== 'tcp') throw new Error(`unsupported broker url scheme "${scheme}" (use mqtt:// or mqtts://)`);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new Error(`broker url "${url}" has no host`);
  const address: BrokerAddress = { secure, host, port: parsed.port ? Number(parsed.port) : secure ? 8883 : 1883 };
  if (parsed.username) address.username = decodeURIComponent(parsed.username);
  if (parsed.password) address.password = decodeURIComponent(parsed.password);
  return address;
}

/** Opens the socket with TCP_NODELAY set (plain or TLS over a no-delay TCP socket). */
function noDelayStream(address: BrokerAddress, tlsOptions: MqttTlsOptions | undefined): net.Socket {
  const socket = net.connect({ host: address.host, port: address.port, noDelay: true });
  socket.setNoDelay(true);
  if (!address.secure) return socket;
  const secure = tls.connect({
    socket,
    servername: tlsOptions?.servername ?? (net.isIP(address.host) ? undefined : address.host),
    ...(tlsOptions?.ca !== undefined ? { ca: tlsOptions.ca } : {}),
    ...(tlsOptions?.cert !== undefined ? { cert: tlsOptions.cert } : {}),
    ...(tlsOptions?.key !== undefined ? { key: tlsOptions.key } : {}),
    rejectUnauthorized: tlsOptions?.rejectUnauthorized ?? true,
  });
  secure.setNoDelay(true);
  return secure;
}

/**
 * Creates (but does not connect) an mqtt.js client whose sockets all have TCP_NODELAY. Call `client.connect()`,
 * or use `MqttClientTransport`, which also waits for the CONNACK.
 */
export function createMqttClient(options: MqttConnectionOptions): MqttClient {
  const address = parseBrokerUrl(options.url);
  const version = options.protocolVersion ?? 4;
  const clean = options.clean ?? true;
  const reconnect = options.reconnect === undefined ? DEFAULT_RECONNECT : options.reconnect;
  const clientOptions: IClientOptions = {
    clientId: options.clientId,
    protocolVersion: version,
    clean,
    keepalive: options.keepalive_s ?? 30,
    connectTimeout: (options.connectTimeout_s ?? 10) * 1000,
    reconnectPeriod: reconnect === false ? 0 : Math.max(1, Math.round(reconnect.initialDelay_s * 1000)),
    manualConnect: true,
    resubscribe: true,
  };
  const username = options.username ?? address.username;
  const password = options.password ?? address.password;
  if (username !== undefined) clientOptions.username = username;
  if (password !== undefined) clientOptions.password = password;
  if (version === 5 && !clean) clientOptions.properties = { sessionExpiryInterval: options.sessionExpiry_s ?? 300 };
  if (options.will) clientOptions.will = { topic: options.will.topic, payload: Buffer.from(options.will.payload), qos: options.will.qos, retain: options.will.retain };
  const client = new MqttClient(() => noDelayStream(address, options.tls), clientOptions);
  if (reconnect !== false) installBackoff(client, reconnect);
  return client;
}

/**
 * mqtt.js retries at a fixed period. Back-off: after every failed attempt the period grows by `factor` up to
 * `maxDelay_s`, and the pending retry timer is re-armed with the new period; a CONNACK resets it.
 */
function installBackoff(client: MqttClient, policy: ReconnectPolicy): void {
  const initial = Math.max(1, Math.round(policy.initialDelay_s * 1000));
  const max = Math.max(initial, Math.round(policy.maxDelay_s * 1000));
  const internals = client as unknown as { _clearReconnect?: () => void };
  client.on('reconnect', () => {
    client.options.reconnectPeriod = Math.min(max, Math.round((client.options.reconnectPeriod ?? initial) * policy.factor));
    // Drop the fixed-period timer; mqtt.js arms a new one with the new period when this attempt's socket closes.
    internals._clearReconnect?.();
  });
  client.on('connect', () => {
    client.options.reconnectPeriod = initial;
  });
}

function propertiesOf(packet: IPublishPacket): MqttPublishProperties | undefined {
  const p = packet.properties;
  if (!p) return undefined;
  const out: MqttPublishProperties = {};
  if (p.responseTopic !== undefined) out.responseTopic = p.responseTopic;
  if (p.correlationData !== undefined) out.correlationData = Buffer.from(p.correlationData);
  if (p.messageExpiryInterval !== undefined) out.messageExpiryInterval = p.messageExpiryInterval;
  if (p.contentType !== undefined) out.contentType = p.contentType;
  return Object.keys(out).length > 0 ? out : undefined;
}

const AUTH_CODES = new Set([4, 5, 134, 135]);

/** A broker URL without credentials, for messages and logs (`mqtts://host:port`). */
export function brokerLabel(url: string): string {
  try {
    const a = parseBrokerUrl(url);
    return `${a.secure ? 'mqtts' : 'mqtt'}://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
  } catch {
    return '(invalid broker url)';
  }
}

/** Node's codes for a server certificate that cannot be verified (retrying does not help). */
const CERTIFICATE_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_SSL|ERR_TLS/;

/**
 * Connects an mqtt.js client created with `manualConnect` and waits for the CONNACK. Rejects with DeviceError
 * ACCESS_DENIED when the broker refuses the credentials, UNTRUSTED_CERTIFICATE when the broker's TLS certificate
 * cannot be verified, DEVICE_LOST when no CONNACK arrives in time (with the last connection error, if any); the
 * client is ended in every case, so it stops retrying. Messages name the broker (`broker`, without credentials).
 */
export function connectClient(client: MqttClient, timeout_ms: number, label: string, broker?: string): Promise<void> {
  if (client.connected) return Promise.resolve();
  const at = broker ? `broker ${brokerLabel(broker)}` : 'the broker';
  return new Promise<void>((resolve, reject) => {
    let lastError: string | undefined;
    const cleanup = (): void => {
      clearTimeout(timer);
      client.removeListener('connect', onConnect);
      client.removeListener('error', onError);
    };
    const onConnect = (): void => {
      cleanup();
      resolve();
    };
    const fail = (error: DeviceError): void => {
      cleanup();
      // A manualConnect client clears `disconnecting` once ended; a socket that closes after that (a failed TLS
      // handshake closes late) would arm mqtt.js's reconnect interval and keep the process alive for ever.
      client.options.reconnectPeriod = 0;
      client.end(true);
      reject(error);
    };
    const onError = (err: Error & { code?: unknown }): void => {
      lastError = typeof err.code === 'string' ? `${err.message} (${err.code})` : err.message;
      if (typeof err.code === 'number' && AUTH_CODES.has(err.code)) fail(DeviceError.of('ACCESS_DENIED', `${at} refused ${label}: ${err.message} — check the MQTT username and password`));
      else if (typeof err.code === 'string' && CERTIFICATE_ERROR.test(err.code))
        fail(DeviceError.of('UNTRUSTED_CERTIFICATE', `TLS to ${at} failed for ${label}: ${lastError} — give the CA that signed the broker's certificate (stations file broker.tls.caFile or LABLOOP_MQTT_CA_FILE)`));
    };
    const timer = setTimeout(() => fail(DeviceError.of('DEVICE_LOST', `no CONNACK from ${at} within ${timeout_ms} ms (${label})${lastError ? `; last error: ${lastError}` : ''}`)), timeout_ms);
    client.on('connect', onConnect);
    client.on('error', onError);
    client.connect();
  });
}

/** The listener registry every MqttTransport implementation keeps (live client, replay). */
export class TransportListeners {
  private readonly messageListeners = new Set<MessageListener>();
  private readonly connectionListeners = new Set<ConnectionListener>();

  onMessage(listener: MessageListener): () => void {
    this.messageListeners.add(listener);
    return () => this.messageListeners.delete(listener);
  }

  onConnectionChange(listener: ConnectionListener): () => void {
    this.connectionListeners.add(listener);
    return () => this.connectionListeners.delete(listener);
  }

  emitMessage(message: MqttInboundMessage): void {
    for (const l of this.messageListeners) l(message);
  }

  emitConnection(connected: boolean): void {
    for (const l of this.connectionListeners) l(connected);
  }
}

/** The live transport: one mqtt.js client. */
export class MqttClientTransport implements MqttTransport {
  readonly clientId: string;
  readonly protocolVersion: MqttProtocolVersion;
  readonly client: MqttClient;
  private readonly logger: Logger;
  private readonly listeners = new TransportListeners();
  private readonly connectTimeout_ms: number;
  private readonly url: string;

  constructor(options: MqttConnectionOptions) {
    this.clientId = options.clientId;
    this.url = options.url;
    this.protocolVersion = options.protocolVersion ?? 4;
    this.logger = (options.logger ?? silentLogger).child({ component: 'mqtt', clientId: options.clientId });
    this.connectTimeout_ms = (options.connectTimeout_s ?? 10) * 1000;
    this.client = createMqttClient(options);
    this.client.on('message', (topic, payload, packet) => {
      const message: MqttInboundMessage = { topic, payload, qos: packet.qos, retain: packet.retain };
      const properties = propertiesOf(packet);
      if (properties) message.properties = properties;
      this.listeners.emitMessage(message);
    });
    this.client.on('connect', (connack) => {
      this.logger.debug({ sessionPresent: connack.sessionPresent }, 'mqtt connected');
      this.listeners.emitConnection(true);
    });
    this.client.on('close', () => this.listeners.emitConnection(false));
    this.client.on('reconnect', () => this.logger.debug({ nextDelay_ms: this.client.options.reconnectPeriod }, 'mqtt reconnecting'));
    // An 'error' event without a listener would crash the process.
    this.client.on('error', (err) => this.logger.warn({ err: err.message }, 'mqtt client error'));
  }

  get connected(): boolean {
    return this.client.connected;
  }

  /** Connects and waits for the CONNACK; throws DeviceError (DEVICE_LOST, ACCESS_DENIED or UNTRUSTED_CERTIFICATE) on failure or timeout. */
  connect(): Promise<void> {
    return connectClient(this.client, this.connectTimeout_ms, this.clientId, this.url);
  }

  async publish(topic: string, payload: Buffer | string, options: MqttPublishOptions): Promise<void> {
    const opts: IClientPublishOptions = { qos: options.qos, retain: options.retain ?? false };
    if (this.protocolVersion === 5 && options.properties) opts.properties = { ...options.properties };
    await this.client.publishAsync(topic, payload, opts);
  }

  async subscribe(filters: readonly string[], qos: MqttQos): Promise<void> {
    const granted = await this.client.subscribeAsync([...filters], { qos });
    const refused = granted.filter((g) => g.qos === 128);
    if (refused.length > 0) throw DeviceError.of('ACCESS_DENIED', `broker refused subscription to ${refused.map((g) => g.topic).join(', ')}`);
  }

  async unsubscribe(filters: readonly string[]): Promise<void> {
    await this.client.unsubscribeAsync([...filters]);
  }

  onMessage(listener: MessageListener): () => void {
    return this.listeners.onMessage(listener);
  }

  onConnectionChange(listener: ConnectionListener): () => void {
    return this.listeners.onConnectionChange(listener);
  }

  async close(options: { force?: boolean } = {}): Promise<void> {
    await this.client.endAsync(options.force ?? false);
  }
}
