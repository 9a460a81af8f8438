import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { MqttClient } from 'mqtt';

/** The machine's own Mosquitto (never restarted or bound by tests; we only connect to it). */
export const SYSTEM_MOSQUITTO_URL = 'mqtt://127.0.0.1:1883';

export const IN_CI = process.env['CI'] === 'true';

/** A lab id no other test run uses (topic segment `[a-z0-9-]`). */
export function uniqueLabId(prefix = 't'): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** True when an MQTT broker answers a CONNECT at `url` within `timeout_ms`. */
export async function brokerAnswers(url: string, timeout_ms = 1500): Promise<boolean> {
  const u = new URL(url);
  const client = new MqttClient(() => net.connect({ host: u.hostname, port: Number(u.port || 1883), noDelay: true }), {
    clientId: `probe-${randomBytes(4).toString('hex')}`,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: timeout_ms,
    manualConnect: true,
  });
  client.on('error', () => undefined);
  try {
    return await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeout_ms);
      client.once('connect', () => {
        clearTimeout(timer);
        resolve(true);
      });
      client.once('close', () => {
        clearTimeout(timer);
        resolve(false);
      });
      client.connect();
    });
  } finally {
    client.end(true);
  }
}

/**
 * Whether the Mosquitto suites run. In CI (CI=true) they always run, so a missing broker fails them; elsewhere a
 * missing broker skips them with a loud message.
 */
export async function mosquittoGate(): Promise<{ run: boolean; available: boolean }> {
  const available = await brokerAnswers(SYSTEM_MOSQUITTO_URL);
  if (!available && !IN_CI) {
    process.stderr.write(`\n*** Mosquitto is not reachable at ${SYSTEM_MOSQUITTO_URL}: SKIPPING the Mosquitto suites (they FAIL in CI) ***\n\n`);
  }
  return { run: available || IN_CI, available };
}

export function requireBroker(available: boolean): void {
  if (!available) throw new Error(`Mosquitto is required in CI but does not answer at ${SYSTEM_MOSQUITTO_URL}`);
}

/** A raw MQTT test client (no labloop code in the way) with TCP_NODELAY. */
export async function rawClient(url: string, clientId: string, protocolVersion: 4 | 5 = 4): Promise<MqttClient> {
  const u = new URL(url);
  const client = new MqttClient(() => net.connect({ host: u.hostname, port: Number(u.port || 1883), noDelay: true }), {
    clientId,
    protocolVersion,
    reconnectPeriod: 0,
    manualConnect: true,
  });
  client.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`raw client ${clientId}: no CONNACK`)), 3000);
    client.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
    client.connect();
  });
  return client;
}

/** Collects messages on a topic filter until `predicate` holds or the timeout passes. */
export function nextMessage(client: MqttClient, predicate: (topic: string, payload: Buffer) => boolean, timeout_ms = 3000): Promise<{ topic: string; payload: Buffer }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.removeListener('message', onMessage);
      reject(new Error(`no matching message within ${timeout_ms} ms`));
    }, timeout_ms);
    const onMessage = (topic: string, payload: Buffer): void => {
      if (!predicate(topic, payload)) return;
      clearTimeout(timer);
      client.removeListener('message', onMessage);
      resolve({ topic, payload });
    };
    client.on('message', onMessage);
  });
}
