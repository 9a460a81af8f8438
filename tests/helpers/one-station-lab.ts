import type { TrialExecutor } from '../../agents/trial-ports.ts';
import type { Recipe } from '../../src/domain/index.ts';
import type { TrialOutcome } from '../../src/protocol/index.ts';
import type { InstantClock } from '../../simulators/clock.ts';

export interface LabRequest {
  trialId: string;
  recipe: Recipe;
}

/**
 * A one-station lab for campaign-loop tests: each run takes one virtual second and returns what `outcome` says for
 * it (`n`: the run's number, from 1). `onRun` is called as each run starts; `ran` lists the recipes run, in order.
 */
export class OneStationLab implements TrialExecutor {
  aborted = false;
  readonly ran: Recipe[] = [];
  onRun: ((req: LabRequest) => void) | undefined;
  private busy = false;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly clock: InstantClock,
    private readonly outcome: (req: LabRequest, n: number) => TrialOutcome,
  ) {}

  availableStations() {
    return this.busy ? [] : ['p1'];
  }
  usableStations() {
    return 1;
  }
  async whileNotPaused() {}
  stationsChanged() {
    return new Promise<void>((r) => this.waiters.push(r));
  }
  async run(_station: string, req: LabRequest): Promise<TrialOutcome> {
    this.busy = true;
    this.ran.push(req.recipe);
    this.onRun?.(req);
    await this.clock.sleep(1);
    this.busy = false;
    this.waiters.splice(0).forEach((w) => w());
    return this.outcome(req, this.ran.length);
  }
}
