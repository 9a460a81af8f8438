import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceError, type FailureCode, type Recipe, type TechniqueRun } from '../../src/domain/index.ts';
import type { PotentiostatBackend } from '../../src/devices/backends.ts';
import { extractFeatures } from '../../models/analysis/index.ts';
import { trueEta10 } from '../../simulators/physics/oer-landscape.ts';

/** What the contract needs from one implementation: a backend for one station, and a hand on its cell's contents. */
export interface PotentiostatHarness {
  backend: PotentiostatBackend;
  /** Name of the cell in technique runs. */
  cell: string;
  /** Fills the station's cell with a sample mixed as `recipe` says (default scenario keys). */
  fillCell(recipe: Recipe): void;
  emptyCell(): void;
  close(): Promise<void>;
}

let counter = 0;
const newCommandId = (): string => `cmd-contract-${Date.now().toString(36)}-${(counter++).toString(36)}`;
const opts = (commandId = newCommandId()) => ({ commandId, signal: new AbortController().signal, timeout_s: 30 });

async function expectCode(p: Promise<unknown>, code: FailureCode): Promise<DeviceError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected DeviceError ${code}`).toBeInstanceOf(DeviceError);
  expect((err as DeviceError).failure.code).toBe(code);
  return err as DeviceError;
}

async function waitUntil(cond: () => Promise<boolean>, timeout_ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeout_ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const GOOD: Recipe = { Ni: 0.6, Fe: 0.2, Co: 0.2, Ce: 0, Mn: 0, totalMetal: 50, complexant: 5, depositionCharge_mC_cm2: 30, annealTemperature: 100 };
const POCKET: Recipe = { Ni: 0.32, Fe: 0.08, Co: 0.22, Ce: 0.38, Mn: 0, totalMetal: 40, complexant: 20, depositionCharge_mC_cm2: 40, annealTemperature: 180 };
const NO_FILM: Recipe = { ...GOOD, totalMetal: 10, complexant: 40 };

const screen = (cell: string, recipe: Recipe, params: Record<string, number> = {}): TechniqueRun => ({
  technique: 'OER_Screen_v1',
  cell,
  params: {
    scanRate_V_s: 0.005,
    start_V_RHE: 1.0,
    end_V_RHE: 1.8,
    area: 0.0707,
    targetCurrentDensity: 10,
    withEis: 1,
    depositionCharge_mC_cm2: recipe['depositionCharge_mC_cm2'] as number,
    annealTemperature: recipe['annealTemperature'] as number,
    ...params,
  },
  sample: { trialId: 'contract' },
});
const longOcp = (cell: string): TechniqueRun => ({ technique: 'OCP', cell, params: { duration: 3000 }, sample: {} });

/**
 * The PotentiostatBackend contract: every implementation (in-process simulator, OPC UA driver against the twin, ...)
 * must pass it. The harness's clock must make a 3000 s OCP last long enough (≥ 0.5 s wall) to observe `busy` and abort it.
 */
export function potentiostatBackendContract(name: string, makeHarness: () => Promise<PotentiostatHarness>): void {
  describe(`PotentiostatBackend contract: ${name}`, () => {
    let h: PotentiostatHarness;
    beforeAll(async () => {
      h = await makeHarness();
      await h.backend.setup();
    });
    afterAll(async () => {
      await h?.backend.stop();
      await h?.close();
    });

    it('measures a sample: a completed result whose η10 is within 30 mV of the landscape (or flagged noisy)', async () => {
      let unflagged = 0;
      for (const recipe of [GOOD, POCKET, GOOD]) {
        h.fillCell(recipe);
        const result = await h.backend.runTechnique(screen(h.cell, recipe), opts());
        expect(result.status).toBe('succeeded');
        expect(result.curves.map((c) => c.technique)).toEqual(['OCP', 'CV', 'PEIS', 'LSV']);
        const lsv = result.curves.find((c) => c.technique === 'LSV');
        // 1.0 → 1.8 V in 1 mV steps, or until |I| reaches the current limit (the compensated sweep stops there, ADR 0050).
        expect(lsv?.arrays['Ewe_V']?.length).toBeGreaterThan(300);
        expect(lsv?.arrays['Ewe_V']?.length).toBeLessThanOrEqual(801);
        expect(result.conditions.referenceOffset_V_RHE).toBeGreaterThan(0.9);
        const { features, flags } = extractFeatures(result);
        // ≈ 2 % of runs are outliers with visibly noisy curves: the analysis must flag those.
        const error = Math.abs((features['eta10_V'] as number) - trueEta10(recipe));
        if (flags.includes('noisy')) continue;
        unflagged++;
        expect(error).toBeLessThan(0.03);
        expect(features['Rs_ohm']).toBeGreaterThan(5);
        expect(features['Rs_ohm']).toBeLessThan(12);
      }
      expect(unflagged).toBeGreaterThanOrEqual(2);
    });

    it('refuses an empty cell with NO_SAMPLE_IN_CELL', async () => {
      h.emptyCell();
      await expectCode(h.backend.runTechnique(screen(h.cell, GOOD), opts()), 'NO_SAMPLE_IN_CELL');
    });

    it('codes a chemistry failure and keeps its failed result for lookup', async () => {
      h.fillCell(NO_FILM);
      const o = opts();
      await expectCode(h.backend.runTechnique(screen(h.cell, NO_FILM), o), 'NO_FILM');
      const stored = await h.backend.lookup(o.commandId);
      expect(stored?.status).toBe('failed');
      expect(stored?.failure?.code).toBe('NO_FILM');
    });

    it('refuses parameters outside the instrument limits before running', async () => {
      h.fillCell(GOOD);
      const o = opts();
      const err = await expectCode(h.backend.runTechnique(screen(h.cell, GOOD, { scanRate_V_s: 50 }), o), 'PARAMETER_OUT_OF_LIMITS');
      expect(err.failure.message).toMatch(/lsvScanRate_V_s|scanRate/);
      await expectCode(h.backend.runTechnique(screen(h.cell, GOOD, { bogus: 1 }), opts()), 'PARAMETER_OUT_OF_LIMITS');
      expect(await h.backend.lookup(o.commandId)).toBeUndefined();
      expect((await h.backend.status()).state).toBe('ready');
    });

    it('de-duplicates by commandId: the same command returns the stored result without running again', async () => {
      h.fillCell(GOOD);
      const o = opts();
      const first = await h.backend.runTechnique(screen(h.cell, GOOD), o);
      h.emptyCell(); // a second execution would now fail with NO_SAMPLE_IN_CELL
      const again = await h.backend.runTechnique(screen(h.cell, GOOD), { ...o, signal: new AbortController().signal });
      expect(again.runId).toBe(first.runId);
      expect(again.curves[3]?.arrays['I_A']).toEqual(first.curves[3]?.arrays['I_A']);
      expect((await h.backend.lookup(o.commandId))?.runId).toBe(first.runId);
      expect(await h.backend.lookup('never-sent')).toBeUndefined();
    });

    it('refuses a second program while one runs (BAD_INVALID_STATE), reports busy, then finishes the first', async () => {
      h.fillCell(GOOD);
      const a = opts();
      const first = h.backend.runTechnique(longOcp(h.cell), a);
      await waitUntil(async () => (await h.backend.status()).state === 'busy');
      const st = await h.backend.status();
      expect(st.activeRunId).toBeDefined();
      await expectCode(h.backend.runTechnique(longOcp(h.cell), opts()), 'BAD_INVALID_STATE');
      const done = await first;
      expect(done.status).toBe('succeeded');
      expect(done.runId).toBe(st.activeRunId);
      await waitUntil(async () => (await h.backend.status()).state === 'ready');
    });

    it('aborts a running program: ABORTED, truncated, and the station is ready again', async () => {
      h.fillCell(GOOD);
      const o = opts();
      const running = h.backend.runTechnique(longOcp(h.cell), o);
      await waitUntil(async () => (await h.backend.status()).state === 'busy');
      await h.backend.abort();
      await expectCode(running, 'ABORTED');
      await waitUntil(async () => (await h.backend.status()).state === 'ready');
      const stored = await h.backend.lookup(o.commandId);
      expect(stored?.status).toBe('cancelled');
      expect(stored?.instrumentFlags).toContain('truncated');
    });
  });
}
