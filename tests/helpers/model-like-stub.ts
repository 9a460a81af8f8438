import { plannerStrategySchema, type CampaignSpec, type PlannerStrategy } from '../../src/domain/index.ts';
import { goodRecipe } from './default-spec.ts';
import type { StubReply, StubRequest, StubResponder } from './openai-stub.ts';

/** The job and input a planner prompt carries (the user message is JSON: `{ job, input, … }`). */
export interface StubPrompt {
  job?: string;
  input?: {
    summary?: { completed?: number };
    failure?: { retryable?: boolean; code?: string };
    flags?: string[];
    allowed?: string[];
  };
}

export function promptOf(req: StubRequest): StubPrompt {
  try {
    return JSON.parse(req.body.messages[1]?.content ?? '{}') as StubPrompt;
  } catch {
    return {};
  }
}

export interface ModelLikeOptions {
  /** The report job's markdown (default: a sentence with no number). */
  report?: string;
  /** The triage reason (default 'a device fault, not the ink'). */
  triageReason?: string;
  /** Called with each advise prompt before it is answered (tests pause a campaign from here). */
  onAdvise?: (prompt: StubPrompt, req: StubRequest) => void;
  /** Triage verdict instead of the default (retry what is retryable, else skip). */
  triage?: (prompt: StubPrompt) => { verdict: string; reason: string } | undefined;
}

/**
 * The OpenAI-compatible stub as a model that advises exploiting near a fixed good ink (two candidates, shifted with
 * the number of completed trials so successive rounds differ), triages by retryability and writes a report. Shared by
 * the hybrid dry-run tests and bench:planner.
 */
export function modelLikeResponder(opts: ModelLikeOptions = {}): StubResponder {
  return (req): StubReply => {
    const prompt = promptOf(req);
    if (prompt.job === 'triage') {
      const custom = opts.triage?.(prompt);
      if (custom) return { content: JSON.stringify(custom) };
      return { content: JSON.stringify({ verdict: prompt.input?.failure?.retryable ? 'retry' : 'skip', reason: opts.triageReason ?? 'a device fault, not the ink' }) };
    }
    if (prompt.job === 'report') return { content: JSON.stringify({ markdown: opts.report ?? 'The campaign is finished; see the table of trials.' }) };
    if (prompt.job !== 'advise') return { status: 500, message: 'not scripted' };
    opts.onAdvise?.(prompt, req);
    const shift = ((prompt.input?.summary?.completed ?? 0) % 5) * 10;
    return {
      content: JSON.stringify({
        strategy: 'exploit',
        rationale: 'Ni-Fe inks with a little Co are known good OER catalysts',
        candidates: [
          { recipe: { ...goodRecipe, depositionCharge_mC_cm2: 40 + shift }, rationale: 'Ni-rich Ni-Fe-Co' },
          { recipe: { ...goodRecipe, Ni: 0.5, Fe: 0.35, Co: 0.15, annealTemperature: 250 + shift }, rationale: 'more Fe' },
        ],
      }),
    };
  };
}

/** A campaign with the hybrid agent (and planner settings, when given). */
export function hybridSpec(spec: CampaignSpec, planner?: Partial<PlannerStrategy>): CampaignSpec {
  return { ...spec, strategy: { ...spec.strategy, agent: 'hybrid', ...(planner ? { planner: plannerStrategySchema.parse(planner) } : {}) } };
}
