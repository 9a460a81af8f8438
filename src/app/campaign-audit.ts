import type { TrialStatus } from '../domain/index.ts';
import { journalExecutions } from '../../simulators/device-journal.ts';
import type { Store } from '../store/store.ts';
import { readAllDocuments } from './campaign-restore.ts';

/** One invariant of `labloop audit`: holds, or the first few violations. */
export interface AuditCheck {
  name: 'commands-at-most-once' | 'measurements-stored' | 'sequence-gapless' | 'trials-terminal-or-resumable';
  ok: boolean;
  /** What was checked (counts). */
  detail: string;
  violations: string[];
}

export interface AuditReport {
  campaignId: string;
  state: string;
  ok: boolean;
  checks: AuditCheck[];
  /** Facts worth knowing that break no invariant (device logs unavailable, trials awaiting an operator). */
  notes: string[];
}

const SHOWN = 10;

/** Trial states a campaign may end with (`failed` could be retried by an operator, but nothing waits on it). */
const ENDED_TRIAL = new Set<TrialStatus>(['completed', 'failed', 'abandoned', 'blocked']);

/**
 * Checks a campaign's invariants from the store and the device logs:
 * - every commandId executed at most once (the simulated instruments' own run logs count executions per commandId;
 *   external instruments' logs are not reachable from here, which is noted);
 * - every measurement an `event` document names is stored (0 lost measurements), and every completed trial has one;
 * - the document sequence is gapless (1..last);
 * - every trial is terminal, or — while the campaign has not ended — in a state a resume continues from.
 */
export async function auditCampaign(store: Store, campaignId: string): Promise<AuditReport | undefined> {
  const record = await store.campaigns.get(campaignId);
  if (!record) return undefined;
  const docs = await readAllDocuments(store, campaignId);
  const notes: string[] = [];
  const checks: AuditCheck[] = [];

  // Commands: executions per commandId in every device journal the campaign's runs used.
  const journals = new Set<string>();
  let external = false;
  for (const d of docs) {
    if (d.type !== 'campaignStart' || !d.payload.run) continue;
    const lab = d.payload.run.lab;
    if (lab.kind === 'simulated' && lab.journal) journals.add(lab.journal);
    else external = true;
  }
  const repeated: string[] = [];
  let commands = 0;
  let executions = 0;
  for (const dir of journals) {
    for (const [commandId, e] of journalExecutions(dir)) {
      commands++;
      executions += e.count;
      if (e.count > 1) repeated.push(`${commandId} executed ${e.count}× (${e.devices.join(', ')})`);
    }
  }
  if (external) notes.push('runs on external stations: their devices keep their own logs; duplicate executions are only checked for simulated instruments');
  checks.push({
    name: 'commands-at-most-once',
    ok: repeated.length === 0,
    detail: journals.size > 0 ? `${commands} commandIds, ${executions} executions in ${journals.size} device-log folder(s)` : 'no device logs recorded',
    violations: repeated.slice(0, SHOWN),
  });

  // Measurements: every event's measurement stored; every completed trial measured.
  const stored = await store.measurements.ids(campaignId);
  const missing: string[] = [];
  const measured = new Set<string>();
  let events = 0;
  const status = new Map<string, { status: TrialStatus; index: number }>();
  for (const d of docs) {
    if (d.type === 'event') {
      events++;
      if (stored.has(d.payload.measurementId)) measured.add(d.payload.trialId);
      else missing.push(`measurement ${d.payload.measurementId} of trial ${d.payload.trialId} (document ${d.seq}) is not stored`);
    } else if (d.type === 'trialState') status.set(d.payload.trialId, { status: d.payload.to, index: d.payload.index });
  }
  for (const [trialId, t] of status) if (t.status === 'completed' && !measured.has(trialId)) missing.push(`completed trial #${t.index} (${trialId}) has no stored measurement`);
  checks.push({ name: 'measurements-stored', ok: missing.length === 0, detail: `${events} events, ${stored.size} stored measurements`, violations: missing.slice(0, SHOWN) });

  // Sequence: 1..last with no gap.
  const gaps: string[] = [];
  docs.forEach((d, i) => {
    if (d.seq !== i + 1 && gaps.length < SHOWN) gaps.push(`document ${i + 1} expected, found ${d.seq}`);
  });
  checks.push({ name: 'sequence-gapless', ok: gaps.length === 0, detail: `${docs.length} documents, last seq ${docs.at(-1)?.seq ?? 0}`, violations: gaps });

  // Trials: terminal, or resumable while the campaign has not ended.
  const ended = record.state === 'completed' || record.state === 'aborted' || record.state === 'failed';
  const stuck: string[] = [];
  let awaiting = 0;
  for (const [trialId, t] of status) {
    if (ENDED_TRIAL.has(t.status)) continue;
    if (t.status === 'awaitingRecovery') awaiting++;
    if (ended) stuck.push(`trial #${t.index} (${trialId}) is ${t.status} but the campaign has ended (${record.state})`);
  }
  if (awaiting > 0 && !ended) notes.push(`${awaiting} trial(s) await recovery: \`labloop resume ${campaignId} --recover retry|skip|abandon\``);
  if (!ended && record.state === 'running' && (!record.leaseExpiresAt || record.leaseExpiresAt.getTime() < Date.now()))
    notes.push(`the campaign is marked running but nobody holds its lease (its process stopped): \`labloop resume ${campaignId}\``);
  checks.push({ name: 'trials-terminal-or-resumable', ok: stuck.length === 0, detail: `${status.size} trials, campaign ${record.state}`, violations: stuck.slice(0, SHOWN) });

  return { campaignId, state: record.state, ok: checks.every((c) => c.ok), checks, notes };
}
