import v8 from 'node:v8';
import type { CampaignSpec } from '../domain/index.ts';

/**
 * How V8 compiles the run's WebAssembly (ADR 0120). PGlite is a WebAssembly build of PostgreSQL; V8 compiles it
 * with its baseline compiler (Liftoff) and then recompiles hot functions with TurboFan on helper threads. On the
 * dry run's workload that recompilation never paid for itself: it cost CPU on a 2-core machine and left ≈ 60 MiB of
 * the allocator's thread arenas behind, while the queries got no faster overall. A run whose agent trains no neural
 * generator therefore compiles WebAssembly with Liftoff only; the generative agent keeps V8's tiering, because
 * tfjs's wasm kernels ran 1.3–2× slower without TurboFan. Must run before PGlite (or anything else) compiles
 * WebAssembly: V8 reads the flag when it compiles. LABLOOP_WASM_TIERING=1 keeps V8's tiering for every run.
 */
export type WasmCodePolicy = 'baseline-only' | 'tiered';

export function wasmCodePolicy(spec: Pick<CampaignSpec, 'strategy'>, env: NodeJS.ProcessEnv = process.env): WasmCodePolicy {
  if (env.LABLOOP_WASM_TIERING === '1') return 'tiered';
  return spec.strategy.agent === 'generative' ? 'tiered' : 'baseline-only';
}

/** Applies the policy to this process (process-wide: V8's flags are shared by every thread) and returns it. */
export function applyWasmCodePolicy(spec: Pick<CampaignSpec, 'strategy'>, env: NodeJS.ProcessEnv = process.env): WasmCodePolicy {
  const policy = wasmCodePolicy(spec, env);
  if (policy === 'baseline-only') v8.setFlagsFromString('--liftoff-only');
  return policy;
}
