import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { recipeKeys, type CampaignSpec, type Observation, type Recipe } from '../../domain/index.ts';
import { validateRecipe } from '../../domain/recipe.ts';
import type { Store } from '../../store/store.ts';

/**
 * Observations for inverse design and warm starts (ADR 0084), from a CSV file or a stored campaign.
 *
 * CSV: a header with the campaign's parameter names (simplex components by component) and objective names; an
 * optional `status` column (`completed` rows are results, `failed` rows infeasible, other statuses skipped) — the
 * results.csv a run writes qualifies. Rows whose recipe is not valid in the campaign's space are skipped and counted.
 */
export async function observationsFromCsv(spec: CampaignSpec, file: string): Promise<{ observations: Observation[]; skipped: number }> {
  const rows = parse(await readFile(file, 'utf8'), { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
  const keys = recipeKeys(spec);
  const first = rows[0];
  if (!first) throw new Error(`${file} has no data rows`);
  const missing = [...keys, ...spec.objectives.map((o) => o.name)].filter((k) => !(k in first));
  if (missing.length > 0) throw new Error(`${file} lacks the column(s) ${missing.join(', ')}`);
  const observations: Observation[] = [];
  let skipped = 0;
  rows.forEach((row, i) => {
    const status = row['status'];
    if (status !== undefined && status !== 'completed' && status !== 'failed') return void skipped++;
    const recipe: Recipe = {};
    for (const p of spec.parameters) {
      if (p.type === 'categorical') recipe[p.name] = row[p.name] ?? '';
      else for (const k of p.type === 'simplex' ? p.components : [p.name]) recipe[k] = Number(row[k]);
    }
    if (validateRecipe(spec, recipe).length > 0) return void skipped++;
    const objectives: Record<string, number> = {};
    for (const o of spec.objectives) {
      const v = row[o.name];
      if (v !== undefined && v !== '' && Number.isFinite(Number(v))) objectives[o.name] = Number(v);
    }
    const feasible = status !== 'failed' && spec.objectives.every((o) => objectives[o.name] !== undefined);
    if (status === undefined && !feasible) return void skipped++;
    observations.push({ trialId: row['id'] || `row${i + 1}`, recipe, feasible, objectives: feasible ? objectives : {}, qualityFlags: [] });
  });
  return { observations, skipped };
}

/** A stored campaign's finished trials as observations (completed: results; failed: infeasible). */
export async function observationsFromStore(store: Store, campaignId: string): Promise<Observation[]> {
  const trials = await store.trials.list(campaignId);
  return trials.flatMap((t): Observation[] => {
    if (t.status === 'completed' && t.objectives) return [{ trialId: t.id, recipe: t.recipe, feasible: true, objectives: t.objectives, qualityFlags: [] }];
    if (t.status === 'failed') return [{ trialId: t.id, recipe: t.recipe, feasible: false, objectives: {}, ...(t.failure ? { failureCode: t.failure.code } : {}), qualityFlags: [] }];
    return [];
  });
}
