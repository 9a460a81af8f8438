import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LabDocument } from '../../src/protocol/index.ts';
import { ofType } from '../helpers/fault-campaign.ts';
import { CAMPAIGN_FILE, storedDocuments, journalCount, journalDirOf, killAndResume, type KillResumeOptions } from '../helpers/kill-resume.ts';
import { modelLikeResponder, promptOf } from '../helpers/model-like-stub.ts';
import { startOpenAiStub, type OpenAiStub, type StubResponder } from '../helpers/openai-stub.ts';

/**
 * ADR 0105: a hybrid dry run (the LLM planner over HTTP to the stub model, injected faults so some trials come back
 * flagged) is kill -9'd while the model is asked to triage a flagged trial. The triage request is a stored plannerAction
 * document, so `labloop resume` asks it again — once — and the model's verdict quarantines the trial's station. That
 * resume is kill -9'd in turn after the verdict; the next resume has the station quarantined from the start and does
 * not ask the triage again. The campaign completes and `labloop audit` is clean.
 */
const dirs: string[] = [];
const stubs: OpenAiStub[] = [];
afterAll(async () => {
  for (const s of stubs) await s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});


/** The flagged trial a triage prompt is about (flags, no failure), or undefined for any other prompt. */
function flaggedTrialOf(body: Parameters<StubResponder>[0]): string | undefined {
  const prompt = promptOf(body) as { job?: string; input?: { trialId?: string; failure?: unknown; flags?: string[] } };
  if (prompt.job !== 'triage' || prompt.input?.failure !== undefined || (prompt.input?.flags ?? []).length === 0) return undefined;
  return prompt.input?.trialId;
}

describe('kill -9 while the planner triages a flagged trial, then resume', () => {
  it('the undecided triage is asked again once; its station quarantine is in force after a second kill', { timeout: 2_400_000 }, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'labloop-triage-kill-'));
    const campaignId = 'kill-triage';
    dirs.push(dir);
    // The example campaign: the planner may quarantine a station; faults never quarantine one by themselves; no advice
    // rounds after the first.
    const campaignFile = path.join(dir, 'campaign.yaml');
    writeFileSync(
      campaignFile,
      readFileSync(CAMPAIGN_FILE, 'utf8')
        .replace(/^strategy:\n/m, 'strategy:\n  planner:\n    every: 50\n    stallAfter: 50\n    triage: [retry, skip, quarantine-station]\n')
        .replace(/^  quarantineAfter: 3$/m, '  quarantineAfter: 100'),
    );

    // Phase 1 (the first run): the model holds every flagged trial's triage until the kill. Phase 2 (the first resume):
    // it quarantines the station of the first held one, keeps the others' measurements, and after that verdict holds
    // the triage of the next failed step (so the run is still going when it is killed). Phase 3: it answers everything.
    const model = modelLikeResponder();
    const held = { delay_ms: 60_000, then: { status: 503, message: 'held by the test' } };
    let phase: 1 | 2 | 3 = 1;
    let target: string | undefined;
    let verdictAt: number | undefined;
    let failureHeld = false;
    let acceptedAtVerdict = 0;
    const journal = () => journalDirOf({ dir, campaignId } as KillResumeOptions);
    const asked = new Map<string, number[]>();
    const responder: StubResponder = (req) => {
      const trialId = flaggedTrialOf(req);
      if (trialId === undefined) {
        const prompt = promptOf(req);
        if (phase === 2 && verdictAt !== undefined && prompt.job === 'triage' && prompt.input?.failure) {
          failureHeld = true;
          return held;
        }
        return model(req);
      }
      asked.set(trialId, [...(asked.get(trialId) ?? []), phase]);
      if (phase === 1) {
        target ??= trialId;
        return held;
      }
      if (trialId !== target || phase === 3) return { content: JSON.stringify({ verdict: 'skip', reason: 'the reading stands' }) };
      verdictAt = Date.now();
      acceptedAtVerdict = journalCount(journal(), 'lh-', 'accepted');
      return { content: JSON.stringify({ verdict: 'quarantine-station', reason: 'this cell keeps producing doubtful curves' }) };
    };
    const stub = await startOpenAiStub(responder);
    stubs.push(stub);

    let afterFirstKill: LabDocument[] = [];
    let afterSecondKill: LabDocument[] = [];
    const result = await killAndResume({
      dir,
      campaignId,
      seed: 2,
      trials: 16,
      killAfterMeasurements: 0,
      agent: 'hybrid',
      campaignFile,
      dryRunArgs: ['--fault-rate', '0.5'],
      timeoutMs: 600_000,
      env: { LABLOOP_LLM_BASE_URL: stub.baseUrl, LABLOOP_LLM_MODEL: 'stub', LABLOOP_LLM_TIMEOUT_MS: '60000' },
      killWhen: () => target !== undefined,
      afterKill: async () => {
        phase = 2;
        afterFirstKill = await storedDocuments(dir, campaignId);
      },
      // The first resume is killed a few seconds after the model's verdict (its documents are stored by then: a trial
      // started since, and each start first makes every document durable), or while a later failed step's triage is held.
      resumeKillWhen: (n) =>
        n === 1 && verdictAt !== undefined && Date.now() - verdictAt > 3_000 && (failureHeld || journalCount(journal(), 'lh-', 'accepted') > acceptedAtVerdict),
      afterResumeKill: async () => {
        phase = 3;
        afterSecondKill = await storedDocuments(dir, campaignId);
      },
    });

    expect(result.audit.ok, JSON.stringify(result.audit.checks)).toBe(true);
    expect(result.campaigns.find((c) => c.id === campaignId)).toMatchObject({ status: 'completed', trials: { done: 16, budget: 16 } });
    const trialId = target as string;

    // At the first kill: the triage request is stored, no decision, the flagged trial itself is complete.
    const actionsOf = (docs: LabDocument[]) => ofType(docs, 'plannerAction').map((d) => d.payload).filter((a) => a.trialId === trialId);
    expect(actionsOf(afterFirstKill).map((a) => a.kind)).toEqual(['triage']);
    expect(ofType(afterFirstKill, 'trialState').filter((d) => d.payload.trialId === trialId).at(-1)?.payload.to).toBe('completed');

    // The first resume asked the model again (once) and recorded the verdict: the station is quarantined.
    expect(afterSecondKill.length).toBeGreaterThan(0);
    const decided = actionsOf(afterSecondKill);
    expect(decided.map((a) => a.kind)).toEqual(['triage', 'triaged']);
    expect(decided[1]).toMatchObject({ kind: 'triaged', trigger: 'quality', verdict: 'quarantine-station' });
    const request = decided[0];
    const station = request?.kind === 'triage' ? request.station : '';
    expect(station).toMatch(/^pair\d$/);

    // Every flagged trial held at the first kill was asked exactly once more (by the first resume), never after it.
    expect(asked.get(trialId)).toEqual([1, 2]);
    for (const [id, phases] of asked) if (phases.includes(1)) expect(phases, id).toEqual([1, 2]);

    // The second resume (and any later one) starts with the station quarantined, and no trial runs on it again.
    const all = await storedDocuments(dir, campaignId);
    const starts = ofType(all, 'campaignStart');
    expect(starts.length).toBeGreaterThanOrEqual(3);
    for (const start of starts.slice(2)) {
      const next = starts.find((s) => s.seq > start.seq)?.seq ?? Infinity;
      const ofRun = ofType(all, 'stationState').filter((d) => d.seq > start.seq && d.seq < next && d.payload.station === station);
      expect(ofRun[0]?.payload.quarantined, `run starting at ${start.seq}`).toBe(true);
      expect(ofRun.every((d) => d.payload.quarantined)).toBe(true);
    }
    const verdictSeq = ofType(all, 'plannerAction').find((d) => d.payload.trialId === trialId && d.payload.kind === 'triaged')?.seq ?? Infinity;
    expect(ofType(all, 'trialState').filter((d) => d.seq > verdictSeq && d.payload.to === 'running' && d.payload.station === station)).toEqual([]);
    expect(actionsOf(all).map((a) => a.kind)).toEqual(['triage', 'triaged']);
  });
});
