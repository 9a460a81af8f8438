import { LlmPlanner } from '../../agents/planner/llm-planner.ts';
import { adviseJob } from '../../agents/planner/advise-job.ts';
import { draftJob } from '../../agents/planner/draft-job.ts';
import type { PlannerJob } from '../../agents/planner/job.ts';
import type { PlannerCallRecord, PlannerDeps } from '../../agents/planner/planner.ts';
import { firstMessages } from '../../agents/planner/prompt.ts';
import { ReplayPlanner } from '../../agents/planner/replay-planner.ts';
import { reportJob } from '../../agents/planner/report-job.ts';
import { RulePlanner } from '../../agents/planner/rule-planner.ts';
import { triageJob } from '../../agents/planner/triage-job.ts';
import { SafetyGate } from '../../src/safety/safety-gate.ts';
import { ScriptedChatModel } from '../helpers/scripted-chat-model.ts';
import { CASES, plannerContract, type PlannerHarness } from './planner.contract.ts';

const JOBS: Record<string, PlannerJob<never, unknown, unknown>> = { draft: draftJob, advise: adviseJob, triage: triageJob, report: reportJob } as never;

/**
 * An LLM planner on a scripted model that answers each primed prompt as a careful model would: with the rule planner's
 * reading of the request, as JSON (advice as a tool call, to exercise both reply shapes).
 */
function llmHarness(records: PlannerCallRecord[]): PlannerHarness {
  const answers = new Map<string, string | { toolArgs: Record<string, unknown> }>();
  const deps: PlannerDeps = { gateFor: (s) => new SafetyGate(s), record: (c) => (records.push(c), `call-${records.length}`) };
  const model = new ScriptedChatModel((messages) => {
    const answer = answers.get(messages[1]?.content ?? '');
    if (answer === undefined) throw new Error('unprimed prompt');
    return answer;
  });
  return {
    planner: new LlmPlanner({ model, deps, timeout_ms: 5000, maxCalls: 1000, maxTokens: 10_000_000 }),
    prime(job, req) {
      const j = JOBS[job] as PlannerJob<unknown, unknown, unknown>;
      const out = j.rules(req, deps) as Record<string, unknown>;
      const user = firstMessages(j, req)[1]?.content ?? '';
      answers.set(user, job === 'advise' ? { toolArgs: out } : `Here is the answer:\n\`\`\`json\n${JSON.stringify(out)}\n\`\`\``);
    },
  };
}

plannerContract('RulePlanner', async () => ({ planner: new RulePlanner({ gateFor: (s) => new SafetyGate(s) }) }));

plannerContract('LlmPlanner (scripted chat model)', async () => llmHarness([]));

plannerContract('ReplayPlanner (transcripts of the LLM planner)', async () => {
  // Record every case once through the LLM planner, then answer from the recording alone.
  const records: PlannerCallRecord[] = [];
  const rec = llmHarness(records);
  const all = [CASES.oerGoal, CASES.subsetGoal, CASES.unsafeGoal, CASES.hotGoal, CASES.impossibleGoal];
  for (const r of all) (rec.prime?.('draft', r), await rec.planner.draft(r));
  for (const r of [CASES.adviceCold, CASES.adviceWarm]) (rec.prime?.('advise', r), await rec.planner.advise(r));
  for (const r of [CASES.triageRetry, CASES.triageSkipOnly]) (rec.prime?.('triage', r), await rec.planner.triage(r));
  rec.prime?.('report', CASES.report);
  await rec.planner.report(CASES.report);
  return { planner: new ReplayPlanner({ records, deps: { gateFor: (s) => new SafetyGate(s) } }) };
});
