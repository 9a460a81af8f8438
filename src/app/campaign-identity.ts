import type { CampaignSpec } from '../domain/index.ts';
import { hash32 } from './ids.ts';
import type { CampaignRecord } from '../store/repositories/campaigns.ts';

/**
 * A campaign's identity: the campaign file's id (a dry run adds its seed, since each seed simulates another campaign),
 * or an explicit `--id`. Starting an id that is already stored refuses; `labloop resume <id>` continues it. Each
 * start or resume of the campaign is one *run*, with a run id recorded in its campaignStart document.
 */
export function defaultCampaignId(spec: CampaignSpec, kind: RunKind, seed: number): string {
  return kind === 'dry-run' ? `${spec.id}-seed${seed}` : spec.id;
}

/** `run`: instruments (or protocol twins) outside this process; `dry-run`: a simulated lab in this process. */
export type RunKind = 'run' | 'dry-run';

/** Ids of campaigns: what a topic segment and a file name tolerate. */
export const CAMPAIGN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Starting a campaign whose id is already stored: it would mix two campaigns' documents. */
export class CampaignExistsError extends Error {
  constructor(readonly existing: Pick<CampaignRecord, 'id' | 'state'>) {
    const ended = existing.state === 'completed' || existing.state === 'aborted' || existing.state === 'failed';
    super(
      ended
        ? `campaign "${existing.id}" already exists and has ended (${existing.state}): export its results with \`labloop export ${existing.id}\`, or start a new campaign under another id (--id)`
        : `campaign "${existing.id}" already exists (${existing.state}): continue it with \`labloop resume ${existing.id}\`, or start a new campaign under another id (--id)`,
    );
    this.name = 'CampaignExistsError';
  }
}

/** `labloop resume <id>` of an id that is not stored, or of a campaign that cannot continue. */
export class CampaignNotResumableError extends Error {
  constructor(
    readonly campaignId: string,
    reason: string,
  ) {
    super(`campaign "${campaignId}" cannot be resumed: ${reason}`);
    this.name = 'CampaignNotResumableError';
  }
}

/** Eight lower-case hex digits naming `text` (a topic-safe tag, e.g. a simulated lab's namespace on a shared broker). */
export function hashTag(text: string): string {
  return hash32(text).toString(16).padStart(8, '0');
}
