import { describe, expect, it } from 'vitest';
import { AdviceGraph } from '../../../../agents/planner/advice-graph.ts';
import { AdviceRounds, lastAdviceRound } from '../../../../agents/planner/advice-rounds.ts';
import { DocumentCheckpointSaver, type CheckpointRecord } from '../../../../agents/planner/document-checkpoint-saver.ts';
import type { HumanQuestion } from '../../../../agents/planner/human-desk.ts';
import { RulePlanner } from '../../../../agents/planner/rule-planner.ts';
import { SafetyGate } from '../../../../src/safety/safety-gate.ts';
import { CASES } from '../../../contract/planner.contract.ts';

const spec = CASES.adviceWarm.spec;
const request = (completed: number) => ({ ...CASES.adviceWarm, summary: { ...CASES.adviceWarm.summary, completed }, k: 2, reason: 'cadence' as const });

function setup(opts: { humanApproval?: boolean; records?: { seq: number; record: CheckpointRecord }[] } = {}) {
  const planner = new RulePlanner({ gateFor: (s) => new SafetyGate(s) });
  const records = opts.records ?? [];
  let seq = records.at(-1)?.seq ?? 0;
  const saver = new DocumentCheckpointSaver((record) => records.push({ seq: ++seq, record }));
  const graph = new AdviceGraph({ spec, planner, checkpointer: saver, humanApproval: opts.humanApproval ?? false });
  return { planner, records, graph, seqNow: () => seq };
}

describe('AdviceRounds (ADR 0074)', () => {
  it('finds the last round in the stored checkpoints, with the count it was asked at and whether a batch used it', async () => {
    const s = setup();
    const rounds = new AdviceRounds(s.graph, 'c');
    await rounds.ask(request(0));
    const afterFirst = s.seqNow();
    await rounds.ask(request(8));
    const last = lastAdviceRound('c', s.records, afterFirst);
    expect(last).toMatchObject({ round: 2, thread: 'c:advice:2', completed: 8, reason: 'cadence', used: false });
    expect(lastAdviceRound('c', s.records, s.seqNow() + 1)?.used).toBe(true);
    expect(lastAdviceRound('other', s.records, 0)).toBeUndefined();

    // A new process restores the saver: the unused round 2 is answered from its checkpoint, later rounds are numbered on.
    const again = new RulePlanner({ gateFor: (g) => new SafetyGate(g) });
    const saver = await DocumentCheckpointSaver.restore(JSON.parse(JSON.stringify(s.records.map((r) => r.record))) as CheckpointRecord[], () => {});
    const resumed = new AdviceRounds(new AdviceGraph({ spec, planner: again, checkpointer: saver }), 'c', last);
    const reused = await resumed.ask(request(9));
    expect(reused.value.candidates.length).toBeGreaterThan(0);
    expect(resumed.reused).toBe(1);
    expect(again.stats().jobs.advise).toBe(0);
    await resumed.ask(request(17));
    expect(again.stats().jobs.advise).toBe(1);
    expect((await saver.getTuple({ configurable: { thread_id: 'c:advice:3' } }))?.checkpoint).toBeDefined();
  });

  it('with human approval, an advice waits for an operator: approved candidates are offered, rejected ones dropped', async () => {
    const asked: HumanQuestion[] = [];
    const desk = (approved: boolean) => ({ ask: async (q: HumanQuestion) => (asked.push(q), { approved, actor: 'ada' }) });
    const yes = setup({ humanApproval: true });
    const approved = await new AdviceRounds(yes.graph, 'c', undefined, desk(true)).ask(request(0));
    expect(approved.value.candidates.length).toBeGreaterThan(0);
    const no = setup({ humanApproval: true });
    const rejected = await new AdviceRounds(no.graph, 'c', undefined, desk(false)).ask(request(0));
    expect(rejected.value.candidates).toEqual([]);
    expect(asked).toHaveLength(2);
    expect(asked[0]).toMatchObject({ requestId: 'c:advice:1', kind: 'advice' });
    expect(asked[0]?.question).toMatch(/advises "\w[\w-]*" with \d+ candidate recipe\(s\)/);
    expect(yes.planner.stats().jobs.advise + no.planner.stats().jobs.advise).toBe(2);
  });
});
