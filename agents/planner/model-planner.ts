import type { Logger } from '../../src/domain/index.ts';
import { adviseJob } from './advise-job.ts';
import { draftJob } from './draft-job.ts';
import type { PlannerJob } from './job.ts';
import { emptyPlannerStats, type FallbackReason, type Planner, type PlannerCallRecord, type PlannerDeps, type PlannerResult, type PlannerStats } from './planner.ts';
import { firstMessages, parseReply, promptHash, redact, repairMessage, type ChatMessage } from './prompt.ts';
import { reportJob } from './report-job.ts';
import { answerByRules } from './rule-planner.ts';
import { triageJob } from './triage-job.ts';

export interface Completion {
  text: string;
  tokens: number;
}

/** One chat turn: the messages so far in, the reply's text (or a tool call's arguments as JSON) out. */
export type Complete = (messages: ChatMessage[], signal: AbortSignal) => Promise<Completion>;

/** The provider failed (HTTP error, refused connection, rate limit) or did not answer in time. */
export class ProviderError extends Error {
  constructor(
    message: string,
    readonly reason: 'provider' | 'timeout' | 'budget',
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

/** A replayed prompt that no recording answers: the code or the data changed since the transcript was made. */
export class ReplayMismatchError extends Error {
  constructor(readonly hash: string, job: string) {
    super(`replay: no recorded answer for the ${job} prompt with hash ${hash.slice(0, 16)}… (the prompt changed since it was recorded)`);
    this.name = 'ReplayMismatchError';
  }
}

export interface ModelPlannerOptions {
  kind: 'llm' | 'replay';
  complete: Complete;
  deps: PlannerDeps;
  timeout_ms: number;
  /** Per-campaign budget: model calls and tokens; beyond it every call uses the rule planner. */
  maxCalls: number;
  maxTokens: number;
  /** Repair turns after an invalid answer (default 2). */
  maxRepairs?: number;
  /** Strings never written to logs or documents (the API key). */
  secrets?: string[];
  /**
   * What the campaign's earlier runs spent (a resumed campaign's stored plannerCall records, folded): the counters and
   * the budget go on from it.
   */
  spent?: PlannerStats | undefined;
  logger?: Logger;
  now?: () => number;
}

/**
 * The pipeline shared by the LLM and replay planners: ask, parse, validate (schema, cross-field rules, safety gate),
 * repair at most twice, and fall back to the rule planner's answer per call on a provider error, a timeout, an
 * exhausted budget or an answer still invalid. Every job is recorded (redacted) through `deps.record`.
 */
export class ModelPlanner implements Planner {
  readonly kind: 'llm' | 'replay';
  private readonly counters: PlannerStats;
  private readonly now: () => number;
  private seq: number;

  constructor(private readonly opts: ModelPlannerOptions) {
    this.kind = opts.kind;
    this.counters = opts.spent ? structuredClone(opts.spent) : emptyPlannerStats();
    // Call ids go on from the earlier runs' (one per job), so they stay unique in the campaign.
    this.seq = Object.values(this.counters.jobs).reduce((a, b) => a + b, 0);
    this.now = opts.now ?? (() => performance.now());
  }

  draft = (req: Parameters<Planner['draft']>[0]): ReturnType<Planner['draft']> => this.run(draftJob, req);
  advise = (req: Parameters<Planner['advise']>[0]): ReturnType<Planner['advise']> => this.run(adviseJob, req);
  triage = (req: Parameters<Planner['triage']>[0]): ReturnType<Planner['triage']> => this.run(triageJob, req);
  report = (req: Parameters<Planner['report']>[0]): ReturnType<Planner['report']> => this.run(reportJob, req);

  stats(): PlannerStats {
    return structuredClone(this.counters);
  }

  private budgetLeft(): boolean {
    return this.counters.calls < this.opts.maxCalls && this.counters.tokens < this.opts.maxTokens;
  }

  private async run<Req, Out, Res>(job: PlannerJob<Req, Out, Res>, req: Req): Promise<PlannerResult<Res>> {
    const { deps } = this.opts;
    const maxRepairs = this.opts.maxRepairs ?? 2;
    const secrets = this.opts.secrets ?? [];
    const messages = firstMessages(job, req);
    const hash = promptHash(messages);
    const turns: PlannerCallRecord['turns'] = [];
    this.counters.jobs[job.name]++;
    const finish = (value: Res, source: 'llm' | 'replay' | 'rules', fallback?: FallbackReason): PlannerResult<Res> => {
      this.counters.answeredBy[source]++;
      if (fallback) this.counters.fallbacks[fallback]++;
      const record: PlannerCallRecord = {
        callId: `${job.name}-${++this.seq}`,
        job: job.name,
        source,
        ...(fallback ? { fallback } : {}),
        promptHash: hash,
        turns: turns.map((t) => ({ ...t, system: redact(t.system, secrets), user: redact(t.user, secrets), ...(t.reply !== undefined ? { reply: redact(t.reply, secrets) } : {}), ...(t.error !== undefined ? { error: redact(t.error, secrets) } : {}) })),
        result: value,
      };
      const transcriptId = deps.record?.(record);
      return { value, source, ...(fallback ? { fallback } : {}), ...(transcriptId ? { transcriptId } : {}) };
    };
    const fallBack = (reason: FallbackReason, detail: string): PlannerResult<Res> => {
      this.opts.logger?.warn({ job: job.name, reason, detail: redact(detail, secrets).slice(0, 300) }, 'planner: using the rule planner for this call');
      return finish(answerByRules(job, req, deps), 'rules', reason);
    };
    for (let attempt = 0; attempt <= maxRepairs; attempt++) {
      if (!this.budgetLeft()) return fallBack('budget', `budget of ${this.opts.maxCalls} calls / ${this.opts.maxTokens} tokens used`);
      const system = messages[0]?.content ?? '';
      const user = messages[messages.length - 1]?.content ?? '';
      const started = this.now();
      let completion: Completion;
      try {
        completion = await this.ask(messages);
      } catch (e) {
        if (e instanceof ReplayMismatchError) throw e;
        const reason = e instanceof ProviderError ? e.reason : 'provider';
        const latency_ms = this.now() - started;
        this.countLatency(latency_ms);
        turns.push({ system, user, error: `${reason}: ${(e as Error).message}`.slice(0, 2000), tokens: 0, latency_ms });
        return fallBack(reason, (e as Error).message);
      }
      const latency_ms = this.now() - started;
      this.counters.calls++;
      this.counters.tokens += completion.tokens;
      this.countLatency(latency_ms);
      const turn: PlannerCallRecord['turns'][number] = { system, user, reply: completion.text.slice(0, 200_000), tokens: completion.tokens, latency_ms };
      turns.push(turn);
      const parsed = parseReply(completion.text);
      let rejection: { layer: 'json' | 'schema' | 'rules' | 'safety'; issues: string[] };
      if (!parsed.ok) rejection = { layer: 'json', issues: [parsed.issue] };
      else {
        const shaped = job.schema.safeParse(parsed.value);
        if (!shaped.success) rejection = { layer: 'schema', issues: shaped.error.issues.slice(0, 20).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`) };
        else {
          const check = job.check(shaped.data, req, deps);
          if (check.ok) {
            for (const d of check.dropped) this.counters.rejections[d.layer]++;
            const first = check.dropped[0];
            if (first) turn.rejected = { layer: first.layer, issues: check.dropped.flatMap((d) => d.issues).slice(0, 20), layers: check.dropped.map((d) => d.layer) };
            return finish(check.value, this.kind);
          }
          this.counters.rejections[check.layer]++;
          turn.rejected = { layer: check.layer, issues: check.issues.slice(0, 20) };
          if (check.final !== undefined) return finish(check.final, this.kind);
          rejection = { layer: check.layer, issues: check.issues };
        }
      }
      if (!turn.rejected) {
        this.counters.rejections[rejection.layer]++;
        turn.rejected = { layer: rejection.layer, issues: rejection.issues.slice(0, 20) };
      }
      if (attempt < maxRepairs) {
        this.counters.repairs++;
        messages.push({ role: 'assistant', content: completion.text.slice(0, 20_000) }, repairMessage(rejection.layer, rejection.issues));
      }
    }
    return fallBack('invalid', `still invalid after ${maxRepairs} repair turns`);
  }

  private countLatency(ms: number): void {
    this.counters.latency_ms.total += ms;
    this.counters.latency_ms.max = Math.max(this.counters.latency_ms.max, ms);
  }

  /** One model turn, abandoned (and its request aborted) when the timeout passes. */
  private async ask(messages: ChatMessage[]): Promise<Completion> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new ProviderError(`no answer within ${this.opts.timeout_ms} ms`, 'timeout'));
      }, this.opts.timeout_ms);
    });
    try {
      return await Promise.race([this.opts.complete([...messages], controller.signal), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
