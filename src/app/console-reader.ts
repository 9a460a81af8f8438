import type { CampaignDetail, CampaignListItem, ConsoleReader } from '../console/index.ts';
import { toCsv } from '../store/csv.ts';
import { CampaignNotFoundError, exportCampaign } from '../store/export.ts';
import type { CampaignRecord } from '../store/repositories/campaigns.ts';
import type { Store } from '../store/store.ts';

/** Adapts the store's repositories to the console's read port (dates as ISO strings, no drizzle types). */
export function storeConsoleReader(store: Store): ConsoleReader {
  const base = (c: CampaignRecord): Omit<CampaignListItem, 'trialCounts' | 'trialTotal' | 'lastSeq'> => ({
    id: c.id,
    title: c.title,
    state: c.state,
    stateReason: c.stateReason,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  });
  return {
    async listCampaigns() {
      const list = await store.campaigns.list();
      return list.map((c) => ({ ...base(c), trialCounts: c.trialCounts, trialTotal: c.trialTotal, lastSeq: c.lastSeq }));
    },
    async getCampaign(campaignId): Promise<CampaignDetail | undefined> {
      const c = await store.campaigns.get(campaignId);
      if (!c) return undefined;
      const [trials, lastSeq] = await Promise.all([store.trials.list(campaignId), store.documents.lastSeq(campaignId)]);
      const trialCounts: CampaignListItem['trialCounts'] = {};
      for (const t of trials) trialCounts[t.status] = (trialCounts[t.status] ?? 0) + 1;
      return { ...base(c), trialCounts, trialTotal: trials.length, lastSeq, spec: c.spec, seed: c.seed };
    },
    trials: (campaignId) => store.trials.list(campaignId),
    async stations(campaignId) {
      const rows = await store.stations.list(campaignId);
      return rows.map((s) => ({
        id: s.id,
        state: s.state,
        device: s.device,
        quarantined: s.quarantined,
        consecutiveFaults: s.consecutiveFaults,
        activeRunId: s.activeRunId,
        message: s.message,
        lastHeartbeat: s.lastHeartbeat.toISOString(),
      }));
    },
    async modelSnapshots(campaignId) {
      // Parity points only for the newest snapshot that has them (what the console draws): a long campaign holds
      // ≈ one snapshot per trial with up to a few hundred points each (ADR 0117).
      const [rows, withParity] = await Promise.all([store.modelSnapshots.summaries(campaignId), store.modelSnapshots.latestWithParity(campaignId)]);
      return rows.map((r) => ({
        id: r.id,
        seq: r.seq,
        agent: r.agent,
        n: r.n,
        hyperparameters: r.hyperparameters,
        looRmse: r.looRmse,
        parity: r.id === withParity?.id ? withParity.parity : undefined,
        createdAt: r.createdAt.toISOString(),
      }));
    },
    async operatorActions(campaignId) {
      const rows = await store.operatorActions.list(campaignId);
      return rows.map((r) => ({ seq: r.seq, time: r.time.toISOString(), actor: r.actor, action: r.action, target: r.target, accepted: r.accepted, reason: r.reason }));
    },
    documentsAfter: (campaignId, afterSeq, limit) => store.documents.after(campaignId, afterSeq, limit),
    lastSeq: (campaignId) => store.documents.lastSeq(campaignId),
    async exportCampaign(campaignId) {
      try {
        const exported = await exportCampaign(store, campaignId);
        const { rows, columns, ...rest } = exported;
        return { csv: toCsv(rows, columns), json: rest };
      } catch (e) {
        if (e instanceof CampaignNotFoundError) return undefined;
        throw e;
      }
    },
  };
}
