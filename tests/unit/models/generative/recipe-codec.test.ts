import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRecipeCodec } from '../../../../models/generative/recipe-codec.ts';
import { selectTfBackend } from '../../../../models/generative/tf-backend.ts';
import { campaignSpecSchema, type CampaignSpec } from '../../../../src/domain/index.ts';
import { Rng } from '../../../../src/domain/random.ts';
import { validateRecipe } from '../../../../src/domain/recipe.ts';
import { SafetyGate } from '../../../../src/safety/safety-gate.ts';
import { defaultSpec, goodRecipe } from '../../../helpers/default-spec.ts';

/** A space with every parameter kind: a tight simplex, log-scaled and integer numbers, a categorical. */
const mixedSpec = (): CampaignSpec =>
  campaignSpecSchema.parse({
    ...defaultSpec(),
    id: 'mixed',
    derivedFeatures: [],
    parameters: [
      { type: 'simplex', name: 'metals', components: ['Ni', 'Fe', 'Co', 'Ce', 'Mn'], minFraction: 0.15, maxComponents: 2 },
      { type: 'continuous', name: 'totalMetal', low: 10, high: 100, unit: 'mM' },
      { type: 'continuous', name: 'rate', low: 0.001, high: 1, unit: 'V/s', log: true },
      { type: 'integer', name: 'cycles', low: 1, high: 7 },
      { type: 'categorical', name: 'solvent', choices: ['water', 'ethanol', 'ipa'] },
    ],
  });

beforeAll(async () => {
  await selectTfBackend('wasm');
});

describe('recipe codec', () => {
  it('round-trips a recipe through encode and decode', () => {
    const codec = createRecipeCodec(defaultSpec());
    const x = codec.encode([goodRecipe]);
    expect(x.length).toBe(codec.dim);
    const back = codec.decode(x);
    for (const [k, v] of Object.entries(goodRecipe)) expect(back[k]).toBeCloseTo(v, 4);
  });

  it.each([
    ['default OER space', defaultSpec],
    ['mixed space', mixedSpec],
  ])('decodes arbitrary rows into valid recipes only (%s)', (_name, make) => {
    const spec = make();
    const codec = createRecipeCodec(spec);
    const rng = new Rng(11);
    for (let i = 0; i < 3000; i++) {
      // Adversarial rows: huge, negative, ties, NaN.
      const row = Array.from({ length: codec.dim }, () => {
        const u = rng.next();
        return u < 0.05 ? Number.NaN : u < 0.1 ? 0 : u < 0.15 ? -5 : rng.normal() * 3;
      });
      const r = codec.decode(row, i % 2 === 0 ? rng : undefined);
      expect(validateRecipe(spec, r)).toEqual([]);
    }
  });

  it('activated logits decode to recipes the safety gate allows, every one', () => {
    const spec = defaultSpec();
    const codec = createRecipeCodec(spec);
    const gate = new SafetyGate(spec);
    const feats = tf.tidy(() => codec.activate(tf.randomNormal([2000, codec.dim], 0, 4, 'float32', 3) as tf.Tensor2D).arraySync());
    let allowed = 0;
    for (const row of feats) {
      const r = codec.decode(row);
      expect(validateRecipe(spec, r)).toEqual([]);
      if (gate.checkRecipe(r).allowed) allowed++;
    }
    expect(allowed).toBe(feats.length);
  });

  it('activation puts numbers in [0, 1] and every segment on its simplex', () => {
    const codec = createRecipeCodec(mixedSpec());
    const rows = tf.tidy(() => codec.activate(tf.randomNormal([50, codec.dim], 0, 3, 'float32', 5) as tf.Tensor2D).arraySync());
    for (const row of rows) {
      for (const s of codec.segments) {
        const part = row.slice(s.offset, s.offset + s.width);
        for (const v of part) expect(v).toBeGreaterThanOrEqual(0);
        for (const v of part) expect(v).toBeLessThanOrEqual(1);
        if (s.kind === 'simplex' || s.kind === 'categorical') expect(part.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      }
    }
  });

  it('Gumbel-softmax makes categorical segments near one-hot at low temperature', () => {
    const codec = createRecipeCodec(mixedSpec());
    const seg = codec.segments.find((s) => s.kind === 'categorical');
    if (!seg) throw new Error('no categorical');
    const rows = tf.tidy(() => codec.activateGumbel(tf.zeros([200, codec.dim]) as tf.Tensor2D, 0.05, 9).arraySync());
    const maxima = rows.map((r) => Math.max(...r.slice(seg.offset, seg.offset + seg.width)));
    expect(maxima.filter((m) => m > 0.9).length).toBeGreaterThan(170);
    // Uniform logits: every choice is drawn.
    const picks = new Set(rows.map((r) => r.slice(seg.offset, seg.offset + seg.width).indexOf(Math.max(...r.slice(seg.offset, seg.offset + seg.width)))));
    expect(picks.size).toBe(seg.width);
  });

  it('reconstruction loss is near zero for logits that reproduce the target and larger otherwise', () => {
    const codec = createRecipeCodec(defaultSpec());
    const x = codec.encode([goodRecipe]);
    const [good, bad] = tf.tidy(() => {
      const target = tf.tensor2d(x, [1, codec.dim]);
      // Logits that reproduce the target: logit for numbers, log of the fractions (floored) for the simplex.
      const logits = Array.from(x, (v, i) => {
        const s = codec.segments.find((q) => i >= q.offset && i < q.offset + q.width);
        const c = Math.min(1 - 1e-6, Math.max(1e-6, v));
        return s?.kind === 'simplex' ? Math.log(Math.max(v, 1e-9)) : Math.log(c / (1 - c));
      });
      return [codec.reconstructionLoss(tf.tensor2d(logits, [1, codec.dim]), target).arraySync(), codec.reconstructionLoss(tf.zeros([1, codec.dim]), target).arraySync()];
    });
    expect(good).toBeLessThan(bad as number);
    expect(good).toBeLessThan(1.0); // the simplex cross-entropy keeps the target's entropy
  });

  it('decodeValid rejects a recipe that breaks a linear constraint', () => {
    const spec = campaignSpecSchema.parse({ ...defaultSpec(), constraints: [{ coefficients: { totalMetal: 1, complexant: 1 }, rhs: 70 }] });
    const codec = createRecipeCodec(spec);
    expect(codec.decodeValid(codec.encode([{ ...goodRecipe, totalMetal: 90, complexant: 40 }]))).toBeNull();
    expect(codec.decodeValid(codec.encode([goodRecipe]))).not.toBeNull();
  });
});
