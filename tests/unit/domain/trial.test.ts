import { describe, expect, it } from 'vitest';
import { IllegalTransitionError, TRIAL_STATUSES, TRIAL_TRANSITIONS, isTerminal, transition } from '../../../src/domain/index.ts';

describe('trial transition table', () => {
  it('walks the happy path', () => {
    let s = transition('proposed', 'approved');
    s = transition(s, 'queued');
    s = transition(s, 'running');
    expect(transition(s, 'completed')).toBe('completed');
  });

  it('lets failed trials be retried but never abandoned or blocked ones', () => {
    expect(transition('failed', 'queued')).toBe('queued');
    expect(() => transition('abandoned', 'queued')).toThrow(IllegalTransitionError);
    expect(() => transition('blocked', 'approved')).toThrow(/blocked → approved/);
    expect(() => transition('proposed', 'running')).toThrow(IllegalTransitionError);
  });

  it('has exactly the terminal states completed, abandoned and blocked', () => {
    expect(TRIAL_STATUSES.filter(isTerminal).sort()).toEqual(['abandoned', 'blocked', 'completed']);
    for (const [from, tos] of Object.entries(TRIAL_TRANSITIONS)) for (const to of tos) expect(TRIAL_STATUSES, `${from}→${to}`).toContain(to);
  });
});
