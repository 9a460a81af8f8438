import { PotentiostatSimBackend } from '../../simulators/potentiostat-sim.ts';
import type { SimulatedWorld } from '../../simulators/world.ts';
import type { FaultInjector } from '../../simulators/fault-injector.ts';
import type { Clock, Logger, Rng } from '../domain/index.ts';
import type { PotentiostatBackend } from '../devices/backends.ts';

export interface PotentiostatFleetOptions {
  transport: 'twin' | 'sim';
  world: SimulatedWorld;
  clock: Clock;
  rng: Rng;
  logger: Logger;
  cells: string[];
  replyTimeout_s: number;
  faults?: FaultInjector;
}

export interface PotentiostatFleet {
  backends: PotentiostatBackend[];
  close(): Promise<void>;
}

/** One electrochemical station per cell: in-process simulators, or an OPC UA server reached through the real driver. */
export async function startPotentiostats(opts: PotentiostatFleetOptions): Promise<PotentiostatFleet> {
  const backends = opts.cells.map(
    (cell) =>
      new PotentiostatSimBackend({
        deviceId: `ps-${cell}`,
        cellId: cell,
        world: opts.world,
        clock: opts.clock,
        rng: opts.rng.fork(`ps-${cell}`),
        faults: opts.faults,
        logger: opts.logger.child({ device: `ps-${cell}` }),
      }),
  );
  for (const b of backends) await b.setup();
  return { backends, close: async () => Promise.all(backends.map((b) => b.stop())).then(() => undefined) };
}
