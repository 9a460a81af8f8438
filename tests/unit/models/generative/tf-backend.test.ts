import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { selectTfBackend } from '../../../../models/generative/tf-backend.ts';
import { loadConfig } from '../../../../src/config/index.ts';

const missing = async (specifier: string): Promise<unknown> => {
  throw new Error(`Cannot find package '${specifier}'`);
};

describe('tfjs backend selection', () => {
  it('auto skips native bindings that do not load and settles on wasm', async () => {
    const choice = await selectTfBackend('auto', missing);
    expect(choice.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(choice.skipped.map((s) => s.backend)).toEqual(['node-gpu', 'node']);
    expect(choice.skipped[0]?.reason).toContain('@tensorflow/tfjs-node-gpu');
  });

  it('auto with the real importer falls back cleanly on this machine (no GPU binding)', async () => {
    const choice = await selectTfBackend('auto');
    expect(['node-gpu', 'node', 'wasm']).toContain(choice.backend);
    expect(tf.getBackend()).toBe(choice.engineName);
  });

  it('a binding that loads without registering its backend is skipped too', async () => {
    await selectTfBackend('cpu');
    const choice = await selectTfBackend('auto', async () => ({}));
    expect(choice.backend).toBe('wasm');
    expect(choice.skipped.map((s) => s.reason)).toEqual(expect.arrayContaining([expect.stringContaining('tensorflow')]));
  });

  it('a forced backend that cannot load is an error, not a silent fallback', async () => {
    await expect(selectTfBackend('node-gpu', missing)).rejects.toThrow(/no TensorFlow.js backend.*node-gpu/);
    const cpu = await selectTfBackend('cpu');
    expect(cpu.backend).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    await selectTfBackend('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('LABLOOP_TF_BACKEND is read by the configuration', () => {
    expect(loadConfig({ LABLOOP_TF_BACKEND: 'wasm' }).tfBackend).toBe('wasm');
    expect(loadConfig({}).tfBackend).toBe('auto');
    expect(() => loadConfig({ LABLOOP_TF_BACKEND: 'tpu' })).toThrow(/tfBackend/);
  });
});
