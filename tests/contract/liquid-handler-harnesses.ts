import { randomBytes } from 'node:crypto';
import { Rng, type Logger } from '../../src/domain/index.ts';
import { LiquidHandlerMqttBackend, type LiquidHandlerMqttTimeouts } from '../../drivers/liquid-handler/mqtt-backend.ts';
import { InstantClock } from '../../simulators/clock.ts';
import { LiquidHandlerCore } from '../../simulators/liquid/liquid-handler-core.ts';
import { LiquidHandlerSimBackend } from '../../simulators/liquid-handler-sim.ts';
import { MqttLiquidHandlerTwin } from '../../simulators/twins/mqtt-liquid-handler.ts';
import type { HarnessFactory, HarnessOptions, LiquidHandlerHarness } from './liquid-handler-backend.contract.ts';

let devices = 0;

export function coreFor(options: HarnessOptions, deviceId: string): LiquidHandlerCore {
  const ahead = options.deviceClockAhead_ms ?? 0;
  return new LiquidHandlerCore({
    deviceId,
    world: options.world,
    clock: new InstantClock(),
    rng: new Rng(options.seed),
    wallClock: () => Date.now() + ahead,
  });
}

export const simHarness: HarnessFactory = async (options) => {
  const core = coreFor(options, `sim-${++devices}`);
  const backend = new LiquidHandlerSimBackend({ core });
  await backend.setup();
  return { backend, executions: () => core.executions, close: () => backend.stop() };
};

export interface MqttHarnessSetup {
  url: () => string;
  lab: string;
  protocolVersion: 4 | 5;
  /** Twin session: persistent on brokers we own, clean on the machine's shared Mosquitto (3.1.1 sessions never expire). */
  persistentSession: boolean;
  timeouts?: Partial<LiquidHandlerMqttTimeouts>;
  logger?: Logger;
}

export interface MqttHarness extends LiquidHandlerHarness {
  backend: LiquidHandlerMqttBackend;
  twin: MqttLiquidHandlerTwin;
  deviceId: string;
}

/** A twin on the broker plus a backend talking to it, both real MQTT clients. */
export async function openMqttHarness(setup: MqttHarnessSetup, options: HarnessOptions): Promise<MqttHarness> {
  const deviceId = `lh-${++devices}`;
  const core = coreFor(options, deviceId);
  const url = setup.url();
  const twin = new MqttLiquidHandlerTwin({
    lab: setup.lab,
    core,
    broker: { url, protocolVersion: setup.protocolVersion, persistentSession: setup.persistentSession, sessionExpiry_s: 30, clientId: `twin-${deviceId}-${randomBytes(3).toString('hex')}` },
    clearRetainedOnStop: true,
    ...(setup.logger ? { logger: setup.logger } : {}),
  });
  await twin.start();
  const backend = new LiquidHandlerMqttBackend({
    lab: setup.lab,
    deviceId,
    connection: { url, clientId: `agent-${deviceId}-${randomBytes(3).toString('hex')}`, protocolVersion: setup.protocolVersion },
    timeouts: { reply_s: 10, lookup_s: 3, recovery_s: 10, poll_s: 0.2, stateWait_s: 3, ...setup.timeouts },
    ...(setup.logger ? { logger: setup.logger } : {}),
  });
  await backend.setup();
  return {
    backend,
    twin,
    deviceId,
    executions: () => core.executions,
    close: async () => {
      await backend.stop();
      await twin.stop();
    },
  };
}

export function mqttHarness(setup: MqttHarnessSetup): HarnessFactory {
  return (options) => openMqttHarness(setup, options);
}
