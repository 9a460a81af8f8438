import { afterEach, describe, expect, it } from 'vitest';
import { MONITOR_PUBLISHING_INTERVAL_MS, NodeId, OpcuaClientTransport } from '../../drivers/transport/opcua-client.ts';
import { silentLogger } from '../../src/domain/index.ts';
import { TWIN_MINIMUM_PUBLISHING_INTERVAL_MS } from '../../simulators/twins/opcua-station.ts';
import { opcuaPkiFolder, startTwinFixture } from '../helpers/opcua-station.ts';

/** ADR 0121: the driver asks for a short publishing interval, the twin grants it, a server with a higher floor revises it. */
describe('publishing interval of the monitor subscription', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
  });

  const monitored = async (floor_ms?: number): Promise<{ interval: number | undefined; changes: number }> => {
    const fx = await startTwinFixture('publishing-interval', floor_ms === undefined ? {} : { twin: { minimumPublishingInterval_ms: floor_ms } });
    closers.push(() => fx.close());
    const t = new OpcuaClientTransport({ endpointUrl: fx.endpointUrl, pkiFolder: `${opcuaPkiFolder('publishing-interval')}/client`, acceptUnknownServerCertificate: true, logger: silentLogger });
    closers.push(() => t.close());
    await t.connect();
    let changes = 0;
    const currentTime = NodeId.resolveNodeId('i=2258'); // Server_ServerStatus_CurrentTime: changes every second
    const stop = await t.monitor([currentTime], () => changes++);
    closers.push(stop);
    await new Promise((r) => setTimeout(r, 300));
    return { interval: t.publishingInterval_ms, changes };
  };

  it('is granted at 10 ms by the station twin, and notifications arrive', { timeout: 60_000 }, async () => {
    expect(MONITOR_PUBLISHING_INTERVAL_MS).toBe(10);
    expect(TWIN_MINIMUM_PUBLISHING_INTERVAL_MS).toBe(10);
    const { interval, changes } = await monitored();
    expect(interval).toBe(10);
    expect(changes).toBeGreaterThan(0);
  });

  it('is revised up to a server floor above it', { timeout: 60_000 }, async () => {
    const { interval } = await monitored(50);
    expect(interval).toBe(50);
  });
});
