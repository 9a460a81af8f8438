import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { NodeId, OpcuaClientTransport, isConnectionError } from '../../drivers/transport/opcua-client.ts';
import { silentLogger } from '../../src/domain/index.ts';
import { opcuaPkiFolder, startTwinFixture } from '../helpers/opcua-station.ts';

/**
 * A TCP relay between the client and the station's server that can go silent: the sockets it holds stay open but
 * carry nothing (a hung server, a half-dead network path), while new connections pass again. This is the failure that
 * hung a campaign for ten minutes: a request on the old session never settled.
 */
async function startRelay(target: number): Promise<{ port: number; freeze(): void; close(): Promise<void> }> {
  const pairs: { a: net.Socket; b: net.Socket; frozen: boolean }[] = [];
  const server = net.createServer((a) => {
    const b = net.connect(target, '127.0.0.1');
    const pair = { a, b, frozen: false };
    pairs.push(pair);
    a.on('data', (d) => void (pair.frozen || b.write(d)));
    b.on('data', (d) => void (pair.frozen || a.write(d)));
    const end = (): void => {
      a.destroy();
      b.destroy();
    };
    a.on('error', end).on('close', end);
    b.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    freeze: () => pairs.forEach((p) => (p.frozen = true)),
    close: async () => {
      for (const p of pairs) p.a.destroy(), p.b.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('an OPC UA request that is never answered', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
  });

  it('fails within the request timeout and the next request works over a new session', { timeout: 90_000 }, async () => {
    const fx = await startTwinFixture('unanswered');
    closers.push(() => fx.close());
    const relay = await startRelay(Number(new URL(fx.endpointUrl).port));
    closers.push(() => relay.close());
    const t = new OpcuaClientTransport({
      endpointUrl: `opc.tcp://127.0.0.1:${relay.port}`,
      pkiFolder: `${opcuaPkiFolder('unanswered')}/client`,
      acceptUnknownServerCertificate: true,
      requestTimeout_s: 2,
      logger: silentLogger,
    });
    closers.push(() => t.close());
    await t.connect();
    const serverStatus = NodeId.resolveNodeId('i=2259'); // Server_ServerStatus_State
    expect((await t.read([serverStatus]))[0]?.statusCode.isGood()).toBe(true);
    const generation = t.generation;

    relay.freeze();
    const t0 = Date.now();
    const err = await t.read([serverStatus]).then(() => undefined, (e: unknown) => e);
    const waited = Date.now() - t0;
    expect(err, 'a read over a silent connection must fail').toBeInstanceOf(Error);
    expect(isConnectionError(err), String(err)).toBe(true);
    expect(waited).toBeLessThan(2_000 + 5_000 + 3_000); // the request timeout, our margin, scheduling slack

    // The next request opens a new session (a new connection through the relay, which passes again).
    let ok = false;
    for (let i = 0; i < 20 && !ok; i++) {
      ok = await t.read([serverStatus]).then((dv) => dv[0]?.statusCode.isGood() === true, () => false);
      if (!ok) await new Promise((r) => setTimeout(r, 500));
    }
    expect(ok).toBe(true);
    expect(t.generation).toBeGreaterThan(generation);
  });

  it('counts a connection break, a lost connection and an unanswered request as connection failures, not a bad request', () => {
    expect(isConnectionError(new Error('Connection Break'))).toBe(true);
    expect(isConnectionError(new Error('OPC UA request unanswered timed out after 20000 ms'))).toBe(true);
    expect(isConnectionError(new Error('Transaction has timed out ( timeout = 15000 ms)'))).toBe(true);
    expect(isConnectionError(new Error('BadNodeIdUnknown'))).toBe(false);
    expect(isConnectionError(new Error('BadInvalidArgument'))).toBe(false);
  });
});
