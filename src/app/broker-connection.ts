import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { MqttConnectionOptions, MqttTlsOptions } from '../../drivers/transport/mqtt.ts';
import type { Config, MqttTlsSettings } from '../config/index.ts';

/** Where a broker is and how to log in: from the configuration (LABLOOP_MQTT_*) or a stations file. */
export interface BrokerSettings {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  protocolVersion?: 4 | 5 | undefined;
  tls?: MqttTlsSettings | undefined;
}

export type BrokerConnection = Pick<MqttConnectionOptions, 'url' | 'username' | 'password' | 'protocolVersion' | 'tls'>;

/** The configuration's external broker (LABLOOP_MQTT_URL and friends); undefined when none is configured. */
export function configuredBroker(config: Pick<Config, 'mqtt'>): BrokerSettings | undefined {
  const m = config.mqtt;
  if (!m.url) return undefined;
  return { url: m.url, username: m.username, password: m.password, protocolVersion: m.protocolVersion, tls: m.tls };
}

/**
 * Connection options of a broker: credentials as given, TLS material read from its PEM files (relative paths from
 * `baseDir`, the stations file's folder or the working folder). A missing file throws, naming it.
 */
export function brokerConnection(settings: BrokerSettings, baseDir = process.cwd()): BrokerConnection {
  const read = (file: string, what: string): Buffer => {
    const full = path.resolve(baseDir, file);
    try {
      return readFileSync(full);
    } catch (e) {
      throw new Error(`MQTT TLS ${what} file ${full}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  };
  const t = settings.tls;
  const tls: MqttTlsOptions | undefined = t
    ? {
        ...(t.caFile ? { ca: read(t.caFile, 'CA') } : {}),
        ...(t.certFile ? { cert: read(t.certFile, 'certificate') } : {}),
        ...(t.keyFile ? { key: read(t.keyFile, 'key') } : {}),
        rejectUnauthorized: t.rejectUnauthorized,
      }
    : undefined;
  return {
    url: settings.url,
    ...(settings.username !== undefined ? { username: settings.username } : {}),
    ...(settings.password !== undefined ? { password: settings.password } : {}),
    ...(settings.protocolVersion !== undefined ? { protocolVersion: settings.protocolVersion } : {}),
    ...(tls ? { tls } : {}),
  };
}
