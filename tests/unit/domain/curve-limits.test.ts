import { describe, expect, it } from 'vitest';
import { curveSchema, MAX_CURVE_POINTS } from '../../../src/domain/echem.ts';

describe('curve length limit (issue 15: limits everywhere input arrives)', () => {
  it('accepts a curve of MAX_CURVE_POINTS points and refuses one more, naming the array', () => {
    const curve = (n: number) => ({ technique: 'LSV', arrays: { 'E_V': new Array<number>(n).fill(0.1), 'I_A': [0] } });
    expect(curveSchema.safeParse(curve(MAX_CURVE_POINTS)).success).toBe(true);
    const r = curveSchema.safeParse(curve(MAX_CURVE_POINTS + 1));
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['arrays', 'E_V']);
    expect(r.error?.issues[0]?.code).toBe('too_big');
  });
});
