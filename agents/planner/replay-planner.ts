import { ModelPlanner, ProviderError, ReplayMismatchError, type Completion, type ModelPlannerOptions } from './model-planner.ts';
import type { PlannerCallRecord } from './planner.ts';
import { promptHash, type ChatMessage } from './prompt.ts';

interface Recorded {
  reply?: string;
  error?: string;
  tokens: number;
}

/** Every recorded model turn keyed by the hash of the messages that led to it. */
export function transcriptTable(records: readonly PlannerCallRecord[]): Map<string, Recorded> {
  const table = new Map<string, Recorded>();
  for (const r of records) {
    const first = r.turns[0];
    if (!first) {
      // A job the recording answered by rules for lack of budget: the replay falls back at the same prompt.
      if (r.fallback === 'budget' && r.promptHash) table.set(r.promptHash, { error: 'budget: exhausted when recorded', tokens: 0 });
      continue;
    }
    const messages: ChatMessage[] = [{ role: 'system', content: first.system }];
    r.turns.forEach((t, i) => {
      messages.push({ role: 'user', content: t.user });
      table.set(promptHash(messages), { ...(t.reply !== undefined ? { reply: t.reply } : {}), ...(t.error !== undefined ? { error: t.error } : {}), tokens: t.tokens });
      if (t.reply !== undefined && i < r.turns.length - 1) messages.push({ role: 'assistant', content: t.reply.slice(0, 20_000) });
    });
  }
  return table;
}

export type ReplayPlannerOptions = Omit<ModelPlannerOptions, 'kind' | 'complete' | 'timeout_ms' | 'maxCalls' | 'maxTokens'> & {
  records: readonly PlannerCallRecord[];
};

/**
 * Answers from recorded transcripts (plannerCall documents): the same validation and fallbacks as the LLM planner,
 * with the model's turns looked up by prompt hash. A prompt no recording answers throws ReplayMismatchError.
 */
export class ReplayPlanner extends ModelPlanner {
  constructor(opts: ReplayPlannerOptions) {
    const { records, ...rest } = opts;
    const table = transcriptTable(records);
    let job = 'planner';
    super({
      ...rest,
      kind: 'replay',
      timeout_ms: 60_000,
      maxCalls: Number.MAX_SAFE_INTEGER,
      maxTokens: Number.MAX_SAFE_INTEGER,
      complete: async (messages): Promise<Completion> => {
        const hash = promptHash(messages);
        const hit = table.get(hash);
        if (!hit) {
          job = /"job":"(\w+)"/.exec(messages[1]?.content ?? '')?.[1] ?? job;
          throw new ReplayMismatchError(hash, job);
        }
        if (hit.error !== undefined) throw new ProviderError(hit.error, hit.error.startsWith('timeout') ? 'timeout' : hit.error.startsWith('budget') ? 'budget' : 'provider');
        return { text: hit.reply ?? '', tokens: hit.tokens };
      },
    });
  }
}
