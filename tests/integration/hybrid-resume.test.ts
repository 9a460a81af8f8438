import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resumeCampaign } from '../../src/app/campaign-resume.ts';
import { runDryRun, type DryRunSummary } from '../../src/app/dry-run.ts';
import { loadConfig } from '../../src/config/index.ts';
import { silentLogger } from '../../src/domain/index.ts';
import type { LabDocument } from '../../src/protocol/index.ts';
import { openStore } from '../../src/store/open-store.ts';
import { defaultSpec } from '../helpers/default-spec.ts';
import { hybridSpec, modelLikeResponder, promptOf } from '../helpers/model-like-stub.ts';
import { startOpenAiStub, type OpenAiStub } from '../helpers/openai-stub.ts';

/**
 * ADR 0074: a hybrid campaign paused right after the model answered an advice step (before the batch used it) and then
 * resumed reads the graph's checkpoints back: the model is not asked that step again and its advice is used.
 */
interface Scenario {
  name: string;
  /** Pause when the model answers the n-th advice prompt. */
  pauseAtAdvice: number;
  first?: DryRunSummary;
  resumed?: DryRunSummary;
  docs: LabDocument[];
  /** `summary.completed` of each advice prompt the stub received, in order, and how many the first run sent. */
  completedAtAdvice: number[];
  adviceBeforeResume: number;
}

describe('a resumed hybrid campaign reuses the advice its graph checkpointed', () => {
  let dir: string;
  let stub: OpenAiStub;
  const spec = hybridSpec(defaultSpec({ budget: { trials: 12 }, stations: { pairs: 2 } }), { every: 4, stallAfter: 20, candidates: 2, share: 0.5 });
  const scenarios: Scenario[] = [
    { name: 'first-advice', pauseAtAdvice: 1, docs: [], completedAtAdvice: [], adviceBeforeResume: 0 },
    { name: 'later-advice', pauseAtAdvice: 2, docs: [], completedAtAdvice: [], adviceBeforeResume: 0 },
  ];
  let current: { scenario: Scenario; pause: AbortController } | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'labloop-hybrid-resume-'));
    stub = await startOpenAiStub(
      modelLikeResponder({
        onAdvise: (prompt) => {
          if (!current) return;
          current.scenario.completedAtAdvice.push(prompt.input?.summary?.completed ?? -1);
          // The answer goes out, but the campaign stops before the batch that would use it.
          if (current.scenario.completedAtAdvice.length === current.scenario.pauseAtAdvice) current.pause.abort();
        },
      }),
    );
    for (const s of scenarios) {
      const dbDir = path.join(dir, `db-${s.name}`);
      const config = loadConfig({ LABLOOP_LLM_BASE_URL: stub.baseUrl, LABLOOP_LLM_MODEL: 'stub' }, { pgliteDir: dbDir });
      current = { scenario: s, pause: new AbortController() };
      s.first = await runDryRun({ spec, config, logger: silentLogger, seed: 5, outDir: path.join(dir, `${s.name}-1`), clock: 'instant', transport: 'sim', pause: current.pause.signal, campaignId: `resume-${s.name}` });
      s.adviceBeforeResume = s.completedAtAdvice.length;
      s.resumed = await resumeCampaign({ campaignId: `resume-${s.name}`, config, logger: silentLogger, outDir: path.join(dir, `${s.name}-2`) });
      const store = await openStore({ pgliteDir: dbDir });
      try {
        s.docs = await store.documents.after(`resume-${s.name}`, 0, 100_000);
      } finally {
        await store.close();
      }
    }
    current = undefined;
  }, 600_000);

  afterAll(async () => {
    await stub.close();
    await rm(dir, { recursive: true, force: true });
  });

  const adviceCalls = (s: Scenario): Extract<LabDocument, { type: 'plannerCall' }>[] => s.docs.flatMap((d) => (d.type === 'plannerCall' && d.payload.job === 'advise' ? [d] : []));

  it('pauses after the answer, then completes the budget on resume', () => {
    for (const s of scenarios) {
      expect(s.first?.result.state, s.name).toBe('paused');
      expect(s.resumed?.result.state, s.name).toBe('completed');
      expect(s.resumed?.result.progress.dispatched, s.name).toBe(12);
    }
  });

  it('never asks the model the answered step again (the stub saw each advice prompt once)', () => {
    for (const s of scenarios) {
      const paused = s.completedAtAdvice[s.pauseAtAdvice - 1];
      expect(paused, s.name).toBeDefined();
      // The step the pause interrupted was asked once over both runs…
      expect(s.completedAtAdvice.filter((c) => c === paused), s.name).toHaveLength(1);
      // …and the resumed run's first advice prompt is a later step, not that one again.
      const afterResume = s.completedAtAdvice.slice(s.adviceBeforeResume);
      expect(afterResume.every((c) => c > (paused ?? 0)), `${s.name}: ${JSON.stringify(s.completedAtAdvice)}`).toBe(true);
      // Every advice plannerCall has a distinct prompt, and there is one per graph round.
      const calls = adviceCalls(s);
      expect(new Set(calls.map((d) => d.payload.promptHash)).size, s.name).toBe(calls.length);
      const rounds = new Set(s.docs.flatMap((d) => (d.type === 'plannerCheckpoint' ? [String(d.payload.config.configurable?.['thread_id'])] : [])));
      expect(rounds.size, s.name).toBe(calls.length);
    }
    const requests = stub.requests.filter((r) => promptOf(r).job === 'advise').length;
    expect(requests).toBe(scenarios.reduce((n, s) => n + s.completedAtAdvice.length, 0));
  });

  it("uses the restored advice: the paused step's candidates reach the resumed batch with its transcript id", () => {
    const s = scenarios[0] as Scenario;
    const pausedCall = adviceCalls(s)[0];
    expect(pausedCall).toBeDefined();
    const pausedId = `plannerCall:${pausedCall?.seq ?? 0}`;
    // The first run stopped before any trial was proposed.
    const firstRunEnd = s.docs.find((d) => d.type === 'campaignState' && d.payload.state === 'paused')?.seq ?? 0;
    expect(s.docs.filter((d) => d.type === 'suggestion' && d.seq < firstRunEnd)).toHaveLength(0);
    // In the initial design the planner's candidates take their places: they carry the paused step's transcript.
    const reused = s.docs.filter((d) => d.type === 'suggestion' && d.seq > firstRunEnd && d.payload.suggestion.sourceId === pausedId);
    expect(reused.length).toBeGreaterThan(0);
    expect(reused.every((d) => d.type === 'suggestion' && d.payload.suggestion.proposer === 'llm')).toBe(true);
  });
});
