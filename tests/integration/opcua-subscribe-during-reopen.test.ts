import { afterEach, describe, expect, it } from 'vitest';
import { NodeId, OpcuaClientTransport } from '../../drivers/transport/opcua-client.ts';
import { silentLogger } from '../../src/domain/index.ts';
import { opcuaPkiFolder, startTwinFixture } from '../helpers/opcua-station.ts';

/** What the test reaches inside the transport: its session, and the flag a lost connection sets. */
interface TransportInternals {
  session: { createSubscription2: (...args: unknown[]) => Promise<unknown> } | undefined;
  stale: boolean;
}

/**
 * A subscription whose creation is answered on a session the transport has meanwhile replaced (the connection was
 * lost and re-opened while the answer was on its way) belongs to a closed session: it must not become the transport's
 * monitor subscription, or no change would ever be delivered again.
 */
describe('a monitor set up while the session is re-opened', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
  });

  it('subscribes on the new session and delivers changes', { timeout: 60_000 }, async () => {
    const fx = await startTwinFixture('subscribe-during-reopen');
    closers.push(() => fx.close());
    const t = new OpcuaClientTransport({ endpointUrl: fx.endpointUrl, pkiFolder: `${opcuaPkiFolder('subscribe-during-reopen')}/client`, acceptUnknownServerCertificate: true, logger: silentLogger });
    closers.push(() => t.close());
    await t.connect();
    const internals = t as unknown as TransportInternals;
    const oldSession = internals.session;
    if (!oldSession) throw new Error('no session after connect');
    // The old session creates the subscription, but its answer is held back until the transport has re-opened.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const original = oldSession.createSubscription2.bind(oldSession);
    oldSession.createSubscription2 = async (...args: unknown[]) => {
      const subscription = await original(...args);
      await held;
      return subscription;
    };
    let changes = 0;
    const currentTime = NodeId.resolveNodeId('i=2258'); // Server_ServerStatus_CurrentTime: changes every second
    const monitoring = t.monitor([currentTime], () => changes++);
    await new Promise((r) => setTimeout(r, 200));
    const generation = t.generation;
    internals.stale = true; // as after a request failed on a lost connection
    await t.read([NodeId.resolveNodeId('i=2259')]);
    expect(t.generation).toBe(generation + 1);
    expect(internals.session).not.toBe(oldSession);
    release();
    const stop = await monitoring;
    closers.push(stop);
    changes = 0;
    await new Promise((r) => setTimeout(r, 2500));
    expect(changes).toBeGreaterThan(0);
    expect(t.publishingInterval_ms).toBe(10);
  });
});
