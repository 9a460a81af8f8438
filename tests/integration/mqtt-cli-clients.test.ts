import { spawn, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/domain/index.ts';
import { descriptionSchema, liquidHandlerTopics, replySchema, type ReplyPayload } from '../../drivers/liquid-handler/wire-contract.ts';
import { ZeroDelayClock } from '../../simulators/clock.ts';
import { MqttLiquidHandlerTwin } from '../../simulators/twins/mqtt-liquid-handler.ts';
import { SimulatedWorld } from '../../simulators/world.ts';
import { IN_CI, SYSTEM_MOSQUITTO_URL, mosquittoGate, uniqueLabId } from '../helpers/mqtt-brokers.ts';

/**
 * The liquid-handler twin driven by clients we did not write: Mosquitto's `mosquitto_pub` / `mosquitto_sub` (Debian
 * package mosquitto-clients), on MQTT 5 (response topic and correlation data as properties) and MQTT 3.1.1 (replyTo in
 * the payload only). In CI the clients and the broker must be there: a missing one fails the suite.
 */
const haveClients = ['mosquitto_pub', 'mosquitto_sub'].every((c) => spawnSync(c, ['--help']).error === undefined);
const gate = await mosquittoGate();
if (!haveClients && IN_CI) throw new Error('mosquitto_pub / mosquitto_sub are missing: install the Debian package mosquitto-clients (.ci/run does)');
if (!haveClients) process.stderr.write('\n*** mosquitto-clients are not installed: SKIPPING the MQTT command-line client suite (it FAILS in CI) ***\n\n');
const { hostname: HOST, port: PORT } = new URL(SYSTEM_MOSQUITTO_URL);

interface Received {
  topic: string;
  payload: string;
  properties?: Record<string, string>;
}

/** `mosquitto_sub` for `count` messages on `topic`; resolves once it is subscribed, with a promise of what it receives. */
async function subscribe(topic: string, count: number, version: 'mqttv5' | 'mqttv311'): Promise<{ messages: Promise<Received[]> }> {
  // stdbuf: line-buffered stdout, so the SUBACK debug line arrives before the process ends.
  const p = spawn('stdbuf', ['-oL', 'mosquitto_sub', '-h', HOST, '-p', PORT || '1883', '-V', version, '-q', '1', '-t', topic, '-C', String(count), '-W', '30', '-F', '%j', '-d']);
  p.on('error', () => undefined);
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  for (let i = 0; i < 500 && !/SUBACK/.test(out); i++) await new Promise((r) => setTimeout(r, 10));
  if (!/SUBACK/.test(out)) throw new Error(`mosquitto_sub did not subscribe to ${topic}: ${out}`);
  const messages = new Promise<Received[]>((resolve) =>
    p.on('close', () =>
      resolve(
        out
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Received),
      ),
    ),
  );
  return { messages };
}

function publish(topic: string, payload: string, version: 'mqttv5' | 'mqttv311', properties: [string, string][] = []): void {
  const args = ['-h', HOST, '-p', PORT || '1883', '-V', version, '-q', '1', '-t', topic, '-m', payload, ...properties.flatMap(([k, v]) => ['-D', 'publish', k, v])];
  const r = spawnSync('mosquitto_pub', args, { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`mosquitto_pub failed: ${r.stderr}`);
}

const command = (id: string, name: string, body: object, replyTo: string) =>
  JSON.stringify({ schema: 'sdl.cmd.v1', commandId: id, replyTo, issuedAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 60_000).toISOString(), command: name, body, sender: 'mosquitto-clients' });

describe.runIf(gate.run && (haveClients || IN_CI))('liquid-handler twin driven by mosquitto_pub / mosquitto_sub', () => {
  const lab = uniqueLabId('cli');
  let twin: MqttLiquidHandlerTwin;
  const topics = liquidHandlerTopics(lab, 'lh-cli');
  const replyTo = `sdl/v1/${lab}/_reply/mosquitto-clients`;
  beforeAll(async () => {
    const world = new SimulatedWorld([{ name: 'water', species: 'water', concentration: 1, volume: 1e6 }]);
    twin = new MqttLiquidHandlerTwin({
      lab,
      core: { deviceId: 'lh-cli', world, clock: new ZeroDelayClock(), rng: new Rng(1) },
      broker: { url: SYSTEM_MOSQUITTO_URL, protocolVersion: 5, persistentSession: false },
      clearRetainedOnStop: true,
    });
    await twin.start();
  });
  afterAll(async () => {
    await twin?.stop();
  });

  it('reads the retained $state and $description', async () => {
    const [state, description] = await Promise.all([subscribe(topics.state, 1, 'mqttv311'), subscribe(topics.description, 1, 'mqttv5')]);
    const [s] = await state.messages;
    const [d] = await description.messages;
    expect(s?.payload).toBe('ready');
    const desc = descriptionSchema.parse(JSON.parse(d?.payload ?? '{}'));
    expect(desc.commands).toContain('home');
  });

  it('runs a command on MQTT 5: accepted, then succeeded, correlation data echoed on the response topic', async () => {
    const received = await subscribe(replyTo, 2, 'mqttv5');
    publish(topics.cmd('home'), command('cli-home-1', 'home', { kind: 'home' }, replyTo), 'mqttv5', [
      ['response-topic', replyTo],
      ['correlation-data', 'cli-home-1'],
    ]);
    const replies = await received.messages;
    const parsed: ReplyPayload[] = replies.map((r) => replySchema.parse(JSON.parse(r.payload)));
    expect(parsed.map((r) => r.status)).toEqual(['accepted', 'succeeded']);
    expect(parsed.every((r) => r.commandId === 'cli-home-1')).toBe(true);
    expect(replies.every((r) => r.properties?.['correlation-data'] === 'cli-home-1')).toBe(true);
  });

  it('answers get_state on MQTT 3.1.1 (replyTo in the payload) with the stored state of the earlier command', async () => {
    const received = await subscribe(replyTo, 1, 'mqttv311');
    publish(topics.cmd('get_state'), command('cli-query-1', 'get_state', { kind: 'get_state', commandId: 'cli-home-1' }, replyTo), 'mqttv311');
    const [reply] = (await received.messages).map((r) => replySchema.parse(JSON.parse(r.payload)));
    expect(reply).toMatchObject({ status: 'succeeded', state: { commandId: 'cli-home-1', runStatus: 'succeeded' } });
  });

  it('refuses a malformed command with a typed rejection, answering on the MQTT 5 response topic', async () => {
    const received = await subscribe(replyTo, 1, 'mqttv5');
    publish(topics.cmd('aspirate'), '{"schema":"sdl.cmd.v1","commandId":"cli-bad-1","command":"aspirate"', 'mqttv5', [['response-topic', replyTo]]);
    const [reply] = (await received.messages).map((r) => replySchema.parse(JSON.parse(r.payload)));
    expect(reply?.status).toBe('rejected');
    expect(reply?.reason).toMatch(/JSON|payload/i);
  });
});
