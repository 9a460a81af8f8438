import { DocumentBus, type LabDocument } from '../../../src/protocol/index.ts';
import { defaultSpec, goodRecipe } from '../../helpers/default-spec.ts';

/**
 * A scripted campaign on a DocumentBus, for console tests: every kind of document the console shows, with the
 * payloads the engine and the campaign loop really publish.
 */
export class ScriptedCampaign {
  private n = 0;
  readonly spec = defaultSpec();

  constructor(
    readonly bus: DocumentBus,
    readonly campaignId: string,
  ) {}

  start(): LabDocument {
    return this.bus.publish(this.campaignId, 'campaignStart', { spec: this.spec, seed: 1, resumed: false });
  }

  station(station: string, state: 'ready' | 'busy' | 'maintenance' = 'ready', quarantined = false): LabDocument {
    return this.bus.publish(this.campaignId, 'stationState', { station, device: `lh-${station}+ps-${station}`, state, quarantined, consecutiveFaults: 0 });
  }

  /** A trial from proposal to completion (or a chemistry failure): 9–10 documents. */
  trial(opts: { eta?: number; fail?: boolean; station?: string } = {}): string {
    const i = this.n++;
    const trialId = `T${String(i).padStart(4, '0')}`;
    const runId = `R${String(i).padStart(4, '0')}`;
    const station = opts.station ?? 'pair1';
    const recipe = { ...goodRecipe, totalMetal: 20 + i };
    const base = { trialId, index: i, recipe, proposer: 'sobol', attempt: 0 };
    this.bus.publish(this.campaignId, 'suggestion', { trialId, suggestion: { id: `S${i}`, recipe, proposer: 'sobol', rationale: `point ${i} of the Sobol design`, acquisitionValue: -1.5 + i / 10 } });
    this.bus.publish(this.campaignId, 'trialState', { ...base, from: null, to: 'proposed' });
    this.bus.publish(this.campaignId, 'trialState', { ...base, from: 'proposed', to: 'approved' });
    this.bus.publish(this.campaignId, 'trialState', { ...base, from: 'approved', to: 'queued', station });
    this.bus.publish(this.campaignId, 'trialState', { ...base, from: 'queued', to: 'running', station });
    this.bus.publish(this.campaignId, 'runStart', { trialId, runId, station, attempt: 0 });
    if (opts.fail) {
      const failure = { code: 'DELAMINATION' as const, message: 'film came off', retryable: false, recoverable: true };
      this.bus.publish(this.campaignId, 'runStop', { runId, trialId, status: 'failed', objectives: {}, failure, duration_s: 600 });
      this.bus.publish(this.campaignId, 'trialState', { ...base, from: 'running', to: 'failed', station, failure });
      return trialId;
    }
    const eta = opts.eta ?? 0.4 - i * 0.001;
    this.bus.publish(this.campaignId, 'event', {
      runId,
      trialId,
      stream: 'LSV',
      measurementId: `M${i}`,
      features: { eta10_V: eta },
      flags: [],
      preview: { x: [1.2, 1.4, 1.6, 1.8], y: [0, 0.1, 5, 60], xLabel: 'E / V vs RHE', yLabel: 'j / mA cm⁻²' },
    });
    this.bus.publish(this.campaignId, 'runStop', { runId, trialId, status: 'completed', objectives: { eta10: eta }, duration_s: 600 });
    this.bus.publish(this.campaignId, 'trialState', { ...base, from: 'running', to: 'completed', station, objectives: { eta10: eta } });
    return trialId;
  }

  fault(station: string, trialId?: string): LabDocument {
    return this.bus.publish(this.campaignId, 'fault', {
      ...(trialId ? { trialId } : {}),
      station,
      device: `lh-${station}`,
      failure: { code: 'TIP_PICKUP_FAILED', message: 'no tip detected', retryable: true, recoverable: true },
      attempt: 0,
    });
  }

  snapshot(n: number): LabDocument {
    return this.bus.publish(this.campaignId, 'modelSnapshot', {
      snapshotId: `snap${n}`,
      agent: 'bo',
      n,
      hyperparameters: {},
      looRmse: 0.02,
      parity: Array.from({ length: n }, (_, k) => ({ observed: 0.4 - k * 0.001, predicted: 0.4 - k * 0.0012, sd: 0.01 })),
    });
  }
}

/** Collects every document a bus publishes (what a perfect store would hold). */
export function recordBus(bus: DocumentBus): LabDocument[] {
  const docs: LabDocument[] = [];
  bus.subscribe((d) => {
    docs.push(d);
  });
  return docs;
}
