import type { CampaignSpec, DeviceState, Recipe, Suggestion, TrialStatus } from '../../../domain/index.ts';
import type { ActiveRegion, CampaignState, DocumentPayload, LabDocument } from '../../../protocol/index.ts';
import { PlannerModel } from './planner-model.ts';

/**
 * The campaign page's state, folded from the document stream (the same stream the store projects into its tables,
 * so the trials table equals the database's trials). Pure: no DOM, unit-tested in Node.
 */

export interface TrialRow {
  id: string;
  index: number;
  status: TrialStatus;
  recipe: Recipe;
  proposer: string;
  station?: string | undefined;
  attempt: number;
  failureCode?: string | undefined;
  failureMessage?: string | undefined;
  objectives?: Record<string, number> | undefined;
  /** Seq of the last document that changed the row (for cheap re-rendering). */
  version: number;
}

export interface StationRow {
  id: string;
  state: DeviceState;
  device: string;
  quarantined: boolean;
  consecutiveFaults: number;
  activeRunId?: string | undefined;
  activeTrialId?: string | undefined;
  message?: string | undefined;
  lastHeartbeat: string;
  lastFault?: { code: string; message: string; time: string } | undefined;
  faults: number;
}

export type LogKind = 'info' | 'good' | 'warn' | 'error' | 'action';
export interface LogEntry {
  seq: number;
  time: string;
  kind: LogKind;
  text: string;
}

export interface CurvePreview {
  runId: string;
  trialId: string;
  station?: string | undefined;
  stream: string;
  x: number[];
  y: number[];
  xLabel: string;
  yLabel: string;
  time: string;
}

export interface BestPoint {
  /** 1-based count of completed trials. */
  n: number;
  /** This trial's value, and the best value so far. */
  value: number;
  best: number;
  /** The trial completed at this point. */
  trialId: string;
}

export type ApplyResult = 'applied' | 'duplicate' | 'gap';
export type SnapshotPayload = DocumentPayload<'modelSnapshot'>;

const LOG_LIMIT = 400;

export class CampaignModel {
  lastSeq = 0;
  spec: CampaignSpec | undefined;
  state: CampaignState | 'unknown' = 'unknown';
  stateReason: string | undefined;
  readonly trials = new Map<string, TrialRow>();
  readonly stations = new Map<string, StationRow>();
  /** Regions of the search space quarantined and not lifted (ADR 0106), by region id in the order quarantined. */
  readonly regions = new Map<string, ActiveRegion>();
  readonly suggestions = new Map<string, Suggestion>();
  /** Trial ids in suggestion order (newest last). */
  readonly suggestionOrder: string[] = [];
  readonly snapshots: SnapshotPayload[] = [];
  readonly log: LogEntry[] = [];
  readonly best: BestPoint[] = [];
  /** Trial holding the best value of the first objective so far. */
  bestTrialId: string | undefined;
  /** The campaign's best by estimated value (ADR 0060), from the latest bestEstimate document. */
  bestEstimate: DocumentPayload<'bestEstimate'> | undefined;
  /** Latest curve preview, and the latest per station. */
  preview: CurvePreview | undefined;
  readonly previews = new Map<string, CurvePreview>();
  private readonly runs = new Map<string, { trialId: string; station: string }>();
  /** The planner's transcripts, questions and metrics (hybrid campaigns). */
  readonly planner = new PlannerModel();
  /** Bumped on every applied document; views compare it to skip work. */
  version = 0;

  constructor(readonly campaignId: string) {}

  get objectives(): CampaignSpec['objectives'] {
    return this.spec?.objectives ?? [];
  }

  get humanApproval(): boolean {
    return this.spec?.strategy.approval === 'human';
  }

  /**
   * Applies one document. A seq already applied is a duplicate (ignored); a seq beyond lastSeq + 1 is a gap unless
   * `acceptGap` (the database itself lacks those documents): the caller then asks the server to replay.
   */
  apply(doc: LabDocument, acceptGap = false): ApplyResult {
    if (doc.campaignId !== this.campaignId || doc.seq <= this.lastSeq) return 'duplicate';
    if (doc.seq !== this.lastSeq + 1 && !acceptGap) return 'gap';
    this.lastSeq = doc.seq;
    this.version++;
    this.fold(doc);
    return 'applied';
  }

  private fold(doc: LabDocument): void {
    if (this.planner.fold(doc)) {
      if (doc.type === 'plannerQuestion') this.push(doc, doc.payload.state === 'open' ? 'warn' : 'action', doc.payload.state === 'open' ? `planner asks: ${doc.payload.question}` : `${doc.payload.answer?.actor ?? '?'} ${doc.payload.answer?.approved ? 'approved' : 'rejected'}: ${doc.payload.question}`);
      return;
    }
    switch (doc.type) {
      case 'campaignStart':
        this.spec = doc.payload.spec;
        if (this.state === 'unknown' || doc.payload.resumed) this.state = 'running';
        this.push(doc, 'info', `campaign ${doc.payload.resumed ? 'resumed' : 'started'}: ${doc.payload.spec.title} (seed ${doc.payload.seed})`);
        return;
      case 'campaignState':
        this.state = doc.payload.state;
        this.stateReason = doc.payload.reason;
        this.push(doc, doc.payload.state === 'failed' || doc.payload.state === 'aborted' ? 'warn' : 'info', `campaign ${doc.payload.state}${doc.payload.reason ? ` — ${doc.payload.reason}` : ''}`);
        return;
      case 'suggestion': {
        const { suggestion, trialId } = doc.payload;
        if (!this.suggestions.has(trialId)) this.suggestionOrder.push(trialId);
        this.suggestions.set(trialId, suggestion);
        return;
      }
      case 'trialState':
        this.foldTrial(doc);
        return;
      case 'runStart': {
        const { runId, trialId, station } = doc.payload;
        this.runs.set(runId, { trialId, station });
        const s = this.stations.get(station);
        if (s) s.activeTrialId = trialId;
        return;
      }
      case 'descriptor':
        return;
      case 'event': {
        const p = doc.payload;
        if (!p.preview) return;
        const run = this.runs.get(p.runId);
        const curve: CurvePreview = { runId: p.runId, trialId: p.trialId, station: run?.station, stream: p.stream, ...p.preview, time: doc.time };
        this.preview = curve;
        if (run) this.previews.set(run.station, curve);
        return;
      }
      case 'runStop': {
        const p = doc.payload;
        if (p.status !== 'completed') this.push(doc, 'warn', `run ${short(p.runId)} of trial ${short(p.trialId)} ${p.status}${p.failure ? `: ${p.failure.code}` : ''}`);
        return;
      }
      case 'modelSnapshot':
        this.snapshots.push(doc.payload);
        if (this.snapshots.length > 50) this.snapshots.shift();
        this.push(doc, 'info', `model ${doc.payload.agent} refit on ${doc.payload.n} observations${doc.payload.looRmse !== undefined ? `, LOO RMSE ${doc.payload.looRmse.toPrecision(3)}` : ''}`);
        return;
      case 'bestEstimate': {
        this.bestEstimate = doc.payload;
        const b = doc.payload.best;
        if (b)
          this.push(
            doc,
            'info',
            `${doc.payload.stage === 'final' ? 'best confirmed' : 'leading recipe before confirmation'}: ${doc.payload.objective} ${b.mean.toPrecision(4)}` +
              `${b.ci95 ? ` ± ${((b.ci95[1] - b.ci95[0]) / 2).toPrecision(2)}` : ''} (n = ${b.n}${b.model ? `, model ${b.model.mean.toPrecision(4)} ± ${b.model.sd.toPrecision(2)}` : ''})`,
          );
        return;
      }
      case 'stationState':
        this.foldStation(doc);
        return;
      case 'regionQuarantine': {
        const p = doc.payload;
        if (p.state === 'lifted') {
          this.regions.delete(p.regionId);
          this.push(doc, 'info', `region ${p.regionId} lifted by ${p.actor}${p.reason ? ` — ${p.reason}` : ''}`);
          return;
        }
        const { state: _state, ...region } = p;
        this.regions.set(p.regionId, region);
        this.push(doc, 'warn', `region ${p.regionId} quarantined (radius ${p.radius} around trial ${p.trialId}'s recipe) by ${p.actor} — ${p.reason}`);
        return;
      }
      case 'stock': {
        // ADR 0113: the early warning and refills show in the event log; what each run drew does not.
        const p = doc.payload;
        if (p.kind === 'low') this.push(doc, 'warn', `stock:${p.stock} ≈ ${p.samplesLeft} samples left (${p.usable_uL.toFixed(0)} µL usable, ${p.meanDraw_uL.toFixed(0)} µL per sample)`);
        else if (p.kind === 'refill') this.push(doc, 'action', `stock:${p.stock} refilled +${p.volume_uL.toFixed(0)} µL by ${p.actor}${p.reason ? ` — ${p.reason}` : ''}`);
        return;
      }
      case 'operatorAction': {
        const p = doc.payload;
        this.push(doc, p.accepted ? 'action' : 'warn', `${p.actor}: ${p.action}${p.target ? ` ${p.target}` : ''} ${p.accepted ? 'accepted' : 'refused'}${p.reason ? ` — ${p.reason}` : ''}`);
        return;
      }
      case 'fault': {
        const p = doc.payload;
        const s = this.stations.get(p.station);
        if (s) {
          s.lastFault = { code: p.failure.code, message: p.failure.message, time: doc.time };
          s.faults++;
        }
        this.push(doc, 'error', `fault on ${p.station} (${p.device}): ${p.failure.code} — ${p.failure.message}${p.attempt > 0 ? ` (attempt ${p.attempt + 1})` : ''}`);
        return;
      }
    }
  }

  private foldTrial(doc: Extract<LabDocument, { type: 'trialState' }>): void {
    const p = doc.payload;
    const row: TrialRow = this.trials.get(p.trialId) ?? { id: p.trialId, index: p.index, status: p.to, recipe: p.recipe, proposer: p.proposer, attempt: 0, version: 0 };
    row.index = p.index;
    row.status = p.to;
    row.recipe = p.recipe;
    row.proposer = p.proposer;
    row.attempt = p.attempt;
    row.version = doc.seq;
    if (p.station !== undefined) row.station = p.station;
    if (p.failure) {
      row.failureCode = p.failure.code;
      row.failureMessage = p.failure.message;
    } else if (!['failed', 'awaitingRecovery', 'abandoned', 'blocked'].includes(p.to)) {
      row.failureCode = undefined;
      row.failureMessage = undefined;
    }
    if (p.objectives) row.objectives = p.objectives;
    this.trials.set(row.id, row);
    if (p.to === 'completed' && p.objectives) this.addBest(row, doc.time);
    if (p.to === 'failed' || p.to === 'blocked' || p.to === 'awaitingRecovery' || p.to === 'abandoned') {
      this.push(doc, p.to === 'awaitingRecovery' ? 'warn' : 'error', `trial #${p.index} ${p.to}${p.failure ? `: ${p.failure.code} — ${p.failure.message}` : ''}`);
    } else if (p.to === 'completed') {
      const o = this.objectives[0];
      const v = o ? p.objectives?.[o.name] : undefined;
      this.push(doc, 'good', `trial #${p.index} completed${o && v !== undefined ? `: ${o.name} = ${v.toPrecision(4)} ${o.unit}` : ''}`);
    }
  }

  private addBest(row: TrialRow, _time: string): void {
    const o = this.objectives[0];
    const v = o ? row.objectives?.[o.name] : undefined;
    if (!o || v === undefined || !Number.isFinite(v)) return;
    const prev = this.best[this.best.length - 1]?.best;
    const better = prev === undefined || (o.direction === 'minimize' ? v < prev : v > prev);
    if (better) this.bestTrialId = row.id;
    this.best.push({ n: this.best.length + 1, value: v, best: better ? v : prev, trialId: row.id });
  }

  private foldStation(doc: Extract<LabDocument, { type: 'stationState' }>): void {
    const p = doc.payload;
    const prev = this.stations.get(p.station);
    const row: StationRow = prev ?? { id: p.station, state: p.state, device: p.device, quarantined: false, consecutiveFaults: 0, lastHeartbeat: doc.time, faults: 0 };
    const changed = !prev || prev.state !== p.state || prev.quarantined !== p.quarantined;
    row.state = p.state;
    row.device = p.device;
    row.quarantined = p.quarantined;
    row.consecutiveFaults = p.consecutiveFaults;
    row.activeRunId = p.activeRunId;
    if (!p.activeRunId) row.activeTrialId = undefined;
    else row.activeTrialId = this.runs.get(p.activeRunId)?.trialId ?? row.activeTrialId;
    row.lastHeartbeat = doc.time;
    // A quarantine reason stays while the station is quarantined; otherwise the latest report's message (if any).
    row.message = p.message ?? (p.quarantined ? row.message : undefined);
    this.stations.set(row.id, row);
    if (changed && (p.quarantined || prev?.quarantined)) {
      this.push(doc, p.quarantined ? 'error' : 'info', `station ${p.station} ${p.quarantined ? 'quarantined' : 'released'}${p.message ? ` — ${p.message}` : ''}`);
    }
  }

  private push(doc: LabDocument, kind: LogKind, text: string): void {
    this.log.push({ seq: doc.seq, time: doc.time, kind, text });
    if (this.log.length > LOG_LIMIT) this.log.splice(0, this.log.length - LOG_LIMIT);
  }

  /** Trials sorted by index. */
  trialList(): TrialRow[] {
    return [...this.trials.values()].sort((a, b) => a.index - b.index);
  }

  /** Completed trials' objective values, in index order. */
  completed(): TrialRow[] {
    return this.trialList().filter((t) => t.status === 'completed' && t.objectives);
  }
}

/** Non-dominated points under each objective's direction (first two objectives), sorted by the first. */
export function paretoFront(points: { a: number; b: number; id: string }[], minimizeA: boolean, minimizeB: boolean): { a: number; b: number; id: string }[] {
  const better = (x: number, y: number, min: boolean): boolean => (min ? x <= y : x >= y);
  const strictly = (x: number, y: number, min: boolean): boolean => (min ? x < y : x > y);
  const front = points.filter(
    (p) => !points.some((q) => q !== p && better(q.a, p.a, minimizeA) && better(q.b, p.b, minimizeB) && (strictly(q.a, p.a, minimizeA) || strictly(q.b, p.b, minimizeB))),
  );
  return front.sort((x, y) => x.a - y.a);
}

export function short(id: string): string {
  return id.length > 10 ? `…${id.slice(-6)}` : id;
}
