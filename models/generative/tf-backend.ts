import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

/**
 * TensorFlow.js backend selection for the generative models (ADR 0080). `auto` tries, in order, the native GPU binding
 * (`@tensorflow/tfjs-node-gpu`, an optional dependency that is usually absent or fails to load its binary), the native
 * CPU binding (`@tensorflow/tfjs-node`), the SIMD wasm backend (the offline default) and plain JavaScript. A forced
 * choice (`LABLOOP_TF_BACKEND`) that cannot load is an error, not a silent fallback. The choice is made once per
 * thread (tfjs keeps one global engine) and recorded in every model snapshot.
 */
export const TF_BACKENDS = ['node-gpu', 'node', 'wasm', 'cpu'] as const;
export type TfBackendName = (typeof TF_BACKENDS)[number];
export type TfBackendPreference = TfBackendName | 'auto';

export interface TfBackendChoice {
  /** The backend in use. */
  backend: TfBackendName;
  /** tfjs's own name of the active backend (`tensorflow` for the native bindings). */
  engineName: string;
  /** Backends tried before it, with the reason each was skipped. */
  skipped: { backend: TfBackendName; reason: string }[];
}

/** Loads a native binding by a computed specifier, so a missing optional package is a runtime failure, not a type error. */
type Importer = (specifier: string) => Promise<unknown>;
const dynamicImport: Importer = (specifier) => import(specifier);

const NATIVE_PACKAGE: Record<'node-gpu' | 'node', string> = {
  'node-gpu': '@tensorflow/tfjs-node-gpu',
  node: '@tensorflow/tfjs-node',
};

let current: Promise<TfBackendChoice> | undefined;
let currentPreference: TfBackendPreference | undefined;

async function tryBackend(name: TfBackendName, importer: Importer): Promise<string> {
  if (name === 'node-gpu' || name === 'node') {
    await importer(NATIVE_PACKAGE[name]);
    if (!(await tf.setBackend('tensorflow'))) throw new Error('the native binding loaded but its backend did not initialise');
    return 'tensorflow';
  }
  if (!(await tf.setBackend(name))) throw new Error(`tfjs could not initialise the ${name} backend`);
  await tf.ready();
  return name;
}

/**
 * Selects (once per thread) and activates a backend. Calling again with the same preference returns the same choice;
 * a different preference re-selects. `importer` replaces the dynamic import of the native bindings in tests.
 */
export function selectTfBackend(preference: TfBackendPreference = 'auto', importer: Importer = dynamicImport): Promise<TfBackendChoice> {
  if (current && currentPreference === preference) return current;
  currentPreference = preference;
  current = (async () => {
    const order: TfBackendName[] = preference === 'auto' ? [...TF_BACKENDS] : [preference];
    const skipped: TfBackendChoice['skipped'] = [];
    for (const name of order) {
      try {
        const engineName = await tryBackend(name, importer);
        return { backend: name, engineName, skipped };
      } catch (e) {
        skipped.push({ backend: name, reason: firstLine(e) });
      }
    }
    const detail = skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ');
    throw new Error(`no TensorFlow.js backend could be loaded (${detail})`);
  })();
  current.catch(() => {
    current = undefined;
    currentPreference = undefined;
  });
  return current;
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return (msg.split('\n')[0] ?? msg).slice(0, 200);
}
