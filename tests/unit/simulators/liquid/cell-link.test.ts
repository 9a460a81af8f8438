import { describe, expect, it } from 'vitest';
import { cellLinkFilter, cellLinkTopic, cellStatePayload, cellStateSchema, MirroredWorld } from '../../../../simulators/liquid/cell-link.ts';

describe('cell link', () => {
  it('round-trips a cell state and mirrors it into a world', () => {
    const state = cellStateSchema.parse(JSON.parse(cellStatePayload('pair1', { volume: 2000, amounts: { Ni: 40_000, complexant: 10_000 } }, 'c1').toString()));
    expect(state).toMatchObject({ schema: 'labloop.sim.cell.v1', cell: 'pair1', volume: 2000, commandId: 'c1' });
    const world = new MirroredWorld();
    expect(world.cellContents('pair1').volume).toBe(0);
    world.update(state);
    expect(world.cellConcentrations('pair1')).toEqual({ Ni: 20, complexant: 5 });
    expect(world.cellContents('other')).toEqual({ volume: 0, amounts: {} });
    world.emptyCell('pair1');
    expect(world.cellContents('pair1').volume).toBe(0);
    expect(cellLinkTopic('lab1', 'pair1')).toBe('sdl/v1/lab1/_sim/cell/pair1');
    expect(cellLinkFilter('lab1')).toBe('sdl/v1/lab1/_sim/cell/+');
  });

  it('refuses malformed states', () => {
    expect(cellStateSchema.safeParse({ schema: 'labloop.sim.cell.v1', cell: 'x', volume: -1, amounts: {}, at: new Date().toISOString() }).success).toBe(false);
    expect(cellStateSchema.safeParse({ schema: 'other', cell: 'x', volume: 1, amounts: {}, at: new Date().toISOString() }).success).toBe(false);
  });
});
