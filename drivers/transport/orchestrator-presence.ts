import { silentLogger, type Logger } from '../../src/domain/index.ts';
import type { MqttConnectionOptions, MqttTransport } from './mqtt.ts';

/**
 * The orchestrator's presence on a lab's broker (DEVICES.md: `sdl/v1/<lab>/orchestrator/$state`, retained, last
 * will `lost`). The connection that carries it is opened with `orchestratorWill(topic)`; `OrchestratorPresence`
 * then publishes a retained `ready` on every (re)connect and `disconnected` on a clean stop. When the connection
 * dies without a DISCONNECT the broker publishes the will, and devices finish their current step and hold until
 * the orchestrator is `ready` again (ADR 0051).
 *
 * One connection per lab carries the presence (the one shared by the drivers in the composition root): a will
 * on several connections would declare the orchestrator lost whenever any one of them dropped.
 */

/** State words the orchestrator publishes (a subset of the device states, same wire form: a bare word). */
export const ORCHESTRATOR_PRESENT = 'ready';
export const ORCHESTRATOR_STOPPED = 'disconnected';
export const ORCHESTRATOR_LOST = 'lost';

/** The last will for the connection that carries the presence. */
export function orchestratorWill(topic: string): NonNullable<MqttConnectionOptions['will']> {
  return { topic, payload: ORCHESTRATOR_LOST, qos: 1, retain: true };
}

export interface OrchestratorPresenceOptions {
  /** A transport opened with `orchestratorWill(topic)`. */
  transport: MqttTransport;
  /** `orchestratorStateTopic(lab)` of the wire contract. */
  topic: string;
  logger?: Logger;
}

export class OrchestratorPresence {
  private readonly transport: MqttTransport;
  readonly topic: string;
  private readonly logger: Logger;
  private detach: (() => void) | undefined;

  constructor(options: OrchestratorPresenceOptions) {
    this.transport = options.transport;
    this.topic = options.topic;
    this.logger = (options.logger ?? silentLogger).child({ component: 'orchestrator-presence', topic: options.topic });
  }

  /** Publishes `ready` now (when connected) and after every reconnect. */
  async start(): Promise<void> {
    if (this.detach) return;
    this.detach = this.transport.onConnectionChange((connected) => {
      if (connected) this.announce().catch((err: unknown) => this.logger.warn({ err: (err as Error).message }, 'could not announce the orchestrator'));
    });
    if (this.transport.connected) await this.announce();
  }

  /** Clean stop: a retained `disconnected` (devices do not hold for an orchestrator that left on purpose). */
  async stop(): Promise<void> {
    this.detach?.();
    this.detach = undefined;
    if (!this.transport.connected) return;
    await this.transport.publish(this.topic, ORCHESTRATOR_STOPPED, { qos: 1, retain: true });
  }

  private async announce(): Promise<void> {
    await this.transport.publish(this.topic, ORCHESTRATOR_PRESENT, { qos: 1, retain: true });
    this.logger.info('orchestrator present');
  }
}
