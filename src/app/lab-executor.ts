import type { StationQuarantine } from '../../agents/batch-watch.ts';
import type { TrialExecutor } from '../../agents/trial-ports.ts';
import type { OerScreenInput } from '../plans/index.ts';
import { oerScreenPlan } from '../plans/index.ts';
import type { ProtocolSpec } from '../domain/index.ts';
import type { Engine } from '../engine/engine.ts';
import type { Station } from '../engine/station.ts';
import type { TrialOutcome } from '../protocol/index.ts';

export interface LabExecutorHooks {
  /** An operator released the station: its maintenance is done (the simulated lab fills the cell with a fresh electrolyte batch). */
  onRelease?: (stationId: string) => void;
}

/** Adapts the engine and its station pairs to the campaign loop's TrialExecutor and StationQuarantine ports. */
export class LabExecutor implements TrialExecutor, StationQuarantine {
  private waiters: (() => void)[] = [];

  constructor(
    private readonly engine: Engine,
    readonly stations: readonly Station[],
    private readonly protocol: ProtocolSpec,
    private readonly hooks: LabExecutorHooks = {},
  ) {}

  get aborted(): boolean {
    return this.engine.state === 'aborting' || this.engine.state === 'stopped';
  }

  availableStations(): string[] {
    return this.stations.filter((s) => s.available).map((s) => s.id);
  }

  usableStations(): number {
    return this.stations.filter((s) => !s.quarantined).length;
  }

  station(id: string): Station | undefined {
    return this.stations.find((s) => s.id === id);
  }

  private requireStation(id: string): Station {
    const station = this.station(id);
    if (!station) throw new Error(`unknown station ${id}`);
    return station;
  }

  whileNotPaused(): Promise<void> {
    return this.engine.whileNotPaused();
  }

  stationsChanged(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Quarantines a station with the reason operators see (the campaign loop's batch check). */
  quarantine(stationId: string, reason: string): void {
    this.engine.quarantineStation(this.requireStation(stationId), reason);
    this.notify();
  }

  /** An operator's release: the station's maintenance is done and it takes trials again. */
  release(stationId: string): void {
    const station = this.requireStation(stationId);
    this.hooks.onRelease?.(stationId);
    this.engine.releaseStation(station);
    this.notify();
  }

  /** Wakes everything waiting for a station (after a release, a quarantine, resume or abort). */
  notify(): void {
    this.waiters.splice(0).forEach((w) => w());
  }

  async run(stationId: string, request: { trialId: string; recipe: OerScreenInput['recipe']; sample: OerScreenInput['sample']; attempt: number }): Promise<TrialOutcome> {
    const station = this.station(stationId);
    if (!station) throw new Error(`unknown station ${stationId}`);
    try {
      const plan = oerScreenPlan({ trialId: request.trialId, recipe: request.recipe, sample: request.sample, cell: station.cell, protocol: this.protocol });
      return await this.engine.runTrial(request, station, plan);
    } finally {
      this.notify();
    }
  }
}
