import type { DocumentPayload, LabDocument } from './documents.ts';

/** A region of the search space a campaign quarantined and no operator has lifted (ADR 0106). */
export type ActiveRegion = Omit<Extract<DocumentPayload<'regionQuarantine'>, { state: 'active' }>, 'state'>;

/**
 * The regions a campaign's `regionQuarantine` documents leave active, in the order they were quarantined: each
 * `active` document adds its region, a `lifted` one removes the region of its id. Documents of other types are ignored.
 */
export function activeRegions(docs: Iterable<LabDocument>): ActiveRegion[] {
  const regions = new Map<string, ActiveRegion>();
  for (const doc of docs) {
    if (doc.type !== 'regionQuarantine') continue;
    const p = doc.payload;
    if (p.state === 'lifted') regions.delete(p.regionId);
    else regions.set(p.regionId, { regionId: p.regionId, centre: p.centre, radius: p.radius, trialId: p.trialId, reason: p.reason, actor: p.actor });
  }
  return [...regions.values()];
}
