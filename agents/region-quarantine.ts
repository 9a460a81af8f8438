import { createSearchSpace, type SearchSpace } from '../models/transforms/search-space.ts';
import { makeFailure, type CampaignSpec, type Failure, type Logger, type Recipe } from '../src/domain/index.ts';
import type { ActiveRegion, DocumentBus } from '../src/protocol/index.ts';

export type { ActiveRegion } from '../src/protocol/index.ts';

/** What a triage needs to quarantine the region around a trial's recipe (implemented by RegionQuarantines). */
export interface RegionQuarantine {
  quarantine(request: { centre: Recipe; trialId: string; reason: string; actor: string }): void;
}

/**
 * Euclidean distance of two recipes in the agents' feature space (ADR 0011, without presence indicators): continuous
 * and integer parameters scaled to [0, 1] by their bounds (log-scaled when `log`), simplex groups as their fractions,
 * categoricals one-hot (two different choices are √2 apart, further than any region's radius). Infinity when either
 * recipe cannot be encoded (a missing or non-numeric value).
 */
export function regionDistance(space: SearchSpace, a: Recipe, b: Recipe): number {
  let x: Float64Array;
  let y: Float64Array;
  try {
    x = space.encode(a);
    y = space.encode(b);
  } catch {
    return Infinity;
  }
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    const d = (x[i] as number) - (y[i] as number);
    sum += d * d;
  }
  return Math.sqrt(sum);
}

export interface RegionQuarantinesOptions {
  spec: Pick<CampaignSpec, 'parameters' | 'constraints'>;
  bus: DocumentBus;
  campaignId: string;
  newId: () => string;
  /** Radius of a new region in the feature space (`strategy.planner.regionRadius`). */
  radius: number;
  /** Regions a resumed campaign's documents left active (`activeRegions`). */
  restored?: readonly ActiveRegion[];
  logger?: Logger;
}

/**
 * The campaign's quarantined regions of the search space (ADR 0106). A triage verdict quarantines the ball of
 * `radius` around a trial's recipe; the campaign loop refuses every suggestion inside an active region; an operator
 * lifts one. Each change is a `regionQuarantine` document, published before it takes effect here, so a resumed run
 * restores exactly the regions its documents leave active.
 */
export class RegionQuarantines implements RegionQuarantine {
  private readonly space: SearchSpace;
  private readonly regions = new Map<string, ActiveRegion>();

  constructor(private readonly opts: RegionQuarantinesOptions) {
    this.space = createSearchSpace(opts.spec);
    for (const r of opts.restored ?? []) this.regions.set(r.regionId, r);
  }

  /**
   * Quarantines the region around `centre` (the recipe of `trialId`). A trial's region is quarantined once: a second
   * verdict on the same trial (its quality flags and a batch-shift alarm, or a triage asked again after a resume)
   * while its region is active changes nothing.
   */
  quarantine(request: { centre: Recipe; trialId: string; reason: string; actor: string }): void {
    const { centre, trialId, actor } = request;
    if ([...this.regions.values()].some((r) => r.trialId === trialId)) return;
    const region: ActiveRegion = { regionId: `region-${this.opts.newId()}`, centre, radius: this.opts.radius, trialId, reason: request.reason.slice(0, 1000), actor: actor.slice(0, 200) };
    this.opts.bus.publish(this.opts.campaignId, 'regionQuarantine', { state: 'active', ...region });
    this.regions.set(region.regionId, region);
    this.opts.logger?.info({ regionId: region.regionId, trialId, radius: region.radius, reason: region.reason }, 'region of the search space quarantined');
  }

  /** Whether `regionId` names an active region. */
  has(regionId: string): boolean {
    return this.regions.has(regionId);
  }

  /** Returns an active region to the search; false when no active region has that id. */
  lift(regionId: string, actor: string, reason?: string): boolean {
    if (!this.regions.has(regionId)) return false;
    this.opts.bus.publish(this.opts.campaignId, 'regionQuarantine', { state: 'lifted', regionId, actor: actor.slice(0, 200), ...(reason ? { reason: reason.slice(0, 1000) } : {}) });
    this.regions.delete(regionId);
    this.opts.logger?.info({ regionId, actor }, 'region quarantine lifted');
    return true;
  }

  /** The active regions, in the order quarantined. */
  active(): ActiveRegion[] {
    return [...this.regions.values()];
  }

  /** The first active region `recipe` lies in (distance to its centre ≤ its radius), if any. */
  containing(recipe: Recipe): { region: ActiveRegion; distance: number } | undefined {
    for (const region of this.regions.values()) {
      const distance = regionDistance(this.space, recipe, region.centre);
      if (distance <= region.radius) return { region, distance };
    }
    return undefined;
  }

  /** The campaign loop's refusal of a dispensable recipe inside an active region (REGION_QUARANTINED); undefined outside. */
  refusal(recipe: Recipe): Failure | undefined {
    const inside = this.containing(recipe);
    if (!inside) return undefined;
    const { region, distance } = inside;
    const message = `inside quarantined region ${region.regionId} (distance ${distance.toFixed(3)} ≤ radius ${region.radius} from the recipe of trial ${region.trialId}): ${region.reason}`;
    return makeFailure('REGION_QUARANTINED', message.slice(0, 1000));
  }
}
