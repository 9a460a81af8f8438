import { describe, expect, it } from 'vitest';
import { runRefillCommand } from '../../../src/cli/refill-command.ts';

describe('labloop refill (arguments)', () => {
  it('needs a stock and exactly one of --volume and --full, with a positive volume', async () => {
    await expect(runRefillCommand('c', { volume: '10' })).rejects.toMatchObject({ name: 'UsageError', message: '--stock NAME is required' });
    await expect(runRefillCommand('c', { stock: 'Ni' })).rejects.toThrow('give either --volume <µL> or --full');
    await expect(runRefillCommand('c', { stock: 'Ni', volume: '10', full: true })).rejects.toThrow('give either --volume <µL> or --full');
    await expect(runRefillCommand('c', { stock: 'Ni', volume: '-3' })).rejects.toThrow('--volume must be a positive number of µL, not "-3"');
    await expect(runRefillCommand('c', { stock: 'Ni', volume: 'lots' })).rejects.toThrow(/not "lots"/);
  });
});
