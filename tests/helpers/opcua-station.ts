import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger, type Clock, type Recipe } from '../../src/domain/index.ts';
import { routeOpcuaDiagnostics } from '../../drivers/transport/opcua-diagnostics.ts';
import { ScaledClock } from '../../simulators/clock.ts';
import { EchemStationCore } from '../../simulators/echem/station-core.ts';
import { OpcuaStationTwin, type OpcuaStationTwinOptions } from '../../simulators/twins/opcua-station.ts';
import { SimulatedWorld } from '../../simulators/world.ts';
import { METALS } from '../../simulators/physics/landscape.ts';

/** A world with 200 mM stocks of every metal and the complexant, plus water (default scenario). */
export function simulatedWorld(): SimulatedWorld {
  const stocks = [...METALS, 'complexant'].map((n) => ({ name: n, species: n, concentration: 200, volume: 1e9 }));
  return new SimulatedWorld([...stocks, { name: 'water', species: 'water', concentration: 1, volume: 1e9 }]);
}

/** Empties the cell and mixes `volume` µL of the recipe's composition into it from the stocks. */
export function fillCellWithRecipe(world: SimulatedWorld, cell: string, r: Recipe, volume = 2000): void {
  world.emptyCell(cell);
  const num = (k: string): number => (typeof r[k] === 'number' ? (r[k] as number) : 0);
  let used = 0;
  for (const m of METALS) {
    const v = (volume * num(m) * num('totalMetal')) / 200;
    if (v > 0) world.move(`stock:${m}`, `cell:${cell}`, v);
    used += v;
  }
  const vc = (volume * num('complexant')) / 200;
  if (vc > 0) world.move('stock:complexant', `cell:${cell}`, vc);
  world.move('stock:water', `cell:${cell}`, volume - used - vc);
}

/**
 * A project-local PKI folder for OPC UA tests, reused across runs (certificate generation is slow) and distinct per
 * test file so parallel files never race on it. Lives under tests/.artifacts (git-ignored).
 */
export function opcuaPkiFolder(name: string): string {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '.artifacts', 'opcua-pki', name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export interface TwinFixture {
  twin: OpcuaStationTwin;
  cores: EchemStationCore[];
  world: SimulatedWorld;
  endpointUrl: string;
  close(): Promise<void>;
}

/** Starts a twin hosting `stations` stations (deviceIds `es1..`, cells `cell1..`) on a random loopback port. */
export async function startTwinFixture(
  name: string,
  opts: { stations?: number; clock?: Clock; seed?: number; twin?: Partial<OpcuaStationTwinOptions> } = {},
): Promise<TwinFixture> {
  routeOpcuaDiagnostics(silentLogger); // node-opcua's own warnings (nodeset quirks) stay out of the test output
  const world = simulatedWorld();
  const clock = opts.clock ?? new ScaledClock(4000);
  const cores = Array.from({ length: opts.stations ?? 1 }, (_, i) =>
    new EchemStationCore({ deviceId: `es${i + 1}`, cellId: `cell${i + 1}`, world, clock, seed: (opts.seed ?? 1) + i }),
  );
  const twin = new OpcuaStationTwin({
    stations: cores.map((core) => ({ deviceId: core.deviceId, core })),
    clock,
    pkiFolder: join(opcuaPkiFolder(name), 'server'),
    acceptUnknownCertificates: true,
    ...opts.twin,
  });
  await twin.start();
  return { twin, cores, world, endpointUrl: twin.endpointUrl, close: () => twin.stop() };
}
