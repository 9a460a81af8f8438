import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { ConsoleServer } from '../../src/console/index.ts';
import type { Logger } from '../../src/domain/index.ts';
import { DocumentBus } from '../../src/protocol/index.ts';
import { MemoryReader, RecordingCommands, TestClient, TOKENS, startTestServer } from '../unit/console/server-harness.ts';

/** A real pino logger (JSON lines) into memory, so the test counts what would reach stderr. */
function memoryLogger(): { logger: Logger; lines: () => string[]; bytes: () => number } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  const logger = pino({ level: 'info' }, stream) as unknown as Logger;
  return { logger, lines: () => text.split('\n').filter(Boolean), bytes: () => Buffer.byteLength(text) };
}

describe('a noisy console client cannot flood the logs', () => {
  let server: ConsoleServer | undefined;
  let client: TestClient | undefined;
  afterAll(async () => {
    client?.close();
    await server?.close();
  });

  it('10 000 malformed events are all answered with typed errors and write fewer than 100 log lines', async () => {
    const bus = new DocumentBus();
    const log = memoryLogger();
    server = await startTestServer({ reader: new MemoryReader(bus, 0), bus, commands: new RecordingCommands('camp-1'), logger: log.logger });
    client = new TestClient(server.url, TOKENS.operator);
    await client.connected();
    // 10 000 requests in flight at once: each may wait for the whole burst on a loaded machine.
    const burst = 50_000;
    const kinds = [
      (i: number) => client!.request('command', { action: 'abort', campaignId: 'camp-1', reasn: `x${i}` }, burst),
      (i: number) => client!.request('subscribe', { campaignId: `bad id ${i}` }, burst),
      (i: number) => client!.request(`no-such-event-${i % 10}`, {}, burst),
      (i: number) => client!.request('command', { action: 'explode', campaignId: 'camp-1', n: i }, burst),
    ];
    const replies = await Promise.all(Array.from({ length: 10_000 }, (_, i) => kinds[i % kinds.length]!(i)));
    expect(replies.every((r) => r.ok === false && (r.code === 'invalid' || r.code === 'rate-limited'))).toBe(true);
    expect(replies.filter((r) => r.code === 'invalid').length).toBeGreaterThanOrEqual(100);
    await server.close();
    server = undefined;
    const lines = log.lines();
    console.error(`console-log-volume: ${lines.length} lines, ${log.bytes()} bytes for 10000 malformed events`);
    expect(lines.length).toBeLessThan(100);
    expect(lines.some((l) => /repeated \d+ times/.test(l))).toBe(true);
  }, 120_000);
});
