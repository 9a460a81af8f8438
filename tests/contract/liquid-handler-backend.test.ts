import { afterAll, beforeAll, describe } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../simulators/embedded-broker.ts';
import { SYSTEM_MOSQUITTO_URL, mosquittoGate, requireBroker, uniqueLabId } from '../helpers/mqtt-brokers.ts';
import { liquidHandlerBackendContract } from './liquid-handler-backend.contract.ts';
import { mqttHarness, simHarness } from './liquid-handler-harnesses.ts';

const gate = await mosquittoGate();

describe('LiquidHandlerBackend contract: in-process simulator', () => {
  liquidHandlerBackendContract(simHarness);
});

describe('LiquidHandlerBackend contract: MQTT backend ↔ twin on embedded aedes (MQTT 3.1.1)', () => {
  let broker: EmbeddedBroker;
  beforeAll(async () => {
    broker = await startEmbeddedBroker();
  });
  afterAll(async () => {
    await broker.close();
  });
  liquidHandlerBackendContract(mqttHarness({ url: () => broker.url, lab: uniqueLabId('aedes'), protocolVersion: 4, persistentSession: true }));
});

describe.skipIf(!gate.run)(`LiquidHandlerBackend contract: MQTT backend ↔ twin on Mosquitto ${SYSTEM_MOSQUITTO_URL}`, () => {
  beforeAll(() => requireBroker(gate.available));
  describe('MQTT 5', () => {
    liquidHandlerBackendContract(mqttHarness({ url: () => SYSTEM_MOSQUITTO_URL, lab: uniqueLabId('mq5'), protocolVersion: 5, persistentSession: true }));
  });
  describe('MQTT 3.1.1', () => {
    liquidHandlerBackendContract(mqttHarness({ url: () => SYSTEM_MOSQUITTO_URL, lab: uniqueLabId('mq4'), protocolVersion: 4, persistentSession: false }));
  });
});
