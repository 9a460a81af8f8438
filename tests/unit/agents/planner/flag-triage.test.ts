import { describe, expect, it } from 'vitest';
import { DocumentCheckpointSaver, type CheckpointRecord } from '../../../../agents/planner/document-checkpoint-saver.ts';
import { FlagTriage } from '../../../../agents/planner/flag-triage.ts';
import type { HumanQuestion } from '../../../../agents/planner/human-desk.ts';
import type { TriageVerdict } from '../../../../agents/planner/planner.ts';
import { RulePlanner } from '../../../../agents/planner/rule-planner.ts';
import { TriageGraph } from '../../../../agents/planner/triage-graph.ts';
import type { FlaggedTrial } from '../../../../agents/trial-ports.ts';
import { SafetyGate } from '../../../../src/safety/safety-gate.ts';
import { defaultSpec, goodRecipe } from '../../../helpers/default-spec.ts';

const spec = defaultSpec();
const noisy: FlaggedTrial = { kind: 'quality', trialId: 't1', index: 4, recipe: goodRecipe, station: 'pair2', flags: ['noisy'] };
const shift: FlaggedTrial = { kind: 'batch-shift', trialId: 't2', index: 7, recipe: goodRecipe, station: 'pair1', flags: ['ELECTROLYTE_CONTAMINATION'], detail: 'eta10 residuals of station pair1 shifted +0.04' };

/** A rule planner whose triage answers `verdict` (as a model could), counting calls. */
function answering(verdict?: TriageVerdict['verdict']) {
  const p = new RulePlanner({ gateFor: (s) => new SafetyGate(s) });
  let calls = 0;
  const rules = p.triage;
  p.triage = async (req) => {
    calls++;
    return verdict ? { value: { verdict, reason: `model says ${verdict}` }, source: 'llm', transcriptId: 'plannerCall:9' } : rules(req);
  };
  return { planner: p, calls: () => calls };
}

describe('FlagTriage (ADR 0075)', () => {
  it('the rule planner re-measures a noisy reading and quarantines on a batch shift, as the campaign allows', async () => {
    const quarantined: string[] = [];
    const stations = { quarantine: (s: string) => void quarantined.push(s) };
    const { planner } = answering();
    const all = new FlagTriage({ planner, spec, campaignId: 'c', allowed: ['retry', 'skip', 'quarantine-station'], stations });
    expect(await all.triage(noisy)).toMatchObject({ remeasure: true, verdict: 'retry', proposer: 'rules' });
    // The batch check quarantined the station already: the verdict is recorded, not applied twice.
    expect(await all.triage(shift)).toMatchObject({ remeasure: false, verdict: 'quarantine-station' });
    expect(quarantined).toEqual([]);
    const skipOnly = new FlagTriage({ planner, spec, campaignId: 'c', allowed: ['skip'], stations });
    expect(await skipOnly.triage(noisy)).toMatchObject({ remeasure: false, verdict: 'skip' });
  });

  it('applies only verdicts the campaign allows, whatever the model answers', async () => {
    const quarantined: string[] = [];
    const stations = { quarantine: (s: string) => void quarantined.push(s) };
    const q = answering('quarantine-station');
    expect(await new FlagTriage({ planner: q.planner, spec, campaignId: 'c', allowed: ['retry'], stations }).triage(noisy)).toMatchObject({ remeasure: false, verdict: 'skip' });
    expect(quarantined).toEqual([]);
    expect(await new FlagTriage({ planner: q.planner, spec, campaignId: 'c', allowed: ['quarantine-station'], stations }).triage(noisy)).toMatchObject({ remeasure: false, verdict: 'quarantine-station', actor: 'planner:llm:plannerCall:9' });
    expect(quarantined).toEqual(['pair2']);
    const r = answering('retry');
    expect(await new FlagTriage({ planner: r.planner, spec, campaignId: 'c', allowed: ['retry'] }).triage(noisy)).toMatchObject({ remeasure: true, proposer: 'llm' });
    // Benign flags alone are not triaged at all.
    expect(await new FlagTriage({ planner: r.planner, spec, campaignId: 'c', allowed: ['retry'] }).triage({ ...noisy, flags: ['tafel_window_short'] })).toMatchObject({ remeasure: false });
    expect(r.calls()).toBe(1);
  });

  it('quarantine-region (ADR 0106) keeps the measurement and quarantines the region around the trial\'s recipe, when allowed', async () => {
    const requests: { centre: unknown; trialId: string; reason: string; actor: string }[] = [];
    const regions = { quarantine: (r: (typeof requests)[number]) => void requests.push(r) };
    const q = answering('quarantine-region');
    expect(await new FlagTriage({ planner: q.planner, spec, campaignId: 'c', allowed: ['skip'], regions }).triage(noisy)).toMatchObject({ remeasure: false, verdict: 'skip' });
    expect(requests).toEqual([]);
    expect(await new FlagTriage({ planner: q.planner, spec, campaignId: 'c', allowed: ['quarantine-region'], regions }).triage(noisy)).toMatchObject({ remeasure: false, verdict: 'quarantine-region' });
    expect(requests).toEqual([{ centre: goodRecipe, trialId: 't1', reason: 'planner triage of trial #4 (noisy): model says quarantine-region', actor: 'planner:llm:plannerCall:9' }]);
  });

  it('ask-human through the graph: an interrupt, a question for the operator, resumed with the answer; a restored graph never asks the model again', async () => {
    const records: CheckpointRecord[] = [];
    const asking = answering('ask-human');
    const graph = new TriageGraph({ spec, planner: asking.planner, checkpointer: new DocumentCheckpointSaver((r) => records.push(r)) });
    const questions: HumanQuestion[] = [];
    const desk = { ask: async (q: HumanQuestion) => (questions.push(q), { approved: true, actor: 'alice' }) };
    const t = new FlagTriage({ planner: asking.planner, spec, campaignId: 'c', allowed: ['ask-human', 'skip'], desk, graph });
    expect(await t.triage(noisy)).toMatchObject({ remeasure: true, verdict: 'ask-human', actor: 'alice', proposer: 'human' });
    expect(questions).toHaveLength(1);
    expect(questions[0]).toMatchObject({ requestId: 'c:flag:t1', kind: 'triage', trialId: 't1', approve: 're-measure the recipe once' });
    expect(questions[0]?.question).toContain('flagged (noisy)');
    // The same thread, answered: a graph restored from the stored operations returns the answer without any call.
    const again = answering('skip');
    const restored = new TriageGraph({ spec, planner: again.planner, checkpointer: await DocumentCheckpointSaver.restore(JSON.parse(JSON.stringify(records)) as CheckpointRecord[], () => {}) });
    const out = await restored.run('c:flag:t1', { trialId: 't1', recipe: goodRecipe, flags: ['noisy'], attempt: 0, allowed: ['ask-human', 'skip'] });
    expect(out).toMatchObject({ fromCheckpoint: true, answer: { approved: true, actor: 'alice' }, result: { value: { verdict: 'ask-human' } } });
    expect(again.calls()).toBe(0);
    expect(asking.calls()).toBe(1);
  });

  it('a question still open when the campaign stopped is asked again after a restore, without asking the model', async () => {
    const records: CheckpointRecord[] = [];
    const asking = answering('ask-human');
    const graph = new TriageGraph({ spec, planner: asking.planner, checkpointer: new DocumentCheckpointSaver((r) => records.push(r)) });
    // No desk: the graph stops at its interrupt, as a killed run leaves it.
    const open = await graph.run('c:triage:t5:0', { trialId: 't5', recipe: goodRecipe, flags: [], attempt: 0, allowed: ['ask-human', 'skip'] });
    expect(open.answer).toBeUndefined();
    const again = answering('skip');
    const restored = new TriageGraph({ spec, planner: again.planner, checkpointer: await DocumentCheckpointSaver.restore(JSON.parse(JSON.stringify(records)) as CheckpointRecord[], () => {}) });
    const asked: string[] = [];
    const out = await restored.run('c:triage:t5:0', { trialId: 't5', recipe: goodRecipe, flags: [], attempt: 0, allowed: ['ask-human', 'skip'] }, { ask: async (q) => (asked.push(q.requestId), { approved: false, actor: 'bob' }) });
    expect(asked).toEqual(['c:triage:t5:0']);
    expect(out).toMatchObject({ answer: { approved: false, actor: 'bob' }, result: { value: { verdict: 'ask-human' } } });
    expect(again.calls()).toBe(0);
  });
});
