import { describe, expect, it } from 'vitest';
import { wasmCodePolicy } from '../../../src/app/wasm-code-policy.ts';
import type { CampaignSpec } from '../../../src/domain/index.ts';

const withAgent = (agent: CampaignSpec['strategy']['agent']): Pick<CampaignSpec, 'strategy'> => ({ strategy: { agent } as CampaignSpec['strategy'] });

describe('WebAssembly code policy of a run (ADR 0120)', () => {
  it('compiles with the baseline compiler only unless the agent trains neural generators', () => {
    for (const agent of ['bo', 'sobol-gp', 'sobol', 'random', 'hybrid'] as const) expect(wasmCodePolicy(withAgent(agent), {})).toBe('baseline-only');
    expect(wasmCodePolicy(withAgent('generative'), {})).toBe('tiered');
  });

  it('LABLOOP_WASM_TIERING=1 keeps V8 tiering for every run; other values do not', () => {
    expect(wasmCodePolicy(withAgent('bo'), { LABLOOP_WASM_TIERING: '1' })).toBe('tiered');
    expect(wasmCodePolicy(withAgent('bo'), { LABLOOP_WASM_TIERING: '0' })).toBe('baseline-only');
  });
});
