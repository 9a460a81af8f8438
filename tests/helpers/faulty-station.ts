import { Rng, type EchemResult, type Recipe } from '../../src/domain/index.ts';
import { InstantClock } from '../../simulators/clock.ts';
import type { RunTruth } from '../../simulators/echem/cell-faults.ts';
import { RuleFaultInjector, type FaultRule } from '../../simulators/faults.ts';
import { PotentiostatSimBackend } from '../../simulators/potentiostat-sim.ts';
import type { NoiseProfile } from '../../simulators/physics/run-variation.ts';
import { fillCellWithRecipe, simulatedWorld } from './opcua-station.ts';

export interface FaultyStationRun {
  result: EchemResult;
  /** What the simulated station really injected (simulator-only ground truth). */
  truth: RunTruth;
  recipe: Recipe;
}

/**
 * One in-process electrochemical station measuring `recipes` in order (an OER screen each) under forced or random
 * fault rules; every run's result and the station's ground truth. Command ids are `<commandPrefix><k>`.
 */
export async function measureOnStation(o: {
  recipes: readonly Recipe[];
  rules?: FaultRule[];
  noise: NoiseProfile;
  seed: number;
  faultSeed: number;
  runsPerBatch?: number | undefined;
  params: (recipe: Recipe) => Record<string, number>;
  commandPrefix: string;
}): Promise<FaultyStationRun[]> {
  const world = simulatedWorld();
  const backend = new PotentiostatSimBackend({
    deviceId: 'ps-pair1',
    cellId: 'c',
    world,
    clock: new InstantClock(),
    noise: o.noise,
    seed: o.seed,
    faults: new RuleFaultInjector(new Rng(o.faultSeed), o.rules ?? []),
    ...(o.runsPerBatch !== undefined ? { runsPerElectrolyteBatch: o.runsPerBatch } : {}),
  });
  const out: FaultyStationRun[] = [];
  for (const [k, recipe] of o.recipes.entries()) {
    fillCellWithRecipe(world, 'c', recipe);
    const commandId = `${o.commandPrefix}${k}`;
    const result = await backend.runTechnique({ technique: 'OER_Screen_v1', cell: 'c', params: o.params(recipe), sample: {} }, { commandId, signal: new AbortController().signal });
    const run = backend.core.findByCommand(commandId);
    if (!run) throw new Error(`the station has no run for ${commandId}`);
    out.push({ result, truth: run.truth, recipe });
  }
  return out;
}
