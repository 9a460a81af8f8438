import type { Recipe } from '../src/domain/index.ts';
import type { SearchSpace } from '../models/transforms/search-space.ts';
import type { AgentContext } from './agent.ts';
import { createFaceDesign } from './face-design.ts';
import { createSobolDesign } from './sobol-agent.ts';

/**
 * The BO agent's initial design (campaign `strategy.initialDesign`): `sobol` (the default) is a scrambled-Sobol design
 * of the whole recipe space; `faces` (ADR 0119) stratifies the mixtures over the maximal support faces of every simplex
 * parameter (agents/face-design.ts), and gives a campaign without a simplex parameter the Sobol design unchanged.
 */
export type InitialDesignKind = 'sobol' | 'faces';

export interface InitialDesignPoint {
  recipe: Recipe;
  rationale: string;
}

/** A generator of design points; `index` (1-based) numbers the point in its rationale. */
export function createInitialDesign(kind: InitialDesignKind, spec: AgentContext['spec'], seed: number, space: SearchSpace): (index: number) => InitialDesignPoint {
  if (kind === 'faces' && space.layout.some((b) => b.kind === 'simplex')) {
    const next = createFaceDesign(spec, seed, space);
    return (index) => {
      const p = next();
      const faces = p.faces.map((f) => `{${f.join(', ')}}`).join(' × ');
      return { recipe: p.recipe, rationale: `Initial design point ${index} on the maximal support face ${faces} (uniform on the face, other parameters scrambled Sobol).` };
    };
  }
  const next = createSobolDesign(spec, seed, space);
  return (index) => ({ recipe: next(), rationale: `Initial space-filling design point ${index} (scrambled Sobol).` });
}
