import type { CampaignSpec, Observation, Recipe, Suggestion } from '../src/domain/index.ts';
import type { DocumentPayload } from '../src/protocol/index.ts';

export type ModelSnapshot = DocumentPayload<'modelSnapshot'>;

export interface AgentReport {
  name: string;
  /** Observations ingested so far (feasible and infeasible). */
  observations: number;
  /** The latest model snapshot (hyper-parameters, leave-one-out error), when the agent has a model. */
  snapshot?: ModelSnapshot;
  /** Further model snapshots (e.g. a generative model's), each published once by its id. */
  snapshots?: ModelSnapshot[];
}

/**
 * Ask/tell interface every proposer implements. Agents never touch hardware or the database: they learn from
 * observations and return suggestions. `pending` are recipes still running; proposals must not pile onto them.
 */
export interface Agent {
  readonly name: string;
  ingest(observations: Observation[]): Promise<void>;
  suggest(n: number, pending: Recipe[]): Promise<Suggestion[]>;
  report(): AgentReport;
}

export interface AgentContext {
  spec: CampaignSpec;
  seed: number;
  /** Creates unique ids for suggestions and snapshots (ULIDs in production, counters in tests). */
  newId: () => string;
}
