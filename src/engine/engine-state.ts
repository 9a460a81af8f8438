/** Engine lifecycle with its transition table; an illegal transition throws. */
export const ENGINE_STATES = ['idle', 'running', 'paused', 'aborting', 'stopped'] as const;
export type EngineState = (typeof ENGINE_STATES)[number];

const TRANSITIONS: Record<EngineState, readonly EngineState[]> = {
  idle: ['running', 'stopped'],
  running: ['paused', 'aborting', 'stopped'],
  paused: ['running', 'aborting', 'stopped'],
  aborting: ['stopped'],
  stopped: [],
};

export class EngineStateMachine {
  private current: EngineState = 'idle';
  private readonly waiters: (() => void)[] = [];

  get state(): EngineState {
    return this.current;
  }

  to(next: EngineState): void {
    if (!TRANSITIONS[this.current].includes(next)) throw new Error(`illegal engine transition ${this.current} → ${next}`);
    this.current = next;
    if (next !== 'paused') this.waiters.splice(0).forEach((w) => w());
  }

  /** Resolves immediately unless paused; otherwise when resumed, aborted or stopped. */
  async whileNotPaused(): Promise<void> {
    while (this.current === 'paused') await new Promise<void>((r) => this.waiters.push(r));
  }
}
