import { z } from 'zod';
import { GENERATIVE_MODELS } from '../src/domain/index.ts';
import type { TrainedModel } from '../models/generative/trained-model.ts';
import type { ModelSnapshot } from './agent.ts';

/**
 * A trained generative model as a `modelSnapshot` document (ADR 0082): `agent` is `generative:<kind>`, and
 * `hyperparameters` carries the architecture, hyper-parameters, tfjs backend, condition scale, training-loss curve,
 * metrics, the weights' SHA-256 and the weights themselves (float32, base64), so a stored campaign can rebuild the
 * exact model (`labloop design --from-campaign`, a resumed run).
 */
const tensorSchema = z.strictObject({ name: z.string(), shape: z.array(z.number().int().nonnegative()), base64: z.string() });
const storedSchema = z.strictObject({
  kind: z.enum(GENERATIVE_MODELS),
  architecture: z.string(),
  hyperparameters: z.record(z.string(), z.number()),
  backend: z.string(),
  seed: z.number().int(),
  dim: z.number().int().positive(),
  condDim: z.number().int().positive(),
  conditionScale: z.strictObject({
    objectives: z.array(z.strictObject({ name: z.string(), direction: z.enum(['minimize', 'maximize']), best: z.number(), worst: z.number() })),
  }),
  lossCurve: z.array(z.number()),
  metrics: z.strictObject({ trainSeconds: z.number(), finalLoss: z.number().optional() }),
  weightsHash: z.string().regex(/^[0-9a-f]{64}$/),
  weights: z.array(tensorSchema),
});

export const GENERATIVE_AGENT_PREFIX = 'generative:';

export function toSnapshotDocument(trained: TrainedModel): ModelSnapshot {
  const { snapshot: s, weights } = trained;
  const { snapshotId, n, ...rest } = s;
  return { snapshotId, agent: `${GENERATIVE_AGENT_PREFIX}${s.kind}`, n, hyperparameters: { ...rest, weights } };
}

/** The trained model stored in a snapshot document (throws when the document is not a valid generative snapshot). */
export function fromSnapshotDocument(doc: ModelSnapshot): TrainedModel {
  if (!doc.agent.startsWith(GENERATIVE_AGENT_PREFIX)) throw new Error(`snapshot ${doc.snapshotId} is not a generative model's (${doc.agent})`);
  const stored = storedSchema.parse(doc.hyperparameters);
  const { weights, metrics, ...rest } = stored;
  return {
    snapshot: {
      snapshotId: doc.snapshotId,
      n: doc.n,
      ...rest,
      metrics: { trainSeconds: metrics.trainSeconds, ...(metrics.finalLoss !== undefined ? { finalLoss: metrics.finalLoss } : {}) },
    },
    weights,
  };
}
