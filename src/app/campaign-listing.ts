import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Store } from '../store/store.ts';
import { isStockShortage } from '../domain/index.ts';

/**
 * One line of `labloop campaigns`. `status` is the stored state refined by what a resume would find: `interrupted`
 * (marked running but nobody holds its lease: its process died), `awaiting-recovery` (trials wait for an operator).
 */
export const campaignListingSchema = z.strictObject({
  id: z.string(),
  status: z.string(),
  title: z.string(),
  /** ISO 8601 with the zone offset. */
  created: z.string(),
  trials: z.strictObject({ done: z.number().int(), budget: z.number().int() }),
  awaitingRecovery: z.number().int(),
  best: z.strictObject({ objective: z.string(), value: z.number(), unit: z.string() }).nullable(),
});
export type CampaignListing = z.infer<typeof campaignListingSchema>;

/** Every stored campaign, newest first. */
export async function listCampaigns(store: Store, now: Date = new Date()): Promise<CampaignListing[]> {
  const campaigns = await store.campaigns.list();
  const out: CampaignListing[] = [];
  for (const c of campaigns) {
    const objective = c.spec.objectives[0];
    let best: CampaignListing['best'] = null;
    if (objective && (c.trialCounts.completed ?? 0) > 0) {
      for (const t of await store.trials.list(c.id)) {
        const v = t.status === 'completed' ? t.objectives?.[objective.name] : undefined;
        if (v === undefined) continue;
        if (!best || (objective.direction === 'minimize' ? v < best.value : v > best.value)) best = { objective: objective.name, value: v, unit: objective.unit };
      }
    }
    let awaiting = c.trialCounts.awaitingRecovery ?? 0;
    // A trial held for a stock refill (ADR 0113) waits for the refill, not for an operator's recovery decision.
    if (c.state === 'paused' && awaiting > 0) awaiting = (await store.trials.list(c.id)).filter((t) => t.status === 'awaitingRecovery' && !isStockShortage(t.failure)).length;
    const leaseLive = c.leaseExpiresAt !== undefined && c.leaseExpiresAt.getTime() > now.getTime();
    const status = c.state === 'running' && !leaseLive ? 'interrupted' : c.state === 'paused' && awaiting > 0 ? 'awaiting-recovery' : c.state;
    out.push({
      id: c.id,
      status,
      title: c.title,
      created: isoWithZone(c.createdAt),
      trials: { done: (c.trialCounts.completed ?? 0) + (c.trialCounts.failed ?? 0), budget: c.spec.budget.trials },
      awaitingRecovery: awaiting,
      best,
    });
  }
  return out.sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : a.id < b.id ? 1 : -1));
}

/** ISO 8601 in the machine's zone with its offset (e.g. 2026-01-01T01:00:00.000+01:00). */
export function isoWithZone(d: Date): string {
  const offset = -d.getTimezoneOffset();
  const local = new Date(d.getTime() + offset * 60_000).toISOString().slice(0, -1);
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

const liveFileSchema = z.strictObject({ pid: z.number().int(), updatedAt: z.string(), campaigns: z.array(campaignListingSchema) });
export type LiveListing = z.infer<typeof liveFileSchema>;

/**
 * A PGlite folder is opened by one process only. While a run holds it, the run keeps this file beside the folder
 * (`<db>.live.json`): the listing of every campaign when it started, its own campaign's line kept current. `labloop
 * campaigns` reads it when the database is in use.
 */
export class LiveListingFile {
  readonly file: string;

  constructor(pgliteDir: string) {
    this.file = liveListingPath(pgliteDir);
  }

  write(listing: CampaignListing[]): void {
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ pid: process.pid, updatedAt: new Date().toISOString(), campaigns: listing }));
    renameSync(tmp, this.file);
  }

  remove(): void {
    rmSync(this.file, { force: true });
  }
}

export function liveListingPath(pgliteDir: string): string {
  const dir = path.resolve(pgliteDir);
  return path.join(path.dirname(dir), `${path.basename(dir)}.live.json`);
}

/** The live listing of the process holding a PGlite folder, if it has one. */
export function readLiveListing(pgliteDir: string): LiveListing | undefined {
  const file = liveListingPath(pgliteDir);
  if (!existsSync(file)) return undefined;
  try {
    return liveFileSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    return undefined;
  }
}
