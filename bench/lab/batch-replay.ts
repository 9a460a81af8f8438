import { BatchWatch, type BatchWatchOptions } from '../../agents/batch-watch.ts';
import type { LabTrialRecord } from './metrics.ts';

/**
 * Replays the campaign's batch check (agents/batch-watch.ts) on the trials of recorded lab-benchmark runs (ADR 0061):
 * every completed trial that carried a prediction, in campaign order, with its station, prediction and reading. On
 * runs made without an injected shift any alarm is a false alarm; a shift added to one station's readings from its
 * k-th watched trial on measures detection (semi-synthetic: the campaign would have reacted to the shifted readings,
 * the replay does not).
 */
export interface ReplayTrial {
  trialId: string;
  index: number;
  station: string;
  measured: number;
  predicted: number;
}

export function replayTrials(trials: readonly LabTrialRecord[]): ReplayTrial[] {
  return [...trials]
    .sort((a, b) => a.index - b.index)
    .flatMap((t, i) =>
      t.status === 'completed' && t.measured !== null && t.predicted && t.station
        ? [{ trialId: `t${t.index}-${i}`, index: t.index, station: t.station, measured: t.measured, predicted: t.predicted.mean }]
        : [],
    );
}

/** Alarms (station, campaign index of the alarm trial) the watch raises on these trials. */
export function replayAlarms(trials: readonly ReplayTrial[], options: Partial<BatchWatchOptions>, objective = 'eta10'): { station: string; index: number }[] {
  const watch = new BatchWatch(objective, options);
  const out: { station: string; index: number }[] = [];
  for (const t of trials) {
    const alarm = watch.record({ trialId: t.trialId, index: t.index, station: t.station, objectives: { [objective]: t.measured }, predicted: { [objective]: { mean: t.predicted, sd: 0 } } });
    if (alarm) out.push({ station: alarm.station, index: t.index });
  }
  return out;
}

export interface InjectedOutcome {
  /** Station trials from the first shifted one to the alarm (1 = found at the first), or null when not found within `within`. */
  delay: number | null;
  /** An alarm on another station, or on this one before the shift, came first. */
  wrong: boolean;
}

/**
 * Adds `shift` to every reading of `station` from its `from`-th watched trial (1-based) on and replays the watch;
 * undefined when the station has fewer than `from` watched trials.
 */
export function replayInjected(trials: readonly ReplayTrial[], station: string, from: number, shift: number, options: Partial<BatchWatchOptions>, within = 8): InjectedOutcome | undefined {
  const mine = trials.filter((t) => t.station === station);
  const start = mine[from - 1];
  if (!start) return undefined;
  const shifted = trials.map((t) => (t.station === station && t.index >= start.index ? { ...t, measured: t.measured + shift } : t));
  const alarms = replayAlarms(shifted, options);
  const first = alarms[0];
  if (!first) return { delay: null, wrong: false };
  if (first.station !== station || first.index < start.index) return { delay: null, wrong: true };
  const delay = mine.filter((t) => t.index >= start.index && t.index <= first.index).length;
  return { delay: delay <= within ? delay : null, wrong: false };
}
