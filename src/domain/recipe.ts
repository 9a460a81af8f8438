import { z } from 'zod';
import type { CampaignSpec, Parameter } from './campaign.ts';

/** One point of the search space: parameter (or simplex component) name → value. */
export const recipeSchema = z.record(z.string(), z.union([z.number().finite(), z.string()]));
export type Recipe = z.infer<typeof recipeSchema>;

export interface RecipeIssue {
  path: string;
  message: string;
}

const SIMPLEX_TOLERANCE = 1e-6;

/** Checks a recipe against the search space; returns every problem found (empty when valid). */
export function validateRecipe(spec: Pick<CampaignSpec, 'parameters' | 'constraints'>, recipe: Recipe): RecipeIssue[] {
  const issues: RecipeIssue[] = [];
  const num = (key: string): number | undefined => {
    const v = recipe[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      issues.push({ path: key, message: 'missing or not a finite number' });
      return undefined;
    }
    return v;
  };
  for (const p of spec.parameters) checkParameter(p, recipe, num, issues);
  for (const [i, c] of spec.constraints.entries()) {
    let lhs = 0;
    for (const [key, coef] of Object.entries(c.coefficients)) lhs += coef * (typeof recipe[key] === 'number' ? (recipe[key] as number) : 0);
    if (lhs > c.rhs + 1e-9) issues.push({ path: `constraints.${i}`, message: `${c.description ?? 'linear constraint'} violated (${lhs.toFixed(4)} > ${c.rhs})` });
  }
  return issues;
}

/**
 * Problems of a campaign's recipe library (ADR 0122): every row must be a valid recipe of the space. Paths are
 * `library.<row index>.<field>`; at most `limit` problems are listed.
 */
export function libraryIssues(spec: Pick<CampaignSpec, 'parameters' | 'constraints' | 'library'>, limit = 10): RecipeIssue[] {
  const out: RecipeIssue[] = [];
  for (const [i, row] of (spec.library ?? []).entries()) {
    for (const issue of validateRecipe(spec, row)) {
      out.push({ path: `library.${i}.${issue.path}`, message: issue.message });
      if (out.length >= limit) return out;
    }
  }
  return out;
}

function checkParameter(p: Parameter, recipe: Recipe, num: (k: string) => number | undefined, issues: RecipeIssue[]): void {
  switch (p.type) {
    case 'continuous':
    case 'integer': {
      const v = num(p.name);
      if (v === undefined) return;
      if (v < p.low || v > p.high) issues.push({ path: p.name, message: `${v} outside [${p.low}, ${p.high}]` });
      if (p.type === 'integer' && !Number.isInteger(v)) issues.push({ path: p.name, message: `${v} is not an integer` });
      return;
    }
    case 'categorical': {
      const v = recipe[p.name];
      if (typeof v !== 'string' || !p.choices.includes(v)) issues.push({ path: p.name, message: `must be one of ${p.choices.join(', ')}` });
      return;
    }
    case 'simplex': {
      let sum = 0;
      let nonZero = 0;
      for (const c of p.components) {
        const v = num(c);
        if (v === undefined) return;
        if (v < 0 || v > 1) issues.push({ path: c, message: `fraction ${v} outside [0, 1]` });
        if (v > 0 && v < p.minFraction - SIMPLEX_TOLERANCE) issues.push({ path: c, message: `fraction ${v} below the minimum ${p.minFraction}` });
        if (v > 0) nonZero++;
        sum += v;
      }
      if (Math.abs(sum - 1) > SIMPLEX_TOLERANCE) issues.push({ path: p.name, message: `fractions sum to ${sum.toFixed(6)}, not 1` });
      if (p.maxComponents !== undefined && nonZero > p.maxComponents)
        issues.push({ path: p.name, message: `${nonZero} non-zero components, at most ${p.maxComponents}` });
      return;
    }
  }
}

/**
 * Makes a proposal dispensable: snaps simplex fractions below `minFraction` to zero, keeps at most `maxComponents`
 * largest, renormalises; clamps numbers into bounds and rounds integers. The returned recipe is what is executed
 * and recorded.
 */
export function normaliseRecipe(spec: Pick<CampaignSpec, 'parameters'>, recipe: Recipe): Recipe {
  const out: Recipe = { ...recipe };
  for (const p of spec.parameters) {
    if (p.type === 'continuous' || p.type === 'integer') {
      const v = out[p.name];
      if (typeof v !== 'number' || !Number.isFinite(v)) continue;
      const clamped = Math.min(p.high, Math.max(p.low, v));
      out[p.name] = p.type === 'integer' ? Math.round(clamped) : clamped;
    } else if (p.type === 'simplex') {
      const values = p.components.map((c) => {
        const v = out[c];
        return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0;
      });
      const total0 = values.reduce((a, b) => a + b, 0);
      if (total0 <= 0) continue;
      let fr = values.map((v) => v / total0);
      if (p.maxComponents !== undefined) {
        const keep = new Set(
          fr.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]).slice(0, p.maxComponents).map(([, i]) => i),
        );
        fr = fr.map((v, i) => (keep.has(i) ? v : 0));
      }
      // Snap repeatedly: renormalising can lift another fraction above or push one below the minimum.
      for (let iter = 0; iter < p.components.length; iter++) {
        const s = fr.reduce((a, b) => a + b, 0);
        fr = fr.map((v) => v / s);
        const smallest = fr.reduce((best, v, i) => (v > 0 && v < p.minFraction && (best < 0 || v < (fr[best] ?? 1)) ? i : best), -1);
        if (smallest < 0) break;
        fr[smallest] = 0;
      }
      const s = fr.reduce((a, b) => a + b, 0);
      p.components.forEach((c, i) => (out[c] = (fr[i] ?? 0) / s));
    }
  }
  return out;
}
