import { z } from 'zod';
import { silentLogger, type Logger, type Stock } from '../../src/domain/index.ts';
import { MqttClientTransport, type MqttConnectionOptions, type MqttInboundMessage, type MqttTransport } from '../../drivers/transport/mqtt.ts';
import { SimulatedWorld, type CellContents } from '../world.ts';

/**
 * The simulated lab's physical link between processes. In a real lab the liquid handler's dispense and the
 * electrochemical station's measurement meet in one physical cell; when the simulated instruments run in different
 * processes (`labloop sim liquid-handler`, `labloop sim echem-station`, a dry run with `--stations-file`), the
 * liquid-handler twin publishes what really is in each cell it touched, and the station side mirrors it into its
 * own SimulatedWorld. Simulation only: no real instrument speaks it, and no driver reads it.
 *
 * Topic `sdl/v1/<lab>/_sim/cell/<cellId>`, retained, QoS 1, payload `labloop.sim.cell.v1`.
 */
export function cellLinkTopic(lab: string, cellId: string): string {
  return `sdl/v1/${lab}/_sim/cell/${cellId}`;
}

export function cellLinkFilter(lab: string): string {
  return `sdl/v1/${lab}/_sim/cell/+`;
}

export const cellStateSchema = z.object({
  schema: z.literal('labloop.sim.cell.v1'),
  cell: z.string().min(1),
  /** µL */
  volume: z.number().nonnegative(),
  /** nmol per species */
  amounts: z.record(z.string(), z.number().nonnegative()),
  /** The liquid-handler command after which this was published. */
  commandId: z.string().optional(),
  at: z.iso.datetime({ offset: true }),
});
export type CellState = z.infer<typeof cellStateSchema>;

export function cellStatePayload(cell: string, contents: CellContents, commandId?: string): Buffer {
  const state: CellState = { schema: 'labloop.sim.cell.v1', cell, volume: contents.volume, amounts: { ...contents.amounts }, at: new Date().toISOString() };
  if (commandId !== undefined) state.commandId = commandId;
  return Buffer.from(JSON.stringify(state), 'utf8');
}

/** A SimulatedWorld whose cells are mirrored from the link (cells never mirrored behave as usual). */
export class MirroredWorld extends SimulatedWorld {
  private readonly mirrored = new Map<string, CellContents>();

  constructor(stocks: readonly Stock[] = []) {
    super(stocks);
  }

  update(state: CellState): void {
    this.mirrored.set(state.cell, { volume: state.volume, amounts: { ...state.amounts } });
  }

  override cellContents(id: string): CellContents {
    return this.mirrored.get(id) ?? super.cellContents(id);
  }

  override cellConcentrations(id: string): Record<string, number> {
    const c = this.mirrored.get(id);
    if (!c) return super.cellConcentrations(id);
    const out: Record<string, number> = {};
    if (c.volume <= 0) return out;
    for (const [k, v] of Object.entries(c.amounts)) out[k] = v / c.volume;
    return out;
  }

  override emptyCell(id: string): void {
    this.mirrored.delete(id);
    super.emptyCell(id);
  }
}

/**
 * Subscribes to a lab's cell link and keeps a MirroredWorld up to date (malformed states are logged and dropped).
 * Give it the transport the liquid-handler driver uses when the station is in the driver's process: one connection
 * receives the cell state before the command's reply (the twin publishes them in that order), so a measurement
 * dispatched after the reply never sees a stale cell.
 */
export class CellLinkSubscriber {
  private readonly transport: MqttTransport;
  private readonly owns: boolean;
  private readonly logger: Logger;
  private detach: (() => void) | undefined;

  constructor(
    private readonly lab: string,
    readonly world: MirroredWorld,
    connection: MqttConnectionOptions | MqttTransport,
    logger: Logger = silentLogger,
  ) {
    this.logger = logger.child({ component: 'cell-link' });
    this.owns = !('publish' in connection);
    this.transport = 'publish' in connection ? connection : new MqttClientTransport({ ...connection, logger: this.logger });
  }

  async start(): Promise<void> {
    this.detach = this.transport.onMessage((m) => this.onMessage(m));
    if (this.owns) await this.transport.connect();
    await this.transport.subscribe([cellLinkFilter(this.lab)], 1);
  }

  async stop(): Promise<void> {
    this.detach?.();
    if (this.owns) await this.transport.close();
    else if (this.transport.connected) await this.transport.unsubscribe([cellLinkFilter(this.lab)]).catch(() => undefined);
  }

  private onMessage(m: MqttInboundMessage): void {
    if (!m.topic.startsWith(cellLinkFilter(this.lab).slice(0, -1))) return;
    if (m.payload.length === 0) return;
    let json: unknown;
    try {
      json = JSON.parse(m.payload.toString('utf8'));
    } catch {
      return this.logger.warn({ topic: m.topic }, 'cell link: payload is not JSON');
    }
    const parsed = cellStateSchema.safeParse(json);
    if (!parsed.success || cellLinkTopic(this.lab, parsed.data.cell) !== m.topic) return this.logger.warn({ topic: m.topic }, 'cell link: malformed cell state');
    this.world.update(parsed.data);
  }
}
