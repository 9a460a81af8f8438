import { describe, expect, it } from 'vitest';
import { timeOf } from '../../../src/console/web/src/dom.ts';

describe('console times', () => {
  it('are ISO-like with date, 24-hour time and the UTC offset, and denote the same instant', () => {
    const iso = '2026-12-07T13:05:09.123Z';
    const shown = timeOf(iso);
    const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) ([+-]\d\d:\d\d)$/.exec(shown);
    expect(m, shown).not.toBeNull();
    expect(Date.parse(`${m![1]}T${m![2]}${m![3]}`)).toBe(Date.parse('2026-12-07T13:05:09Z'));
    expect(timeOf(undefined)).toBe('');
    expect(timeOf('not a time')).toBe('not a time');
  });
});
