import type { Suggestion } from '../src/domain/index.ts';
import type { BestEstimate } from './best-estimate.ts';

/**
 * Confirmation replicates (ADR 0060): the `candidates` leading recipes of an estimate are measured again, `replicates`
 * times each, round-robin (every candidate's first repeat before any second one, so a budget cut short still confirms
 * every candidate once, and repeats land on different stations), at most `trials` in all.
 */
export function confirmationSuggestions(estimate: BestEstimate, c: { replicates: number; candidates: number; trials: number }, newId: () => string): Suggestion[] {
  const leaders = estimate.ranked.slice(0, c.candidates);
  const out: Suggestion[] = [];
  for (let rep = 1; rep <= c.replicates; rep++)
    leaders.forEach((e, rank) => {
      if (out.length >= c.trials) return;
      const model = e.model ? `, model estimate ${fmt(e.model.mean)} ± ${fmt(e.model.sd)}` : '';
      out.push({
        id: newId(),
        recipe: e.recipe,
        proposer: 'confirmation',
        rationale:
          `Confirmation replicate ${rep}/${c.replicates} of candidate ${rank + 1}/${leaders.length} by ${estimate.basis === 'model' ? 'model-estimated' : 'replicate-mean'} ${estimate.objective}: ` +
          `${e.n} reading(s), mean ${fmt(e.mean)}${model}.`,
        ...(e.model ? { predicted: { [estimate.objective]: e.model } } : {}),
      });
    });
  return out;
}

function fmt(v: number): string {
  return Number(v.toPrecision(4)).toString();
}
