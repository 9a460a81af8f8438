import type { Recipe } from '../../src/domain/index.ts';
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
