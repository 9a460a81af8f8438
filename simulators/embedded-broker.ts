import net from 'node:net';
import { Aedes } from 'aedes';
import { silentLogger, type Logger } from '../src/domain/index.ts';

/**
 * An in-process MQTT broker (aedes, MQTT 3.1.1 only) on loopback, with TCP_NODELAY on every accepted socket
 * (STACK.md, Nagle trap). Port 0 (the default) picks a free port.
 */
export interface EmbeddedBroker {
  /** `mqtt://127.0.0.1:<port>` */
  url: string;
  host: string;
  port: number;
  broker: Aedes;
  /** Number of currently connected MQTT clients. */
  readonly clients: number;
  /** Stops accepting, drops every connection, closes the broker. */
  close(): Promise<void>;
}

export interface EmbeddedBrokerOptions {
  host?: string;
  port?: number;
  logger?: Logger;
}

export async function startEmbeddedBroker(options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const host = options.host ?? '127.0.0.1';
  const logger = (options.logger ?? silentLogger).child({ component: 'embedded-broker' });
  const broker = await Aedes.createBroker();
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ noDelay: true }, (socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
  broker.on('clientError', (client, err) => logger.debug({ clientId: client.id, err: err.message }, 'client error'));
  broker.on('connectionError', (client, err) => logger.debug({ clientId: client?.id, err: err.message }, 'connection error'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('embedded broker: no TCP address');
  const port = address.port;
  logger.info({ host, port }, 'embedded MQTT broker listening');
  let closed = false;
  return {
    url: `mqtt://${host}:${port}`,
    host,
    port,
    broker,
    get clients() {
      return broker.connectedClients;
    },
    async close() {
      if (closed) return;
      closed = true;
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await serverClosed;
    },
  };
}
