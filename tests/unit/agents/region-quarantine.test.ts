import { describe, expect, it } from 'vitest';
import { RegionQuarantines, regionDistance } from '../../../agents/region-quarantine.ts';
import { createSearchSpace } from '../../../models/transforms/search-space.ts';
import { campaignSpecSchema, failureCodeSchema, plannerStrategySchema, type CampaignSpec } from '../../../src/domain/index.ts';
import { DocumentBus, activeRegions, payloadSchema, type LabDocument } from '../../../src/protocol/index.ts';
import { defaultSpec, goodRecipe } from '../../helpers/default-spec.ts';

const spec = defaultSpec();
const space = createSearchSpace(spec);

function regions(restored: Parameters<typeof activeRegions>[0] = []) {
  const bus = new DocumentBus();
  const docs: LabDocument[] = [];
  bus.subscribe((d) => void docs.push(d));
  let n = 0;
  const r = new RegionQuarantines({ spec, bus, campaignId: 'c', newId: () => `${++n}`, radius: 0.1, restored: activeRegions(restored) });
  return { r, bus, docs };
}

describe('regionDistance (ADR 0106)', () => {
  it('scales a continuous parameter by its bounds: depositionCharge 2..150 mC/cm², so 14.8 apart is 0.1', () => {
    expect(regionDistance(space, goodRecipe, goodRecipe)).toBe(0);
    expect(regionDistance(space, goodRecipe, { ...goodRecipe, depositionCharge_mC_cm2: 40 + 14.8 })).toBeCloseTo(0.1, 12);
    // annealTemperature 25..500 °C: 47.5 °C is 0.1; two parameters combine as Euclidean.
    const both = { ...goodRecipe, depositionCharge_mC_cm2: 40 + 14.8, annealTemperature: 200 + 47.5 };
    expect(regionDistance(space, goodRecipe, both)).toBeCloseTo(Math.SQRT2 * 0.1, 12);
  });

  it('takes simplex fractions as they are', () => {
    const shifted = { ...goodRecipe, Ni: 0.5, Fe: 0.35 };
    expect(regionDistance(space, goodRecipe, shifted)).toBeCloseTo(Math.hypot(0.1, 0.1), 12);
  });

  it('log-scales a log parameter, puts another categorical choice √2 away, and an unencodable recipe infinitely far', () => {
    const mixed: Pick<CampaignSpec, 'parameters' | 'constraints'> = {
      constraints: [],
      parameters: [
        { type: 'continuous', name: 'c', low: 1, high: 100, unit: 'mM', log: true },
        { type: 'categorical', name: 'solvent', choices: ['water', 'ethanol'] },
        { type: 'integer', name: 'k', low: 0, high: 10, unit: '' },
      ],
    };
    const s = createSearchSpace(mixed);
    const a = { c: 1, solvent: 'water', k: 0 };
    expect(regionDistance(s, a, { ...a, c: 10 })).toBeCloseTo(0.5, 12);
    expect(regionDistance(s, a, { ...a, k: 1 })).toBeCloseTo(0.1, 12);
    expect(regionDistance(s, a, { ...a, solvent: 'ethanol' })).toBeCloseTo(Math.SQRT2, 12);
    expect(regionDistance(s, a, { solvent: 'water', k: 0 })).toBe(Infinity);
  });
});

describe('RegionQuarantines (ADR 0106)', () => {
  it('quarantines the ball around a recipe as a document, refuses recipes inside it and not outside', async () => {
    const { r, docs, bus } = regions();
    r.quarantine({ centre: goodRecipe, trialId: 't7', reason: 'films peel here', actor: 'planner:llm:plannerCall:3' });
    await bus.flush();
    expect(docs.map((d) => d.payload)).toEqual([
      { state: 'active', regionId: 'region-1', centre: goodRecipe, radius: 0.1, trialId: 't7', reason: 'films peel here', actor: 'planner:llm:plannerCall:3' },
    ]);
    const inside = { ...goodRecipe, depositionCharge_mC_cm2: 50 }; // 10/148 ≈ 0.068
    const edge = { ...goodRecipe, depositionCharge_mC_cm2: 40 + 14.8 }; // 0.1: inside (the ball is closed)
    const outside = { ...goodRecipe, depositionCharge_mC_cm2: 60 }; // 20/148 ≈ 0.135
    expect(r.containing(inside)?.region.regionId).toBe('region-1');
    expect(r.containing(edge)).toBeDefined();
    expect(r.containing(outside)).toBeUndefined();
    expect(r.refusal(outside)).toBeUndefined();
    const refusal = r.refusal(inside);
    expect(refusal).toMatchObject({ code: 'REGION_QUARANTINED', retryable: false, recoverable: true });
    expect(refusal?.message).toMatch(/region-1 \(distance 0\.068 ≤ radius 0\.1 from the recipe of trial t7\): films peel here/);
  });

  it('quarantines a trial once, lifts by id (a document), and refuses nothing after the lift', async () => {
    const { r, docs, bus } = regions();
    r.quarantine({ centre: goodRecipe, trialId: 't7', reason: 'a', actor: 'planner:rules' });
    r.quarantine({ centre: goodRecipe, trialId: 't7', reason: 'again', actor: 'planner:rules' });
    expect(r.active()).toHaveLength(1);
    expect(r.lift('region-9', 'alice')).toBe(false);
    expect(r.has('region-1')).toBe(true);
    expect(r.lift('region-1', 'alice', 'the films were fine after all')).toBe(true);
    expect(r.has('region-1')).toBe(false);
    expect(r.refusal(goodRecipe)).toBeUndefined();
    await bus.flush();
    expect(docs.map((d) => d.payload)).toEqual([
      expect.objectContaining({ state: 'active', regionId: 'region-1' }),
      { state: 'lifted', regionId: 'region-1', actor: 'alice', reason: 'the films were fine after all' },
    ]);
  });

  it('restores the regions its documents leave active (lifted ones stay lifted)', async () => {
    const first = regions();
    first.r.quarantine({ centre: goodRecipe, trialId: 't1', reason: 'a', actor: 'planner:rules' });
    first.r.quarantine({ centre: { ...goodRecipe, annealTemperature: 450 }, trialId: 't2', reason: 'b', actor: 'planner:rules' });
    first.r.lift('region-1', 'bob');
    await first.bus.flush();
    const resumed = regions(first.docs);
    expect(resumed.r.active().map((x) => x.trialId)).toEqual(['t2']);
    expect(resumed.r.refusal(goodRecipe)).toBeUndefined();
    expect(resumed.r.refusal({ ...goodRecipe, annealTemperature: 440 })?.code).toBe('REGION_QUARANTINED');
    await resumed.bus.flush();
    expect(resumed.docs).toEqual([]);
  });
});

describe('region quarantine schemas (ADR 0106)', () => {
  it('strategy.planner.regionRadius: default 0.1, in (0, 1]', () => {
    expect(plannerStrategySchema.parse({}).regionRadius).toBe(0.1);
    expect(plannerStrategySchema.parse({ regionRadius: 0.25 }).regionRadius).toBe(0.25);
    expect(plannerStrategySchema.safeParse({ regionRadius: 0 }).success).toBe(false);
    expect(plannerStrategySchema.safeParse({ regionRadius: 1.5 }).success).toBe(false);
    const typo = campaignSpecSchema.safeParse({ ...spec, strategy: { ...spec.strategy, planner: { regionRadus: 0.2 } } });
    expect(typo.success).toBe(false);
    expect(typo.error?.issues[0]?.message).toContain('did you mean regionRadius?');
  });

  it('the regionQuarantine document is strict and REGION_QUARANTINED is a failure code', () => {
    const schema = payloadSchema('regionQuarantine');
    const active = { state: 'active', regionId: 'region-1', centre: goodRecipe, radius: 0.1, trialId: 't', reason: 'r', actor: 'a' };
    expect(schema.safeParse(active).success).toBe(true);
    expect(schema.safeParse({ ...active, colour: 'red' }).success).toBe(false);
    expect(schema.safeParse({ ...active, radius: 0 }).success).toBe(false);
    expect(schema.safeParse({ state: 'lifted', regionId: 'region-1', actor: 'alice' }).success).toBe(true);
    expect(schema.safeParse({ state: 'lifted', regionId: 'region-1' }).success).toBe(false);
    expect(failureCodeSchema.parse('REGION_QUARANTINED')).toBe('REGION_QUARANTINED');
  });
});
