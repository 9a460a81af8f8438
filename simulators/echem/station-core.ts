import {
  DeviceError,
  Rng,
  makeFailure,
  silentLogger,
  techniqueRunSchema,
  echemResultSchema,
  NERNST_SLOPE_V,
  type Clock,
  type Conditions,
  type Curve,
  type DeviceStatus,
  type EchemResult,
  type Failure,
  type Logger,
  type TechniqueRun,
} from '../../src/domain/index.ts';
import { checkTechniqueParams, resolveTechniqueParams, techniqueSegments, type ResolvedParams } from '../../drivers/electrochem/technique-params.ts';
import type { DeviceJournal } from '../device-journal.ts';
import { noFaults, type FaultInjector } from '../fault-injector.ts';
import { CellFaults, filmInBatch, lsvCellOf, recordLsvTruth, type RunTruth } from './cell-faults.ts';
import type { SimulatedWorld } from '../world.ts';
import { HG_HGO_VS_SHE_V } from '../physics/electrode.ts';
import { DEFAULT_IR_COMPENSATION_FRACTION } from '../physics/ir-compensation.ts';
import { instrumentModel } from '../physics/instrument.ts';
import { sampleFromCell, type FilmProperties, type FilmSample, type LandscapeFailure, type ResponseLandscape } from '../physics/landscape.ts';
import { defaultOerLandscape } from '../physics/oer-landscape.ts';
import { redoxCouplesIn } from '../physics/redox-standards.ts';
import { REALISTIC_NOISE, realiseElectrode, type NoiseProfile } from '../physics/run-variation.ts';
import { measureSegment, segmentDuration, type Segment } from './measure-segments.ts';

export interface StationCoreOptions {
  deviceId: string;
  /** The SimulatedWorld cell this station measures. */
  cellId: string;
  world: SimulatedWorld;
  clock: Clock;
  /** Random source; derived from `seed` (default 1) when absent. */
  rng?: Rng;
  seed?: number;
  landscape?: ResponseLandscape;
  faults?: FaultInjector;
  logger?: Logger;
  noise?: NoiseProfile;
  /** Runs measured in one electrolyte batch (they share its offset and any contamination); then it is replaced. */
  runsPerElectrolyteBatch?: number;
  /** Fraction of its measured Ru the instrument compensates during an LSV (default 0.85; 0 = none). */
  irCompensationFraction?: number;
  /** A cell holding less liquid than this (µL) counts as empty. */
  minSampleVolume?: number;
  electrolyte?: string;
  pH?: number;
  temperature?: number;
  /** Finished runs kept for de-duplication and lookup. */
  retainRuns?: number;
  /**
   * The station's durable run log: runs of an earlier life are de-duplicated from it (their stored results replayed),
   * and a run it started but never finished answers COMMAND_FATE_UNKNOWN instead of running again.
   */
  journal?: DeviceJournal;
}

export type CoreRunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface CoreRun {
  runId: string;
  commandId: string;
  run: TechniqueRun;
  status: CoreRunStatus;
  /** Virtual-clock times, s. */
  startedAt: number;
  finishedAt?: number;
  estimatedDuration_s: number;
  /** Segment being measured now (technique name) or '' when finished. */
  step: string;
  result?: EchemResult;
  /** Simulator-only ground truth of the run (silent faults, compensation); never sent to a client. */
  truth: RunTruth;
  /** The segment being measured: its curve and when (clock s) it started, for live readings. */
  live?: { curve: Curve; startedAt: number };
  /** Resolves with the result (succeeded, failed or cancelled); never rejects. */
  done: Promise<EchemResult>;
}

export type StationEvent = { type: 'started' | 'step' | 'finished'; run: CoreRun };

/** What the instrument reads now: working-electrode potential vs the reference (V), current (A), cell temperature (°C). */
export interface LiveReading {
  potential_V: number;
  current_A: number;
  temperature: number;
  /** True while a potential-controlled segment (CV, LSV, CA) drives the cell. */
  potentialControlled: boolean;
}

/**
 * The transport-free electrochemical station: one cell, one run at a time, de-duplicated by commandId, on a virtual
 * clock. Reads what actually reached its cell from the SimulatedWorld, runs the hidden landscape and the physics,
 * and produces EchemResults. The in-process backend and the OPC UA twin both drive it.
 */
export class EchemStationCore {
  readonly deviceId: string;
  readonly cellId: string;
  private readonly world: SimulatedWorld;
  private readonly clock: Clock;
  private readonly rng: Rng;
  private readonly batchRng: Rng;
  private readonly landscape: ResponseLandscape;
  private readonly faults: FaultInjector;
  private readonly logger: Logger;
  private readonly noise: NoiseProfile;
  private readonly runsPerBatch: number;
  private readonly compensationFraction: number;
  private readonly cellFaults = new CellFaults();
  private readonly minVolume: number;
  private readonly retain: number;
  private readonly conditionsBase: Omit<Conditions, 'area' | 'uncompensatedResistance'>;
  private readonly runs = new Map<string, CoreRun>();
  private readonly byRunId = new Map<string, CoreRun>();
  /** CommandId → runId of finished runs dropped from `runs` (see recall): a few dozen bytes each. */
  private readonly evicted = new Map<string, string>();
  private readonly listeners = new Set<(e: StationEvent) => void>();
  private active: { run: CoreRun; abort: AbortController } | undefined;
  private seq = 0;
  private calls = 0;
  private lastReading = { potential_V: 0, current_A: 0 };
  private referenceError: number;
  private batchOffsets: number[] = [];
  private readonly journal: DeviceJournal | undefined;

  constructor(o: StationCoreOptions) {
    this.deviceId = o.deviceId;
    this.cellId = o.cellId;
    this.world = o.world;
    this.clock = o.clock;
    this.rng = o.rng ?? new Rng(o.seed ?? 1);
    this.batchRng = this.rng.fork('electrolyte');
    this.landscape = o.landscape ?? defaultOerLandscape;
    this.faults = o.faults ?? noFaults;
    this.logger = (o.logger ?? silentLogger).child({ device: o.deviceId, cell: o.cellId });
    this.noise = o.noise ?? REALISTIC_NOISE;
    this.runsPerBatch = o.runsPerElectrolyteBatch ?? 24;
    this.compensationFraction = o.irCompensationFraction ?? DEFAULT_IR_COMPENSATION_FRACTION;
    this.minVolume = o.minSampleVolume ?? 100;
    this.retain = o.retainRuns ?? 200;
    const pH = o.pH ?? 14;
    this.conditionsBase = {
      electrolyte: o.electrolyte ?? '1 M KOH',
      pH,
      temperature: o.temperature ?? 25,
      referenceElectrode: 'Hg/HgO (1 M KOH)',
      referenceOffset_V_RHE: HG_HGO_VS_SHE_V + NERNST_SLOPE_V * pH,
    };
    this.referenceError = this.noise.referenceSigma_V * this.rng.fork('reference').normal();
    this.journal = o.journal;
    for (const e of this.journal?.entries() ?? []) this.restore(e.commandId, e.fingerprint, e.result);
  }

  /** A run of the station's earlier life, from its journal (see StationCoreOptions.journal). */
  private restore(commandId: string, fingerprint: string, stored: unknown): void {
    const seq = ++this.seq;
    const runId = `${this.deviceId}-run-${String(seq).padStart(5, '0')}`;
    this.remember(this.finishedRecord(commandId, runId, fingerprint, stored, `the station restarted while ${commandId} was running: whether it completed is unknown`, this.batchOf(seq)));
  }

  /**
   * A finished run no longer kept in memory (more than `retainRuns` ran after it) is asked for again: its stored
   * result comes from the journal; without one the answer is COMMAND_FATE_UNKNOWN (for an operator), never a second run.
   */
  private recall(commandId: string): CoreRun | undefined {
    const runId = this.evicted.get(commandId);
    if (runId === undefined) return undefined;
    this.evicted.delete(commandId);
    const entry = this.journal?.find(commandId);
    const record = this.finishedRecord(commandId, runId, entry?.fingerprint ?? '', entry?.result, `the station no longer keeps the result of ${commandId} (it keeps the last ${this.retain} runs)`, 0);
    this.remember(record);
    return record;
  }

  private finishedRecord(commandId: string, runId: string, fingerprint: string, stored: unknown, unknownFate: string, electrolyteBatch: number): CoreRun {
    const parsedRun = techniqueRunSchema.safeParse(safeJson(fingerprint));
    const run: TechniqueRun = parsedRun.success ? parsedRun.data : { technique: 'LSV', cell: this.cellId, params: {}, sample: {} };
    const parsed = echemResultSchema.safeParse(stored);
    const result: EchemResult = parsed.success
      ? parsed.data
      : {
          schema: 'sdl.result.echem.v1',
          runId,
          commandId,
          status: 'failed',
          // The electrode area the command asked for (the default when the command is unknown): a result's area is > 0.
          conditions: { ...this.conditionsBase, area: resolveTechniqueParams(run, run.sample).area },
          curves: [],
          instrumentFlags: [],
          duration_s: 0,
          failure: makeFailure('COMMAND_FATE_UNKNOWN', unknownFate),
        };
    return {
      runId: result.runId,
      commandId,
      run,
      status: result.status,
      startedAt: 0,
      finishedAt: 0,
      estimatedDuration_s: result.duration_s,
      step: '',
      result,
      truth: { runId: result.runId, commandId, electrolyteBatch, silent: [] },
      done: Promise.resolve(result),
    };
  }

  onEvent(listener: (e: StationEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get activeRun(): CoreRun | undefined {
    return this.active?.run;
  }

  /** The instrument's reading at the clock's current time (the last point measured so far; the last run's when idle). */
  liveReading(): LiveReading {
    const live = this.active?.run.live;
    let potentialControlled = false;
    if (live) {
      const t = live.curve.arrays['t_s'];
      const e = live.curve.arrays['Ewe_V'];
      const i = live.curve.arrays['I_A'];
      if (t && e && i && t.length > 0) {
        const at = (t[0] ?? 0) + (this.clock.now() - live.startedAt);
        let k = 0;
        while (k + 1 < t.length && (t[k + 1] ?? Infinity) <= at) k++;
        this.lastReading = { potential_V: e[k] ?? this.lastReading.potential_V, current_A: i[k] ?? this.lastReading.current_A };
      }
      potentialControlled = live.curve.technique === 'CV' || live.curve.technique === 'LSV' || live.curve.technique === 'CA';
    }
    return { ...this.lastReading, temperature: this.conditionsBase.temperature, potentialControlled };
  }

  findByCommand(commandId: string): CoreRun | undefined {
    return this.runs.get(commandId) ?? this.recall(commandId);
  }

  getRun(runId: string): CoreRun | undefined {
    return this.byRunId.get(runId);
  }

  status(): DeviceStatus {
    const run = this.active?.run;
    return {
      deviceId: this.deviceId,
      state: run ? 'busy' : 'ready',
      ...(run ? { activeRunId: run.runId } : {}),
      detail: { cell: this.cellId, runs: this.seq, step: run?.step ?? '', landscape: this.landscape.version },
    };
  }

  /** Throws PARAMETER_OUT_OF_LIMITS (with every problem) when the instrument would refuse the run. */
  validate(run: TechniqueRun): void {
    const parsed = techniqueRunSchema.safeParse(run);
    if (!parsed.success) throw DeviceError.of('PARAMETER_OUT_OF_LIMITS', `malformed technique run: ${parsed.error.message}`);
    const issues = checkTechniqueParams(run);
    if (issues.length > 0) throw DeviceError.of('PARAMETER_OUT_OF_LIMITS', issues.join('; '));
  }

  /**
   * Starts a run, or returns the run already started under this commandId. The state is `running` when this returns.
   * Throws DeviceError PARAMETER_OUT_OF_LIMITS (nothing started) or BAD_INVALID_STATE (another run is active).
   */
  start(run: TechniqueRun, commandId: string): CoreRun {
    const known = this.findByCommand(commandId);
    if (known) return known;
    this.validate(run);
    if (this.active) throw DeviceError.of('BAD_INVALID_STATE', `station ${this.deviceId} is running ${this.active.run.runId}`);
    const p = resolveTechniqueParams(run, run.sample);
    const segments = techniqueSegments(run.technique, p);
    const seq = ++this.seq;
    const runId = `${this.deviceId}-run-${String(seq).padStart(5, '0')}`;
    let resolveDone: (r: EchemResult) => void = () => {};
    const done = new Promise<EchemResult>((resolve) => (resolveDone = resolve));
    const record: CoreRun = {
      runId,
      commandId,
      run,
      status: 'running',
      startedAt: this.clock.now(),
      estimatedDuration_s: segments.reduce((s, seg) => s + segmentDuration(seg, p), 0),
      step: segments[0] ?? '',
      truth: { runId, commandId, electrolyteBatch: this.batchOf(seq), silent: [] },
      done,
    };
    this.remember(record);
    this.journal?.accepted(commandId, JSON.stringify(run));
    const abort = new AbortController();
    this.active = { run: record, abort };
    this.emit({ type: 'started', run: record });
    this.logger.info({ runId, commandId, technique: run.technique }, 'run started');
    void this.execute(record, p, segments, seq, abort.signal).then((result) => {
      record.result = result;
      record.status = result.status;
      this.journal?.done(commandId, result);
      record.finishedAt = this.clock.now();
      record.step = '';
      if (record.live) this.liveReading();
      delete record.live;
      if (this.active?.run === record) this.active = undefined;
      this.logger.info({ runId, status: result.status, code: result.failure?.code }, 'run finished');
      this.emit({ type: 'finished', run: record });
      resolveDone(result);
    });
    return record;
  }

  /** Aborts the active run (it ends `cancelled` with truncated curves). Returns false when nothing was running. */
  abort(): boolean {
    if (!this.active) return false;
    this.active.abort.abort(new Error('aborted'));
    return true;
  }

  private remember(record: CoreRun): void {
    this.runs.set(record.commandId, record);
    this.byRunId.set(record.runId, record);
    while (this.runs.size > this.retain) {
      const oldest = this.runs.values().next().value as CoreRun;
      if (oldest.status === 'running') break;
      this.runs.delete(oldest.commandId);
      this.byRunId.delete(oldest.runId);
      this.evicted.set(oldest.commandId, oldest.runId);
    }
  }

  private emit(e: StationEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.logger.warn({ err: String(err) }, 'station listener threw');
      }
    }
  }

  private batchOf(seq: number): number {
    return Math.floor((seq - 1) / this.runsPerBatch);
  }

  private batchOffset(seq: number): number {
    const batch = this.batchOf(seq);
    while (this.batchOffsets.length <= batch) this.batchOffsets.push(this.noise.batchSigma_V * this.batchRng.normal());
    return this.batchOffsets[batch] ?? 0;
  }

  private async execute(record: CoreRun, p: ResolvedParams, segments: Segment[], seq: number, signal: AbortSignal): Promise<EchemResult> {
    const runRng = this.rng.fork(`run-${seq}`);
    this.referenceError += this.noise.referenceDriftPerRun_V * runRng.normal();
    const contents = this.world.cellContents(this.cellId);
    const concentrations = this.world.cellConcentrations(this.cellId);
    const sample = sampleFromCell(concentrations, p);
    const couples = redoxCouplesIn(concentrations, p.area, this.conditionsBase.pH);
    const site = { device: this.deviceId, operation: record.run.technique, call: ++this.calls, commandId: record.commandId, region: regionOf(sample) };
    const injected = this.faults.check(site);
    const cellPlan = this.cellFaults.plan(this.batchOf(seq), this.faults.effect?.({ ...site, phase: 'run' }));
    record.truth.silent = cellPlan.effects;

    let failure: Failure | undefined;
    let film: FilmProperties | undefined;
    let failAfter = Number.POSITIVE_INFINITY; // segments measured before the failure shows
    if (contents.volume < this.minVolume) {
      // An empty cell shows within seconds (no electrolyte contact); no curves come back.
      failure = makeFailure('NO_SAMPLE_IN_CELL', `cell ${this.cellId} holds ${contents.volume.toFixed(0)} µL`);
    } else if (sample.totalMetal <= 0) {
      // No metal: a bare electrode. With a redox standard in the cell this is a calibration run, otherwise no film.
      film = bareSubstrate();
      if (couples.length === 0) failure = makeFailure('NO_FILM', `no metal salt in cell ${this.cellId}: nothing deposited`);
    } else {
      const outcome = this.landscape.evaluate(sample);
      film = outcome.failure ? filmOnFailure(outcome.film, outcome.failure) : filmInBatch(outcome.film, sample.fractions, cellPlan, record.truth);
      if (outcome.failure) failure = makeFailure(outcome.failure.code, outcome.failure.message);
    }
    if (injected && !failure) {
      failure = injected;
      failAfter = Math.floor(segments.length / 2);
    }

    const curves: Curve[] = [];
    const flags = new Set<string>();
    const conditions: Conditions = { ...this.conditionsBase, area: p.area };
    let t = 0;
    const finish = (status: EchemResult['status'], f?: Failure): EchemResult => ({
      schema: 'sdl.result.echem.v1',
      runId: record.runId,
      commandId: record.commandId,
      status,
      conditions,
      curves,
      instrumentFlags: [...flags],
      duration_s: t,
      ...(f ? { failure: f } : {}),
    });

    try {
      if (!film) {
        await this.clock.sleep(10, signal);
        t = 10;
        return finish('failed', failure);
      }
      const { electrode, variation } = realiseElectrode(film, p.area, runRng, this.noise, this.batchOffset(seq));
      const zirError = 0.02 * runRng.normal() * (this.noise.instrumentNoise ? 1 : 0);
      const instrument = instrumentModel({
        currentLimit_A: p.currentLimit_A,
        noiseScale: variation.noiseScale,
        ...(this.noise.instrumentNoise ? { rng: runRng.fork('instrument') } : {}),
      });
      const lsvCell = lsvCellOf(electrode.ru_ohm, cellPlan, { fraction: this.compensationFraction, zirError, rng: runRng.fork('cell') }, record.truth);
      // The instrument reports the Ru it measured itself (ZIR) and compensates from.
      conditions.uncompensatedResistance = lsvCell.compensation.measuredRu_ohm;
      for (let k = 0; k < segments.length; k++) {
        const seg = segments[k] as Segment;
        if (k >= failAfter) break;
        if (record.step !== seg) {
          record.step = seg;
          this.emit({ type: 'step', run: record });
        }
        const duration = segmentDuration(seg, p);
        const { curve, data } = measureSegment(seg, electrode, p, {
          instrument,
          referenceOffset_V_RHE: conditions.referenceOffset_V_RHE,
          referenceError_V: this.referenceError,
          t0_s: t,
          ...(seg === 'LSV' ? { lsvCell } : {}),
        }, couples);
        record.live = { curve, startedAt: this.clock.now() };
        await this.clock.sleep(duration, signal);
        t += duration;
        curves.push(curve);
        for (const f of data.flags) flags.add(f);
      }
      recordLsvTruth(lsvCell, record.truth);
      if (failure) {
        if (failAfter < segments.length) flags.add('truncated');
        return finish('failed', failure);
      }
      return finish('succeeded');
    } catch (err) {
      if (signal.aborted) {
        flags.add('truncated');
        return finish('cancelled', makeFailure('ABORTED', 'run aborted'));
      }
      this.logger.error({ err: String(err) }, 'simulation failed');
      return finish('failed', makeFailure('INTERNAL', `simulator error: ${String(err)}`));
    }
  }
}

/** Where in recipe space a run is (for region rules): the cell's metal fractions and its bath. */
function regionOf(sample: FilmSample): Record<string, number> {
  return { ...sample.fractions, totalMetal: sample.totalMetal, complexant: sample.complexant, depositionCharge_mC_cm2: sample.depositionCharge_mC_cm2, annealTemperature: sample.annealTemperature };
}

/** A bare substrate: very poor OER activity, no Ni redox. */
function bareSubstrate(): FilmProperties {
  return {
    eta10_V: 0.65,
    tafel_mV_dec: 120,
    j0_A_cm2: 0.01 * 10 ** (-0.65 / 0.12),
    cdl_F_cm2: 2e-5,
    niRedoxCharge_mC_cm2: 0,
    niRedoxPotential_V_RHE: 1.4,
    filmResistance_ohm: 0,
    bubbleOnset_mA_cm2: 30,
    stabilityDrift_mV_h: 0,
  };
}

/** What the electrode looks like when the chemistry failed: curves still come back and show it. */
function filmOnFailure(film: FilmProperties, failure: LandscapeFailure): FilmProperties {
  switch (failure.code) {
    case 'NO_FILM':
    case 'PRECIPITATION':
    case 'DELAMINATION':
      return bareSubstrate();
    case 'INSULATING_FILM':
      return { ...film, j0_A_cm2: 1e-25, filmResistance_ohm: film.filmResistance_ohm + 50 };
    case 'BUBBLE_BLOCKING':
      return { ...film, bubbleOnset_mA_cm2: 2 };
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
